"""The loss terms of nano training: SAM-style mask losses and the ``feature_scale`` penalty,
and ``StepLosses``, the named terms of one step.

``feature_scale`` penalises the mean square of the stride-16 image features above 1. Without
it those features grow to an RMS of several hundred during click training; the memory encoder
adds them to the mask embedding (RMS ~3), so memories stop saying which object they hold,
memory attention saturates, and tracking never learns (measured 2026-11-23: track loss flat at
1.08 over a whole run, object-pointer gradients exactly zero).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional

from unipixel_ros.sam import FrameFeatures

__all__ = ["StepLosses", "dice_bce", "feature_scale_excess", "mask_loss"]


@dataclass(frozen=True)
class StepLosses:
    """Named scalar losses of one step (float32 tensors with gradients)."""

    terms: dict[str, torch.Tensor]

    def total(self) -> torch.Tensor:
        return torch.stack(list(self.terms.values())).sum()


def dice_bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-mask BCE + soft Dice: logits `(N, M, H, W)`, target `(N, H, W)` -> `(N, M)`."""
    target = target[:, None].expand_as(logits)
    bce = functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    prob = logits.sigmoid()
    inter = (prob * target).sum((-2, -1))
    dice = 1.0 - (2.0 * inter + 1.0) / (prob.sum((-2, -1)) + target.sum((-2, -1)) + 1.0)
    return bce.mean((-2, -1)) * 5.0 + dice


def mask_loss(
    logits: torch.Tensor,
    scores: torch.Tensor,
    target: torch.Tensor,
    ious: torch.Tensor | None = None,
) -> torch.Tensor:
    """SAM-style loss: best of the M masks, IoU regression, object presence.

    Args:
        logits (`torch.Tensor` of shape `(N, M, S/4, S/4)`): low-res mask logits.
        scores (`torch.Tensor` of shape `(N, 1)`): object-score logits.
        target (`torch.Tensor` of shape `(N, H, W)`): float {0, 1} masks at frame size.
        ious (`torch.Tensor` of shape `(N, M)`): predicted IoUs, or None.
    """
    upsampled = functional.interpolate(
        logits.float(), size=target.shape[-2:], mode="bilinear", align_corners=False
    )
    per_mask = dice_bce(upsampled, target)
    loss = per_mask.min(dim=1).values.mean()
    present = (target.flatten(1).amax(1) > 0).float()
    loss = loss + functional.binary_cross_entropy_with_logits(scores[:, 0].float(), present)
    if ious is not None:
        with torch.no_grad():
            hard = (upsampled > 0).float()
            inter = (hard * target[:, None]).sum((-2, -1))
            union = (hard + target[:, None]).clamp(max=1).sum((-2, -1))
            actual = inter / union.clamp(min=1.0)
        loss = loss + functional.mse_loss(ious.float(), actual)
    return loss


def feature_scale_excess(features: list[FrameFeatures]) -> torch.Tensor:
    """Mean square of the stride-16 image features above 1 (0 when at most 1)."""
    top_level = torch.cat([frame.vision_feats[-1] for frame in features])
    return (top_level.float().pow(2).mean() - 1.0).clamp(min=0.0)
