"""Counts and rates of the frames a node receives, for its diagnostics. ROS-free."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

__all__ = ["InputMonitor", "InputSnapshot"]

STALE_AFTER_S = 1.0
STALE_PERIODS = 3


@dataclass(frozen=True)
class InputSnapshot:
    """What the node has received so far."""

    frames_received: int
    frames_rejected: int
    rate_hz: float
    seconds_since_last_frame: float  # infinity before the first frame
    last_width: int
    last_height: int
    last_encoding: str
    last_error: str


class InputMonitor:
    """Thread-safe frame counters with a rate over the last ``window`` arrivals.

    Memory is bounded: only the arrival times of the last ``window`` frames are kept.
    """

    def __init__(self, *, window: int = 30) -> None:
        self._lock = threading.Lock()
        self._arrivals: deque[float] = deque(maxlen=window)
        self._received = 0
        self._rejected = 0
        self._last_size = (0, 0)
        self._last_encoding = ""
        self._last_error = ""

    def frame_accepted(self, *, width: int, height: int, encoding: str) -> None:
        with self._lock:
            self._received += 1
            self._arrivals.append(time.monotonic())
            self._last_size = (width, height)
            self._last_encoding = encoding

    def frame_rejected(self, reason: str) -> None:
        with self._lock:
            self._rejected += 1
            self._last_error = reason

    def snapshot(self) -> InputSnapshot:
        """Counters now; the rate drops to 0 once no frame came for max(1 s, 3 periods)."""
        with self._lock:
            rate = 0.0
            since = time.monotonic() - self._arrivals[-1] if self._arrivals else float("inf")
            if len(self._arrivals) >= 2:
                span = self._arrivals[-1] - self._arrivals[0]
                rate = (len(self._arrivals) - 1) / span if span > 0 else 0.0
            if rate and since > max(STALE_AFTER_S, STALE_PERIODS / rate):
                rate = 0.0
            return InputSnapshot(
                frames_received=self._received,
                frames_rejected=self._rejected,
                rate_hz=rate,
                seconds_since_last_frame=since,
                last_width=self._last_size[0],
                last_height=self._last_size[1],
                last_encoding=self._last_encoding,
                last_error=self._last_error,
            )
