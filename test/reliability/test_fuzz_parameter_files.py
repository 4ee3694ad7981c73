"""Fuzzed parameter files: the node either starts or stops with a clear configuration error.

The node is built in this process from a generated YAML file (`--params-file`), so each example
takes milliseconds; `model_path` only takes values that never reach the network ("", the tiny
random model, a missing directory). Two start-ups in a child process check what a user sees: exit
code 2, a FATAL line naming the parameter, no traceback.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import rclpy
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unipixel_ros.errors import ConfigError, UnipixelError
from unipixel_ros.ros.perception_node import PerceptionNode

pytestmark = pytest.mark.ros

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
INTEGERS = ("qos_depth", "sync_queue_size", "max_objects", "ring_capacity", "ring_stride")
INTEGERS += ("query_frames", "max_query_chars", "max_pending_requests")
FLOATS = ("sync_slop_s", "request_timeout_s", "overlay_alpha", "diagnostics_period_s")
CHOICES = ("image_transport", "qos_reliability", "device", "backend")
SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, -1, 2**31, 10**6]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=8),
    st.lists(st.integers(-3, 3), min_size=1, max_size=3),
    st.lists(st.text(max_size=4), min_size=1, max_size=3),
)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    **{name: st.one_of(st.integers(-5, 40), SCALARS) for name in INTEGERS},
    **{name: st.one_of(st.floats(-2.0, 200.0), SCALARS) for name in FLOATS},
    **{
        name: st.one_of(
            st.sampled_from(
                [
                    "raw",
                    "compressed",
                    "reliable",
                    "best_effort",
                    "auto",
                    "cpu",
                    "cuda",
                    "eager",
                    "tensorrt",
                ]
            ),
            SCALARS,
        )
        for name in CHOICES
    },
    "use_depth": SCALARS,
    "cameras": st.one_of(
        st.lists(st.sampled_from(["front", "wrist", "front", "", "left"]), min_size=1, max_size=3),
        SCALARS,
    ),
    # Never a random string: a word that is not a directory would be looked up on the hub.
    "model_path": st.sampled_from(["", "tiny-random", "/nonexistent/unipixel_checkpoint"]),
    "not_a_parameter": SCALARS,
}


@pytest.fixture(scope="module", autouse=True)
def _rclpy() -> None:
    if not rclpy.ok():
        rclpy.init()


# In-process nodes get a namespace of their own, so that they never answer in place of a
# /unipixel node that other tests of the session run.
PROBE_ARGS = ["-r", "__ns:=/reliability_probe"]


def _write(path: Path, parameters: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump({"/**": {"ros__parameters": parameters}}))
    return path


def _start(params_file: Path) -> None:
    node = PerceptionNode(cli_args=["--ros-args", *PROBE_ARGS, "--params-file", str(params_file)])
    node.destroy_node()


def _start_in_a_child(params_file: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run the node's entry point on ``params_file``; the finished process and its output."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "unipixel_ros.ros.perception_node",
            "--ros-args",
            "--params-file",
            str(params_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, done.stdout + done.stderr


@FUZZ
@given(
    st.dictionaries(st.sampled_from(sorted(VALUES)), st.just(None), min_size=1, max_size=5).flatmap(
        lambda names: st.fixed_dictionaries({n: VALUES[n] for n in names})
    )
)
def test_a_fuzzed_parameter_file_starts_the_node_or_raises_a_config_error(
    tmp_path: Path, parameters: dict[str, Any]
) -> None:
    params_file = _write(tmp_path / "params.yaml", parameters)
    try:
        _start(params_file)
    except UnipixelError as err:
        message = str(err)
        assert any(name in message for name in parameters) or "checkpoint" in message, message


def test_a_value_out_of_range_stops_the_node_with_exit_code_2_and_no_traceback(
    tmp_path: Path,
) -> None:
    params_file = tmp_path / "params.yaml"
    params_file.write_text(
        yaml.safe_dump({"unipixel": {"ros__parameters": {"ring_capacity": 4, "query_frames": 9}}})
    )
    done, output = _start_in_a_child(params_file)
    assert done.returncode == 2, output
    assert "query_frames (9) exceeds ring_capacity (4)" in output and "Traceback" not in output


def test_a_params_file_that_is_not_yaml_stops_the_node_with_exit_code_2(tmp_path: Path) -> None:
    params_file = tmp_path / "params.yaml"
    params_file.write_text("unipixel:\n  ros__parameters:\n    max_objects: [\n")
    done, output = _start_in_a_child(params_file)
    assert done.returncode == 2 and "Traceback" not in output, output


@pytest.mark.parametrize(
    "parameters",
    [
        {"max_pending_requests": []},
        {"camera_info_topic": []},
        {"image_topic": "camera]raw"},
        {"clicked_point_topic": "a b"},
        {"depth_topic": "", "use_depth": True},
    ],
    ids=["empty-list", "empty-list-topic", "bracket-topic", "space-topic", "empty-topic"],
)
def test_unusable_parameter_values_raise_config_error_naming_the_parameter(
    tmp_path: Path, parameters: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError, match=next(iter(parameters))):
        _start(_write(tmp_path / "params.yaml", parameters))


def test_a_wrong_use_sim_time_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="use_sim_time"):
        _start(_write(tmp_path / "params.yaml", {"use_sim_time": "yes please"}))


def test_the_shipped_parameter_file_starts_the_node(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[2] / "config" / "unipixel.yaml"
    node = PerceptionNode(cli_args=["--ros-args", *PROBE_ARGS, "--params-file", str(shipped)])
    try:
        assert node.params.max_query_chars == 2000 and not math.isnan(node.params.sync_slop_s)
        assert node.get_fully_qualified_name() == "/reliability_probe/unipixel"
    finally:
        node.destroy_node()
