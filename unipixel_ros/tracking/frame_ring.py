"""A bounded ring of recent camera frames and their SAM 2.1 features: the video context for
language queries, which reuse the features the tracker computed instead of encoding again."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

import numpy as np

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.sam import FrameFeatures

__all__ = ["FrameRing", "RingFrame", "check_frame"]


def check_frame(image: np.ndarray) -> None:
    """`BadInputError` unless ``image`` is a `(H, W, 3)` uint8 array."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
        raise BadInputError(
            f"frame must be a (H, W, 3) uint8 array, got {image.shape} {image.dtype}"
        )


class RingFrame(NamedTuple):
    """One retained frame.

    frame_index: the stream's frame index (monotonic, never reused).
    image (`np.ndarray` of shape `(H, W, 3)`, uint8 RGB): a private copy.
    features: the frame's SAM 2.1 image features, as the tracker computed them (never
        modified afterwards, so a snapshot may share them); None when pushed without.
    """

    frame_index: int
    image: np.ndarray
    features: FrameFeatures | None = None


class FrameRing:
    """Keeps every ``stride``-th frame, at most ``capacity`` of them.

    Eviction rule: a pushed frame is retained when ``(index - first_index) % stride == 0``,
    where ``first_index`` is the first index pushed since the last `clear`; when the ring is
    full, retaining a frame evicts the oldest retained one (FIFO). Frames not retained are not
    copied. Memory is bounded by ``capacity`` frames and their features
    (`FrameFeatures.nbytes` each; docs/memory-bank.md gives the sizes).

    Args:
        capacity: most frames kept.
        stride: sampling stride over pushed frames.
    """

    def __init__(self, *, capacity: int, stride: int = 1) -> None:
        if capacity < 1 or stride < 1:
            raise ConfigError(
                f"FrameRing needs capacity >= 1 and stride >= 1, got {capacity} and {stride}"
            )
        self._capacity = capacity
        self._stride = stride
        self._frames: deque[RingFrame] = deque(maxlen=capacity)
        self._first_index: int | None = None
        self._last_index: int | None = None

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def stride(self) -> int:
        return self._stride

    def push(self, index: int, image: np.ndarray, features: FrameFeatures | None = None) -> bool:
        """Offer frame ``index``; returns True when it was retained.

        Args:
            index: frame index, strictly greater than the previous one.
            image (`np.ndarray` of shape `(H, W, 3)`, uint8).
            features: the frame's SAM 2.1 features, kept with it when it is retained.
        """
        check_frame(image)
        if self._last_index is not None and index <= self._last_index:
            raise BadInputError(f"frame index must increase: got {index} after {self._last_index}")
        if self._first_index is None:
            self._first_index = index
        self._last_index = index
        if (index - self._first_index) % self._stride != 0:
            return False
        copy = np.array(image, copy=True)
        self._frames.append(RingFrame(frame_index=index, image=copy, features=features))
        return True

    def frames(self) -> list[RingFrame]:
        """Retained frames, oldest first."""
        return list(self._frames)

    def indices(self) -> tuple[int, ...]:
        """Retained frame indices, oldest first."""
        return tuple(f.frame_index for f in self._frames)

    def get(self, index: int) -> RingFrame:
        """The retained frame ``index``; `BadInputError` when it is not (or no longer) kept."""
        for frame in self._frames:
            if frame.frame_index == index:
                return frame
        raise BadInputError(f"frame {index} is not in the ring (retained: {self.indices()})")

    def clear(self) -> None:
        """Drop every frame; the next push restarts the stride phase."""
        self._frames.clear()
        self._first_index = None

    def __len__(self) -> int:
        return len(self._frames)
