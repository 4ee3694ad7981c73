"""The hook through which the model turns tracked masks into `<|mem|>` features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

__all__ = ["MaskFeaturePooler", "PooledFeatures", "RingMasks"]


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


@dataclass(frozen=True)
class PooledFeatures:
    """Visual features pooled under each object's masks.

    Args:
        object_ids: ids, in row order.
        frame_indices: stream indices of the frames the features were pooled from.
        features (`torch.Tensor` of shape `(num_objects, num_slots, D)`): one `<|mem|>`
            embedding per object and temporal slot (the pooler defines the slots).
    """

    object_ids: tuple[int, ...]
    frame_indices: tuple[int, ...]
    features: torch.Tensor


class MaskFeaturePooler(Protocol):
    """Implemented by the model (helper "model"): pool its visual features under masks."""

    def pool(self, frames: np.ndarray, masks: torch.Tensor) -> torch.Tensor:
        """Pool features of ``frames`` under ``masks``.

        Args:
            frames (`np.ndarray` of shape `(T, H, W, 3)`, uint8 RGB).
            masks (`torch.Tensor` of shape `(num_objects, T, h, w)`, bool): any resolution.

        Returns:
            `torch.Tensor` of shape `(num_objects, num_slots, D)`.
        """
        ...
