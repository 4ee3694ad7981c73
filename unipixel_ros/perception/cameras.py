"""One camera of the live perception: its tracker, its latest frame, its recent frame stamps."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from unipixel_ros.errors import BadInputError, NotReadyError
from unipixel_ros.tracking import RingFrame, StreamingTracker

__all__ = ["CameraStream"]


class CameraStream:
    """One camera's tracker, its latest frame and the stamps of its recent frames.

    Args:
        name: the camera name.
        tracker: the camera's tracker.
        stamp_capacity: recent frame stamps remembered for prompts "at a stamp" (oldest
            forgotten first).
    """

    def __init__(self, *, name: str, tracker: StreamingTracker, stamp_capacity: int) -> None:
        self.name = name
        self.tracker = tracker
        self.stamps: OrderedDict[int, int] = OrderedDict()  # stamp_ns -> frame index
        self.stamp_capacity = stamp_capacity
        self.latest: tuple[int, np.ndarray] | None = None  # (stamp_ns, rgb)

    def remember(self, stamp_ns: int, frame_index: int, rgb: np.ndarray) -> None:
        self.stamps[stamp_ns] = frame_index
        while len(self.stamps) > self.stamp_capacity:
            self.stamps.popitem(last=False)
        self.latest = (stamp_ns, rgb)

    def frame_at(self, stamp_ns: int | None) -> int | None:
        """Ring frame index for a stamp (None: the latest frame)."""
        if stamp_ns is None:
            return None
        index = self.stamps.get(stamp_ns)
        if index is None or index not in self.tracker.ring.indices():
            raise BadInputError(
                f"no recent frame of camera {self.name!r} has stamp {stamp_ns} ns; use a stamp "
                "of one of the last frames, or zero for the latest"
            )
        return index

    def stamp_of(self, frame_index: int) -> int:
        for stamp, index in self.stamps.items():
            if index == frame_index:
                return stamp
        return 0

    def recent_frames(self, count: int) -> list[RingFrame]:
        """The last ``count`` ring frames that share the latest frame's size."""
        frames = self.tracker.ring.frames()
        if not frames or self.latest is None:
            raise NotReadyError(f"no frame from camera {self.name!r} has arrived yet")
        shape = self.latest[1].shape
        same = [f for f in frames if f.image.shape == shape]
        return same[-count:]
