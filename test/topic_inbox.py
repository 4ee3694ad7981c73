"""A subscription in a test client's node that keeps what it receives, for graph tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from unipixel_ros.ros.evaluation.client import UnipixelClient

#: Messages kept per topic (a soak run would otherwise keep every one).
KEEP_LAST = 500


class TopicInbox:
    """Messages of one topic received by the client's node (its executor spins them)."""

    def __init__(self, client: UnipixelClient, kind: type, topic: str) -> None:
        self._lock = threading.Lock()
        self.messages: list[Any] = []
        self._subscription = client.node.create_subscription(kind, topic, self._add, 10)

    def _add(self, msg: Any) -> None:
        with self._lock:
            self.messages.append(msg)
            del self.messages[:-KEEP_LAST]

    def wait_for_publisher(self, *, timeout_s: float = 30.0) -> None:
        """Until a publisher of the topic has matched this subscription (DDS discovery)."""
        deadline = time.monotonic() + timeout_s
        while self._subscription.get_publisher_count() == 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"no publisher matched in {timeout_s} s")
            time.sleep(0.02)

    def wait_for(self, condition: Callable[[Any], bool], *, timeout_s: float = 60.0) -> Any:
        """The newest message that satisfies ``condition``, waiting up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                found = [m for m in self.messages if condition(m)]
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"no matching message in {timeout_s} s ({len(self.messages)} seen)")
