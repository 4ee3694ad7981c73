"""SAM 2 output handling: low-resolution logits -> masks at the original frame size."""

from __future__ import annotations

import torch
from torch.nn import functional

from unipixel_ros.errors import BadInputError

__all__ = ["masks_from_logits", "upscale_logits"]


def upscale_logits(low_res_logits: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of mask logits (``align_corners=False``, as the package does).

    Args:
        low_res_logits (`torch.Tensor` of shape `(N, 1, h, w)` or `(N, h, w)`, float).
        size: `(H, W)` of the original frame.

    Returns:
        `torch.Tensor` of shape `(N, H, W)`, float32 logits.
    """
    if low_res_logits.dim() == 4 and low_res_logits.shape[1] == 1:
        low_res_logits = low_res_logits[:, 0]
    if low_res_logits.dim() != 3:
        raise BadInputError(
            f"low_res_logits must have shape (N, 1, h, w) or (N, h, w), got "
            f"{tuple(low_res_logits.shape)}"
        )
    if size[0] <= 0 or size[1] <= 0:
        raise BadInputError(f"size must be positive, got {size}")
    logits = low_res_logits.float()[:, None]
    if tuple(logits.shape[-2:]) != tuple(size):
        logits = functional.interpolate(logits, size=size, mode="bilinear", align_corners=False)
    return logits[:, 0]


def masks_from_logits(
    low_res_logits: torch.Tensor, object_score_logits: torch.Tensor, size: tuple[int, int]
) -> torch.Tensor:
    """Binary masks at frame size: resized logits > 0, and empty where the object score <= 0.

    Args:
        low_res_logits (`torch.Tensor` of shape `(N, 1, h, w)` or `(N, h, w)`, float).
        object_score_logits (`torch.Tensor` of shape `(N, 1)` or `(N,)`, float).
        size: `(H, W)` of the original frame.

    Returns:
        `torch.Tensor` of shape `(N, H, W)`, bool.
    """
    logits = upscale_logits(low_res_logits, size)
    scores = object_score_logits.reshape(-1)
    if scores.shape[0] != logits.shape[0]:
        raise BadInputError(
            f"object_score_logits has {scores.shape[0]} rows, logits have {logits.shape[0]}"
        )
    return (logits > 0) & (scores > 0)[:, None, None]
