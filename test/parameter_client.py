"""Calls to a node's parameter services from a test client (what `ros2 param` does)."""

from __future__ import annotations

import threading
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from rcl_interfaces.srv import (
    DescribeParameters,
    GetParameters,
    SetParameters,
    SetParametersAtomically,
)
from rclpy.parameter import Parameter, parameter_value_to_python

from unipixel_ros.ros.evaluation.client import UnipixelClient

ANSWER_S = 30.0


class ParameterClient:
    """Sets, gets and describes the parameters of ``target`` through its services.

    The client's node is spun by `UnipixelClient`'s executor, so each call only waits for its
    answer.
    """

    def __init__(self, client: UnipixelClient, target: str = "/unipixel") -> None:
        node = client.node
        self._set = node.create_client(SetParameters, f"{target}/set_parameters")
        self._atomic = node.create_client(
            SetParametersAtomically, f"{target}/set_parameters_atomically"
        )
        self._get = node.create_client(GetParameters, f"{target}/get_parameters")
        self._describe = node.create_client(DescribeParameters, f"{target}/describe_parameters")
        for service in (self._set, self._atomic, self._get, self._describe):
            assert service.wait_for_service(timeout_sec=ANSWER_S), service.srv_name

    def set(self, **values: Any) -> list[SetParametersResult]:
        """SetParameters: each value is set (or refused) on its own."""
        request = SetParameters.Request(parameters=_messages(values))
        return list(_answer(self._set.call_async(request)).results)

    def set_atomically(self, **values: Any) -> SetParametersResult:
        """SetParametersAtomically: all values are set, or none."""
        request = SetParametersAtomically.Request(parameters=_messages(values))
        return _answer(self._atomic.call_async(request)).result

    def get(self, *names: str) -> list[Any]:
        response = _answer(self._get.call_async(GetParameters.Request(names=list(names))))
        return [parameter_value_to_python(value) for value in response.values]

    def describe(self, name: str) -> ParameterDescriptor:
        request = DescribeParameters.Request(names=[name])
        return _answer(self._describe.call_async(request)).descriptors[0]


def _messages(values: dict[str, Any]) -> list[Any]:
    return [Parameter(name, value=value).to_parameter_msg() for name, value in values.items()]


def _answer(future: Any) -> Any:
    done = threading.Event()
    future.add_done_callback(lambda _f: done.set())
    assert done.wait(ANSWER_S), "the parameter service gave no answer"
    return future.result()
