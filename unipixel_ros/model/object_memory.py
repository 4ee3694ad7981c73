"""Object masks -> pooled visual features for ``<|mem|>`` tokens (PixelQA "memory pre-filling").

Steps, as in the reference (``infer_pixelqa.py`` + ``PixelQwen2_5_VLForConditionalGeneration``):

1. masks over the LLM's sampled frames, padded to an even count by repeating the last frame,
   max-pooled over frame pairs: one mask per temporal slot; an object empty everywhere is set
   to all ones;
2. the slots where an object has any pixel get one ``<|mem|>`` each (object order, then slot
   order);
3. each slot mask is resized (bilinear, antialiased) to the patch grid in pixels and max-pooled
   by 28: one boolean per merged visual token, in raster order;
4. per (object, slot), the merger-MLP inputs of the selected tokens are averaged.

Window order: Qwen2.5-VL's vision tower runs the merger on tokens in *window* order (within each
temporal slot, 4x4 blocks of merged tokens are contiguous). The reference averages those
window-ordered features with the raster-ordered mask, so unless one window covers the frame it
averages the features of other positions. The released weights were trained that way, so
``MemoryTokenOrder.REFERENCE`` (the default) reproduces it; ``MemoryTokenOrder.RASTER`` pools
the features at the masked positions instead (geometrically right, not what was trained).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch.nn import functional

from unipixel_ros.errors import BadInputError

__all__ = [
    "MemoryTokenOrder",
    "ObjectMemoryLayout",
    "layout_object_memory",
    "pool_object_memory",
    "vision_window_index",
]

_PATCH = 14
_MERGE = 2


class MemoryTokenOrder(enum.Enum):
    """Order of the merger-MLP inputs the raster-order token masks are applied to."""

    REFERENCE = "reference"
    RASTER = "raster"


@dataclass(frozen=True, kw_only=True)
class ObjectMemoryLayout:
    """Which ``<|mem|>`` tokens a set of object masks produces.

    Attributes:
        slots_per_object: per object (input order), the temporal slots that get a ``<|mem|>``.
        token_masks (`torch.Tensor` of shape `(grid_t, num_objects, grid_h/2, grid_w/2)`): bool,
            merged visual tokens covered by each object, raster order.
    """

    slots_per_object: tuple[tuple[int, ...], ...]
    token_masks: torch.Tensor

    @property
    def num_tokens(self) -> int:
        """Total number of ``<|mem|>`` tokens."""
        return sum(len(slots) for slots in self.slots_per_object)


def layout_object_memory(masks: torch.Tensor, grid_thw: Sequence[int]) -> ObjectMemoryLayout:
    """Slot assignment and token-grid masks for objects given as masks over the LLM frames.

    Args:
        masks (`torch.Tensor` of shape `(num_frames, num_objects, H, W)`): bool or {0, 1} masks on
            the sampled frames (before padding), at any resolution.
        grid_thw: ``(grid_t, grid_h, grid_w)`` of the video; ``grid_t`` must equal
            ``ceil(num_frames / 2)``.

    Returns:
        ``ObjectMemoryLayout``.
    """
    if masks.ndim != 4 or masks.shape[1] < 1:
        raise BadInputError(
            f"masks must have shape (T, O, H, W) with O >= 1, got {tuple(masks.shape)}"
        )
    grid_t, grid_h, grid_w = (int(v) for v in grid_thw)
    masks = masks.to(torch.float32)
    if masks.shape[0] % 2:
        masks = torch.cat([masks, masks[-1:]])
    if masks.shape[0] // 2 != grid_t:
        raise BadInputError(
            f"masks cover {masks.shape[0]} padded frames, the video has grid_t={grid_t} "
            f"({2 * grid_t} frames)"
        )
    num_slots, num_objects, height, width = masks.shape[0] // 2, masks.shape[1], *masks.shape[2:]
    slot_masks = masks.view(num_slots, 2, num_objects, height, width).amax(dim=1)
    empty = ~slot_masks.bool().any(dim=(0, 2, 3))
    slot_masks[:, empty] = 1.0
    slots = tuple(
        tuple(slot_masks[:, obj].bool().any(dim=(-1, -2)).nonzero()[:, 0].tolist())
        for obj in range(num_objects)
    )
    resized = functional.interpolate(
        slot_masks,
        size=(grid_h * _PATCH, grid_w * _PATCH),
        mode="bilinear",
        align_corners=False,
        antialias=True,
    )
    token_masks = functional.max_pool2d(resized, kernel_size=_PATCH * _MERGE) > 0
    return ObjectMemoryLayout(slots_per_object=slots, token_masks=token_masks)


def vision_window_index(grid_thw: Sequence[int], *, window_tokens: int) -> torch.Tensor:
    """Raster index of each merged token in the vision tower's window order, for one video.

    Args:
        grid_thw: ``(grid_t, grid_h, grid_w)`` patch grid.
        window_tokens: window side in merged tokens
            (``window_size // spatial_merge_size // patch_size``, 4 for Qwen2.5-VL).

    Returns:
        `torch.Tensor` of shape `(grid_t * grid_h/2 * grid_w/2,)` int64: position ``i`` of the
        window-ordered sequence holds raster token ``index[i]``.
    """
    grid_t, grid_h, grid_w = (int(v) for v in grid_thw)
    llm_h, llm_w = grid_h // _MERGE, grid_w // _MERGE
    index = torch.arange(grid_t * llm_h * llm_w).view(grid_t, llm_h, llm_w)
    pad_h = (-llm_h) % window_tokens
    pad_w = (-llm_w) % window_tokens
    padded = functional.pad(index, (0, pad_w, 0, pad_h), value=-1)
    rows, cols = (llm_h + pad_h) // window_tokens, (llm_w + pad_w) // window_tokens
    padded = padded.view(grid_t, rows, window_tokens, cols, window_tokens).permute(0, 1, 3, 2, 4)
    flat = padded.reshape(-1)
    return flat[flat >= 0]


def pool_object_memory(
    merger_inputs: torch.Tensor,
    layout: ObjectMemoryLayout,
    *,
    grid_thw: Sequence[int],
    order: MemoryTokenOrder = MemoryTokenOrder.REFERENCE,
    window_tokens: int = 4,
) -> torch.Tensor:
    """Average the merger-MLP inputs over each object's tokens, per slot.

    Args:
        merger_inputs (`torch.Tensor` of shape `(grid_t * grid_h/2 * grid_w/2, M)`): inputs of the
            vision merger's MLP for this video, in the vision tower's window order.
        layout: from ``layout_object_memory`` for the same video.
        grid_thw: ``(grid_t, grid_h, grid_w)``.
        order: see ``MemoryTokenOrder``.
        window_tokens: window side in merged tokens (for ``MemoryTokenOrder.RASTER``).

    Returns:
        `torch.Tensor` of shape `(layout.num_tokens, M)`, dtype of ``merger_inputs``: one row per
        ``<|mem|>``, objects in order, then slots ascending.
    """
    grid_t, grid_h, grid_w = (int(v) for v in grid_thw)
    step = grid_h * grid_w // (_MERGE * _MERGE)
    if merger_inputs.ndim != 2 or merger_inputs.shape[0] != grid_t * step:
        raise BadInputError(
            f"merger_inputs must have shape ({grid_t * step}, M), got {tuple(merger_inputs.shape)}"
        )
    features = merger_inputs
    if order is MemoryTokenOrder.RASTER:
        window_index = vision_window_index(grid_thw, window_tokens=window_tokens)
        features = merger_inputs[torch.argsort(window_index.to(merger_inputs.device))]
    masks = layout.token_masks.to(merger_inputs.device)
    pooled: list[torch.Tensor] = []
    for obj, slots in enumerate(layout.slots_per_object):
        for slot in slots:
            slot_mask = masks[slot, obj].flatten()
            if not slot_mask.any():
                raise BadInputError(
                    f"object {obj} has a <|mem|> on slot {slot} but no token there after pooling"
                )
            pooled.append(features[slot * step : (slot + 1) * step][slot_mask].mean(dim=0))
    return torch.stack(pooled)
