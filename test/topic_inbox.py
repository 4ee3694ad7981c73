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
        client.node.create_subscription(kind, topic, self._add, 10)

    def _add(self, msg: Any) -> None:
        with self._lock:
            self.messages.append(msg)
            del self.messages[:-KEEP_LAST]

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
