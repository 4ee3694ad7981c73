"""Parameters a running node takes from `ros2 param set`: checked as one batch, then applied.

`LIVE_PARAMETERS` (ros/parameters.py) names them; every other parameter is read-only. A batch
(one parameter of SetParameters, which rclpy sets one by one, or the whole request of
SetParametersAtomically) is checked in full against the node's current `NodeParameters` before
anything changes: a read-only name, a wrong type or a value out of range refuses the batch with
the reason, and the node keeps its values. An accepted batch becomes a new frozen
`NodeParameters` that is handed to the node's ``on_change`` (the node swaps it in and passes
the values on to the parts that use them).

``max_pending_requests`` may go down and back up to its value at start-up, not beyond: the
executor's threads are sized for it once (`perception_node.executor_threads`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.node import Node
from rclpy.parameter import Parameter

from unipixel_ros.errors import ConfigError
from unipixel_ros.ros.parameters import LIVE_PARAMETERS, NodeParameters

__all__ = ["LiveParameters", "live_descriptor", "refuse_parameter_changes", "updated_parameters"]

_NODE_PARAMETERS = frozenset(item.name for item in fields(NodeParameters))
_KINDS = {name: type(getattr(NodeParameters(), name)) for name in LIVE_PARAMETERS}
_KIND_NAMES = {int: "an integer", float: "a floating-point number (1.0, not 1)"}


def updated_parameters(
    current: NodeParameters, changes: Mapping[str, Any], *, started: NodeParameters
) -> NodeParameters:
    """``current`` with ``changes`` applied, every value checked first.

    Args:
        current: the node's parameters now.
        changes: new values by parameter name; names that are not the node's own (such as
            rclpy's ``use_sim_time``) are left to their owners and ignored here.
        started: the node's parameters at start-up (the bound of ``max_pending_requests``).

    Raises:
        ConfigError: a name is read-only, a value has the wrong type, or a value is out of its
            range (the message names the parameter, the value and what is accepted).
    """
    ours = {name: value for name, value in changes.items() if name in _NODE_PARAMETERS}
    read_only = sorted(set(ours) - LIVE_PARAMETERS)
    if read_only:
        raise ConfigError(
            f"{', '.join(read_only)}: read-only; set at start-up (a change needs a restart)"
        )
    for name, value in ours.items():
        kind = _KINDS[name]
        if type(value) is not kind:  # bool is an int to Python, not to ROS
            raise ConfigError(f"{name} is {value!r}; it must be {_KIND_NAMES[kind]}")
    pending = ours.get("max_pending_requests", current.max_pending_requests)
    if pending > started.max_pending_requests:
        raise ConfigError(
            f"max_pending_requests is {pending}; a running node takes at most its value at "
            f"start-up ({started.max_pending_requests}): the executor's threads are sized for it"
        )
    return replace(current, **ours)  # NodeParameters checks every range


def live_descriptor(
    name: str, params: NodeParameters, *, kind: int, description: str
) -> ParameterDescriptor:
    """What `ros2 param describe` shows for the live parameter ``name``: its ``description``,
    its range and that it is live (``kind`` is the parameter's `Parameter.Type` value)."""
    descriptor = ParameterDescriptor(type=kind, description=description, read_only=False)
    integer_tops = {
        "query_frames": params.ring_capacity,
        "max_pending_requests": params.max_pending_requests,
    }
    if name == "overlay_alpha":
        descriptor.floating_point_range = [FloatingPointRange(from_value=0.0, to_value=1.0)]
        limits = "0..1"
    elif name in integer_tops:
        descriptor.integer_range = [IntegerRange(from_value=1, to_value=integer_tops[name])]
        limits = f"1..{integer_tops[name]}"
    else:
        limits = "finite and > 0" if _KINDS[name] is float else ">= 1"
    descriptor.additional_constraints = f"{limits}; live: `ros2 param set` applies it at once"
    return descriptor


class LiveParameters:
    """Checks and applies the live parameters of ``node`` (see the module docstring).

    Attach it once the node's parameters are declared and read (rclpy also runs these
    callbacks for each declaration). The callbacks run on the executor thread of the
    parameter service; ``on_change`` runs under this object's lock, so changes reach it one
    at a time and in order.

    Args:
        node: the node whose parameters were declared by `declare_and_read`.
        params: the values read at start-up.
        on_change: receives each accepted set of values; it must not raise.
    """

    def __init__(
        self,
        *,
        node: Node,
        params: NodeParameters,
        on_change: Callable[[NodeParameters], None],
    ) -> None:
        self._started = params
        self._params = params
        self._on_change = on_change
        self._lock = threading.Lock()
        for name in sorted(LIVE_PARAMETERS):
            declared = node.describe_parameter(name)
            node.set_descriptor(
                name,
                live_descriptor(name, params, kind=declared.type, description=declared.description),
            )
        node.add_on_set_parameters_callback(self._check)
        node.add_post_set_parameters_callback(self._apply)

    def _check(self, parameters: Sequence[Parameter[Any]]) -> SetParametersResult:
        try:
            with self._lock:
                updated_parameters(self._params, _values(parameters), started=self._started)
        except ConfigError as err:
            return SetParametersResult(successful=False, reason=str(err))
        return SetParametersResult(successful=True)

    def _apply(self, parameters: Sequence[Parameter[Any]]) -> None:
        values = _values(parameters)
        if not _NODE_PARAMETERS & set(values):
            return
        with self._lock:
            # Checked by `_check`; no live range depends on another live value, so a batch
            # checked against the values then is still valid now.
            self._params = updated_parameters(self._params, values, started=self._started)
            self._on_change(self._params)


def refuse_parameter_changes(node: Node, reason: str) -> None:
    """Refuse every change of the node's own parameters with ``reason`` (a node whose values
    at start-up are unusable: only a restart with other values helps)."""

    def refuse(parameters: Sequence[Parameter[Any]]) -> SetParametersResult:
        if _NODE_PARAMETERS & set(_values(parameters)):
            return SetParametersResult(successful=False, reason=reason)
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(refuse)


def _values(parameters: Sequence[Parameter[Any]]) -> dict[str, Any]:
    return {parameter.name: parameter.value for parameter in parameters}
