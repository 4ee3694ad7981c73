"""Small background holes in SAM 2.1's low-res masks filled, without the package's CUDA extension.

SAM 2.1's interactive video predictor fills every background region (mask logit <= 0) of at most
``max_area`` pixels, 8-connected, with the logit 0.1, so that it becomes foreground. The `sam2`
package needs its compiled `_C` extension for the connected components and skips the step
without one. Here the components come from OpenCV on CPU and from a torch label propagation on
any other device (CUDA), with the same result.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch.nn.functional import max_pool2d

from unipixel_ros.errors import BadInputError

__all__ = ["HOLE_FILL_LOGIT", "background_components", "fill_holes"]

#: The logit a filled hole gets: just above the 0 threshold, as SAM 2.1's predictor uses.
HOLE_FILL_LOGIT = 0.1
# Label propagation checks for convergence after this many steps (one host sync each time).
_STEPS_PER_CHECK = 4


def fill_holes(mask_logits: torch.Tensor, *, max_area: int) -> torch.Tensor:
    """Fill the background components of at most ``max_area`` pixels with `HOLE_FILL_LOGIT`.

    Args:
        mask_logits (`torch.Tensor` of shape `(num_masks, 1, height, width)`, float logits):
            low-res masks; background is logit <= 0.
        max_area: Largest hole to fill, in pixels (SAM 2.1's interactive default is 8).

    Returns:
        `torch.Tensor` of the same shape, dtype and device, holes set to 0.1.
    """
    if mask_logits.ndim != 4 or mask_logits.shape[1] != 1:
        msg = f"mask_logits must be (num_masks, 1, height, width), got {tuple(mask_logits.shape)}"
        raise BadInputError(msg)
    if max_area <= 0:
        raise BadInputError(f"max_area must be positive, got {max_area}")
    if mask_logits.numel() == 0:
        return mask_logits
    _, areas = background_components(mask_logits <= 0)
    is_hole = (areas > 0) & (areas <= max_area)
    return torch.where(is_hole, torch.full_like(mask_logits, HOLE_FILL_LOGIT), mask_logits)


def background_components(background: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The 8-connected components of boolean masks, labelled, with each pixel's component area.

    Args:
        background (`torch.Tensor` of shape `(num_masks, 1, height, width)`, bool): the pixels
            to group.

    Returns:
        labels (`torch.Tensor` of the same shape, int64): one positive id per component within
            each mask (ids are not consecutive), 0 outside.
        areas (`torch.Tensor` of the same shape, int64): the pixel's component area, 0 outside.
    """
    if background.device.type == "cpu":
        return _opencv_components(background)
    return _propagated_components(background)


def _opencv_components(background: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    masks = background[:, 0].to(torch.uint8).numpy()
    labels = np.zeros(masks.shape, np.int64)
    areas = np.zeros(masks.shape, np.int64)
    for index, mask in enumerate(masks):
        _, mask_labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        component_area = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
        component_area[0] = 0  # OpenCV's label 0 is everything outside the mask
        labels[index] = mask_labels
        areas[index] = component_area[mask_labels]
    return torch.from_numpy(labels)[:, None], torch.from_numpy(areas)[:, None]


def _propagated_components(background: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each pixel takes the largest pixel index of its component: a 3x3 max step spreads it to
    the neighbours, a pointer jump through the label's own pixel shortens long paths."""
    num_masks, _, height, width = background.shape
    inside = background[:, 0]
    index = torch.arange(1, height * width + 1, device=background.device).view(1, height, width)
    labels = torch.where(inside, index.expand(num_masks, -1, -1), 0)
    while True:
        before = labels
        for _ in range(_STEPS_PER_CHECK):
            spread = max_pool2d(labels[:, None].float(), 3, stride=1, padding=1)[:, 0]
            labels = torch.where(inside, spread.long(), 0)
            flat = labels.view(num_masks, -1)
            jumped = torch.gather(flat, 1, (flat - 1).clamp(min=0)).view_as(labels)
            labels = torch.where(inside, torch.maximum(labels, jumped), 0)
        if torch.equal(before, labels):
            break
    flat = labels.view(num_masks, -1)
    counts = torch.zeros(num_masks, height * width + 1, dtype=torch.long, device=labels.device)
    counts.scatter_add_(1, flat, torch.ones_like(flat))
    counts[:, 0] = 0
    areas = torch.gather(counts, 1, flat).view_as(labels)
    return labels[:, None], areas[:, None]
