"""A client for a running unipixel node: services, the Ask action and /diagnostics.

Used by the demo, `unipixel-ros eval` and the graph tests. It spins its own executor in a
background thread, so every call here blocks only until its answer or its timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.action import ActionClient
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from unipixel_ros_interfaces.action import Ask

from unipixel_ros.errors import NotReadyError
from unipixel_ros.ros.parameters import REQUEST_QOS
from unipixel_ros.ros.request_handlers import SERVICE_TYPES

__all__ = ["UnipixelClient"]

ResponseT = TypeVar("ResponseT")


class UnipixelClient:
    """Talks to the node named ``target`` (default `/unipixel`).

    Args:
        target: fully qualified name of the perception node.
        name: name of the client's own node.
    """

    def __init__(self, *, target: str = "/unipixel", name: str = "unipixel_client") -> None:
        if not rclpy.ok():
            rclpy.init()
        self.node = Node(name)
        self._target = target.rstrip("/")
        self._clients: dict[str, Any] = {
            key: self.node.create_client(kind, f"{self._target}/{key}", qos_profile=REQUEST_QOS)
            for key, kind in SERVICE_TYPES.items()
        }
        self._ask: Any = ActionClient(self.node, Ask, f"{self._target}/ask")
        self._status_lock = threading.Lock()
        self._status: dict[str, str] = {}
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)
        self._executor = MultiThreadedExecutor(num_threads=2)
        self._executor.add_node(self.node)
        self._spinner = threading.Thread(target=self._executor.spin, daemon=True)
        self._spinner.start()

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        prefix = f"{self._target.lstrip('/')}: "
        for status in msg.status:
            if status.name.startswith(prefix):
                with self._status_lock:
                    self._status = {kv.key: kv.value for kv in status.values}

    def status(self) -> dict[str, str]:
        """The key/values of the node's latest /diagnostics status (empty before the first)."""
        with self._status_lock:
            return dict(self._status)

    def wait_for_status(
        self, predicate: Callable[[dict[str, str]], bool], *, timeout_s: float
    ) -> dict[str, str]:
        """Block until the node's status satisfies ``predicate``.

        Raises:
            NotReadyError: the timeout passed first; the message holds the last status seen.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = self.status()
            if status and predicate(status):
                return status
            time.sleep(0.05)
        raise NotReadyError(
            f"node status did not reach the condition in {timeout_s} s: {self.status()}"
        )

    def wait_until_ready(self, *, timeout_s: float = 30.0) -> None:
        """Block until every service and the action server of the node are available."""
        deadline = time.monotonic() + timeout_s
        for key, client in self._clients.items():
            if not client.wait_for_service(timeout_sec=max(0.0, deadline - time.monotonic())):
                raise NotReadyError(f"service {self._target}/{key} not available in {timeout_s} s")
        if not self._ask.wait_for_server(timeout_sec=max(0.0, deadline - time.monotonic())):
            raise NotReadyError(f"action {self._target}/ask not available in {timeout_s} s")

    def call(self, service: str, request: Any, *, timeout_s: float = 60.0) -> Any:
        """Call one of the node's services and return its response."""
        future = self._clients[service].call_async(request)
        if not _wait(future, timeout_s):
            raise NotReadyError(f"{self._target}/{service} gave no answer in {timeout_s} s")
        return future.result()

    def ask(
        self,
        goal: Ask.Goal,
        *,
        timeout_s: float = 120.0,
        on_feedback: Callable[[Ask.Feedback], None] | None = None,
    ) -> tuple[int, Ask.Result]:
        """Send an Ask goal; return (final goal status, result)."""
        callback = None if on_feedback is None else (lambda msg: on_feedback(msg.feedback))
        sent = self._ask.send_goal_async(goal, feedback_callback=callback)
        if not _wait(sent, timeout_s):
            raise NotReadyError(f"{self._target}/ask did not accept the goal in {timeout_s} s")
        handle: Any = sent.result()
        if not handle.accepted:
            return 0, Ask.Result(success=False, message="goal rejected")
        result = handle.get_result_async()
        if not _wait(result, timeout_s):
            raise NotReadyError(f"{self._target}/ask gave no result in {timeout_s} s")
        done: Any = result.result()
        return done.status, done.result

    def close(self) -> None:
        self._executor.shutdown()
        self.node.destroy_node()


def _wait(future: Any, timeout_s: float) -> bool:
    done = threading.Event()
    future.add_done_callback(lambda _f: done.set())
    return done.wait(timeout_s)
