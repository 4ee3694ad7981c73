"""The checks of live parameter changes, without a graph (`updated_parameters`, descriptors),
and on an in-process node without a model: atomic batches, read-only names, the wiring's
values. test_live_parameters_graph.py changes them from another process."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import rclpy
from rcl_interfaces.msg import ParameterType
from rclpy.parameter import Parameter

from unipixel_ros.errors import ConfigError
from unipixel_ros.ros.live_parameters import live_descriptor, updated_parameters
from unipixel_ros.ros.parameters import LIVE_PARAMETERS, NodeParameters
from unipixel_ros.ros.perception_node import PerceptionNode

STARTED = NodeParameters(ring_capacity=6, query_frames=2, max_pending_requests=3)


def test_a_good_change_gives_new_parameters_with_only_that_value_changed() -> None:
    changed = updated_parameters(
        STARTED, {"overlay_alpha": 0.25, "query_frames": 6}, started=STARTED
    )
    assert (changed.overlay_alpha, changed.query_frames) == (0.25, 6)
    assert changed.ring_capacity == 6 and STARTED.overlay_alpha == 0.5


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"overlay_alpha": 1.5}, r"overlay_alpha is 1.5; it must be in \[0, 1\]"),
        ({"overlay_alpha": math.nan}, r"overlay_alpha is nan"),
        ({"query_frames": 0}, "query_frames is 0; it must be at least 1"),
        ({"query_frames": 7}, r"query_frames \(7\) exceeds ring_capacity \(6\)"),
        ({"request_timeout_s": -1.0}, "request_timeout_s is -1.0; it must be finite and > 0"),
        ({"diagnostics_period_s": math.inf}, "diagnostics_period_s is inf; it must be finite"),
        ({"sync_slop_s": 0.0}, "sync_slop_s is 0.0; it must be finite and > 0"),
        ({"max_query_chars": 0}, "max_query_chars is 0; it must be at least 1"),
        ({"overlay_alpha": 1}, r"overlay_alpha is 1; it must be a floating-point number"),
        ({"query_frames": True}, "query_frames is True; it must be an integer"),
        ({"max_pending_requests": 4}, r"at most its value at start-up \(3\)"),
        ({"ring_capacity": 8}, r"ring_capacity: read-only; set at start-up"),
        ({"overlay_alpha": 0.2, "model_path": "/elsewhere"}, "model_path: read-only"),
    ],
)
def test_a_bad_change_is_refused_with_a_reason(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        updated_parameters(STARTED, changes, started=STARTED)


def test_max_pending_requests_goes_down_and_back_up_to_its_value_at_start() -> None:
    lower = updated_parameters(STARTED, {"max_pending_requests": 1}, started=STARTED)
    assert lower.max_pending_requests == 1
    again = updated_parameters(lower, {"max_pending_requests": 3}, started=STARTED)
    assert again.max_pending_requests == 3


def test_names_that_are_not_the_nodes_own_are_left_to_their_owners() -> None:
    assert updated_parameters(STARTED, {"use_sim_time": True}, started=STARTED) == STARTED


def test_live_descriptors_show_the_ranges_of_this_node() -> None:
    alpha = live_descriptor(
        "overlay_alpha", STARTED, kind=ParameterType.PARAMETER_DOUBLE, description="opacity"
    )
    assert alpha.floating_point_range[0].to_value == 1.0 and not alpha.read_only
    assert alpha.additional_constraints.startswith("0..1; live")
    frames = live_descriptor(
        "query_frames", STARTED, kind=ParameterType.PARAMETER_INTEGER, description=""
    )
    assert (frames.integer_range[0].from_value, frames.integer_range[0].to_value) == (1, 6)
    pending = live_descriptor(
        "max_pending_requests", STARTED, kind=ParameterType.PARAMETER_INTEGER, description=""
    )
    assert pending.integer_range[0].to_value == 3
    slop = live_descriptor(
        "sync_slop_s", STARTED, kind=ParameterType.PARAMETER_DOUBLE, description=""
    )
    assert slop.additional_constraints.startswith("finite and > 0")


@pytest.fixture(scope="module")
def node() -> Iterator[PerceptionNode]:
    if not rclpy.ok():
        rclpy.init()
    # A namespace of its own: it never answers in place of a /unipixel another test runs.
    made = PerceptionNode(cli_args=["--ros-args", "-r", "__ns:=/live_parameters_probe"])
    yield made
    made.destroy_node()


def test_a_batch_with_one_bad_value_changes_nothing(node: PerceptionNode) -> None:
    before = node.params
    result = node.set_parameters_atomically(
        [Parameter("overlay_alpha", value=0.2), Parameter("request_timeout_s", value=-3.0)]
    )
    assert not result.successful and "request_timeout_s is -3.0" in result.reason
    assert node.params == before
    assert node.get_parameter("overlay_alpha").value == before.overlay_alpha


def test_an_accepted_batch_reaches_the_node_and_its_wiring(node: PerceptionNode) -> None:
    result = node.set_parameters_atomically(
        [Parameter("overlay_alpha", value=0.2), Parameter("diagnostics_period_s", value=0.3)]
    )
    assert result.successful, result.reason
    assert (node.params.overlay_alpha, node.params.diagnostics_period_s) == (0.2, 0.3)
    assert node.get_parameter("overlay_alpha").value == 0.2
    timers = [t for t in node.timers if t.timer_period_ns == 300_000_000]
    assert len(timers) == 1  # the diagnostics timer, with its new period


def test_every_parameter_but_the_live_ones_is_read_only(node: PerceptionNode) -> None:
    for name in NodeParameters.__dataclass_fields__:
        descriptor = node.describe_parameter(name)
        assert descriptor.read_only == (name not in LIVE_PARAMETERS), name
        if descriptor.read_only:
            assert "needs a restart" in descriptor.description, name
        else:
            assert "live" in descriptor.additional_constraints, name
    result = node.set_parameters([Parameter("ring_capacity", value=8)])[0]
    assert not result.successful and "read-only" in result.reason
