"""Log repeated per-frame or per-request problems at most once per period for each kind."""

from __future__ import annotations

import threading
import time
from typing import Any

__all__ = ["ERROR_LOG_PERIOD_S", "ThrottledLog"]

ERROR_LOG_PERIOD_S = 5.0


class ThrottledLog:
    """Error and warning lines through a node's logger, throttled per kind of problem.

    Args:
        logger: the node's logger (``node.get_logger()``).
        period_s: least time between two lines of one kind, seconds.
    """

    def __init__(self, *, logger: Any, period_s: float = ERROR_LOG_PERIOD_S) -> None:
        self._logger = logger
        self._period_s = period_s
        self._last_logged: dict[str, float] = {}
        self._lock = threading.Lock()  # the input callbacks, the worker and requests all log

    def due(self, kind: str) -> bool:
        """True at most once per ``period_s`` for each kind of repeated problem."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_logged.get(kind, -self._period_s) < self._period_s:
                return False
            self._last_logged[kind] = now
            return True

    def error(self, kind: str, text: str) -> None:
        if self.due(kind):
            self._logger.error(text)

    def warning(self, kind: str, text: str) -> None:
        if self.due(kind):
            self._logger.warning(text)
