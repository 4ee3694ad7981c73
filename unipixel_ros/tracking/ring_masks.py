"""Per-object masks on the ring's frames: what `<|mem|>` memory is pooled under."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["RingMasks"]


@dataclass(frozen=True)
class RingMasks:
    """Per-object masks on the frames held by the `FrameRing`.

    Args:
        object_ids: ids, in row order.
        frame_indices: stream indices of the frames, oldest first.
        frames (`np.ndarray` of shape `(T, H, W, 3)`, uint8 RGB).
        masks (`torch.Tensor` of shape `(num_objects, T, S/4, S/4)`, bool): SAM 2 low-resolution
            masks (object score > 0 and logit > 0); all False on frames before an object
            started or where it was lost.
    """

    object_ids: tuple[int, ...]
    frame_indices: tuple[int, ...]
    frames: np.ndarray
    masks: torch.Tensor
