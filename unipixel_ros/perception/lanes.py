"""The two lanes of the live perception, as the core sees them.

The tracking lane owns every camera's tracker, frame ring and memory bank and runs every frame.
The reasoning lane runs the language model. It reaches the trackers only through
`TrackingLane.run`: once to take a `CameraSnapshot` (immutable: frames, stamps, their SAM 2.1
features, the masks it needs) and once to place the answer's objects. The language model itself
runs on the snapshot, outside the tracking lane, so tracking never waits for it.

SAM 2.1's weights are shared read-only by both lanes. Its forward passes write only two caches
whose values depend on the input size alone (the RoPE tables, filled when the model is built,
and the sine position encodings, filled by the first frame), so both lanes read the same values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from unipixel_ros.sam import FrameFeatures
from unipixel_ros.tracking import RingFrame

__all__ = ["CameraSnapshot", "InlineTrackingLane", "TrackingLane", "frame_features"]

T = TypeVar("T")


class TrackingLane(Protocol):
    """Runs work where the trackers live (`unipixel_ros.tracking.InferenceWorker` is one)."""

    def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the tracking lane, ahead of its queue, and return its result."""
        ...


class InlineTrackingLane:
    """For callers with a single thread (tests, evaluation without a node): runs work at once."""

    def run(self, work: Callable[[], T]) -> T:
        return work()


@dataclass(frozen=True)
class CameraSnapshot:
    """What a language request needs of one camera, taken on the tracking lane.

    Args:
        camera: the camera name.
        frames: its ring frames, oldest first, with their SAM 2.1 features (shared with the
            ring; never modified).
        stamp_ns: the stamp of the last frame (0 when no longer known).
        masks (`np.ndarray` of shape `(len(frames), H_m, W_m)`, bool): a tracked object's masks
            on those frames, for memory questions; None otherwise.
    """

    camera: str
    frames: tuple[RingFrame, ...]
    stamp_ns: int
    masks: np.ndarray | None = None

    @property
    def last(self) -> RingFrame:
        return self.frames[-1]

    def images(self) -> np.ndarray:
        """`(T, H, W, 3)` uint8 RGB."""
        return np.stack([f.image for f in self.frames])


def frame_features(frames: tuple[RingFrame, ...] | list[RingFrame]) -> list[FrameFeatures] | None:
    """The frames' SAM 2.1 features, or None when one of them has none (then they are encoded)."""
    features = [f.features for f in frames]
    if any(f is None for f in features):
        return None
    return [f for f in features if f is not None]
