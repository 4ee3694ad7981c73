"""`FrameResult`: every tracked object's masks on one frame, as the tracker returns them."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from unipixel_ros.sam.postprocessing import masks_from_logits
from unipixel_ros.tracking.memory_bank import ObjectState

__all__ = ["FrameResult"]


@dataclass(frozen=True)
class FrameResult:
    """Masks of every tracked object on one frame.

    Args:
        frame_index: the stream's frame index.
        object_ids: ids, in row order.
        low_res_logits (`torch.Tensor` of shape `(num_objects, 1, S/4, S/4)`, float32): logits
            before sigmoid (-1024 where the object score is <= 0).
        object_score_logits (`torch.Tensor` of shape `(num_objects,)`, float32).
        states: per object, `ObjectState` after this frame.
    """

    frame_index: int
    object_ids: tuple[int, ...]
    low_res_logits: torch.Tensor
    object_score_logits: torch.Tensor
    states: tuple[ObjectState, ...]

    def masks(self, size: tuple[int, int]) -> torch.Tensor:
        """`(num_objects, H, W)` bool masks at the frame size ``(H, W)``."""
        return masks_from_logits(self.low_res_logits, self.object_score_logits, size)
