"""Per-frame image features and decoder outputs of SAM 2.1, as typed records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

__all__ = ["FrameFeatures", "MemoryEncoding", "PromptDecoding"]


@dataclass(frozen=True)
class FrameFeatures:
    """Image-encoder output of one frame, shared by every object on that frame.

    Levels go from high resolution (stride 4) to the stride-16 grid the SAM heads read.

    Args:
        vision_feats: per level, `torch.Tensor` of shape `(H_l * W_l, 1, C_l)`; the two
            high-resolution levels are already projected by the decoder's ``conv_s0/conv_s1``.
        vision_pos_embeds: per level, `torch.Tensor` of shape `(H_l * W_l, 1, C)` (sine
            position encoding; identical for every frame of a given size).
        feat_sizes: per level, `(H_l, W_l)`.
    """

    vision_feats: tuple[torch.Tensor, ...]
    vision_pos_embeds: tuple[torch.Tensor, ...]
    feat_sizes: tuple[tuple[int, int], ...]

    def expand(self, batch_size: int) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Views of the features for ``batch_size`` objects: `(H_l * W_l, batch_size, C_l)`."""
        feats = [x.expand(-1, batch_size, -1) for x in self.vision_feats]
        pos = [x.expand(-1, batch_size, -1) for x in self.vision_pos_embeds]
        return feats, pos

    def nbytes(self) -> int:
        """Bytes held by the per-frame features (position encodings are shared)."""
        return sum(x.numel() * x.element_size() for x in self.vision_feats)


@dataclass(frozen=True)
class PromptDecoding:
    """SAM 2 decoder result on a prompted frame, one row per object.

    Args:
        low_res_logits (`torch.Tensor` of shape `(num_objects, 1, S/4, S/4)`, float32): mask
            logits before sigmoid; -1024 everywhere when the object score is <= 0. With
            multimask output, the mask with the highest predicted IoU.
        object_score_logits (`torch.Tensor` of shape `(num_objects, 1)`, float32): presence
            logit; <= 0 means "not in this frame".
        obj_ptr (`torch.Tensor` of shape `(num_objects, C)`): the object pointer for memory.
    """

    low_res_logits: torch.Tensor
    object_score_logits: torch.Tensor
    obj_ptr: torch.Tensor


class MemoryEncoding(NamedTuple):
    """Spatial memory of one frame for a batch of objects.

    features (`torch.Tensor` of shape `(num_objects, mem_dim, G, G)`): G = S / 16.
    pos_enc (`torch.Tensor` of shape `(num_objects, mem_dim, G, G)`): sine position encoding
    (identical for every frame and object).
    """

    features: torch.Tensor
    pos_enc: torch.Tensor
