"""Inputs and outputs of the UniPixel flows: plain data, NumPy masks at the caller's resolution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from unipixel_ros.errors import BadInputError

__all__ = ["MemoryAnswer", "ObjectTrack", "PixelAnswer", "VisualPrompt"]


@dataclass(frozen=True, kw_only=True)
class VisualPrompt:
    """A point or a box on one frame, in that frame's pixels.

    Args:
        frame_index: index of the frame in the caller's frames.
        point: ``(x, y)``; exactly one of ``point`` and ``box``.
        box: ``(x0, y0, x1, y1)``, top-left then bottom-right.
    """

    frame_index: int
    point: tuple[float, float] | None = None
    box: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        if (self.point is None) == (self.box is None):
            raise BadInputError("VisualPrompt needs exactly one of point and box")
        if self.frame_index < 0:
            raise BadInputError(f"VisualPrompt.frame_index must be >= 0, got {self.frame_index}")
        if self.box is not None and (self.box[2] < self.box[0] or self.box[3] < self.box[1]):
            raise BadInputError(
                f"VisualPrompt.box must be (x0, y0, x1, y1) with x0<=x1, y0<=y1, got {self.box}"
            )

    def sam_points(self) -> tuple[torch.Tensor, torch.Tensor]:
        """SAM 2 point form, in frame pixels.

        Returns:
            coords (`torch.Tensor` of shape `(P, 2)`, float32): one point, or the two box
            corners; labels (`torch.Tensor` of shape `(P,)`, int64): ``[1]`` or ``[2, 3]``.
        """
        if self.box is not None:
            return torch.tensor(self.box, dtype=torch.float32).view(2, 2), torch.tensor([2, 3])
        if self.point is None:
            raise BadInputError("VisualPrompt has neither point nor box")
        return torch.tensor([self.point], dtype=torch.float32), torch.tensor([1])


@dataclass(frozen=True, kw_only=True)
class ObjectTrack:
    """One object's masks over the frames, from one ``<|seg|>``.

    Attributes:
        object_id: the ``[N]`` written just before the ``<|seg|>``, if any.
        from_prompt: True when the ``<|seg|>`` was in the prompt, False when generated.
        masks: per frame, `np.ndarray` of shape `(H_t, W_t)`, bool, at that frame's original
            resolution (logits resized bilinearly, > 0; empty where the object score <= 0).
        object_scores (`np.ndarray` of shape `(num_frames,)`): float32 SAM 2.1 object-score
            logits; <= 0 means "not present".
    """

    object_id: int | None
    from_prompt: bool
    masks: tuple[np.ndarray, ...]
    object_scores: np.ndarray

    def stacked(self) -> np.ndarray:
        """Masks as one `(num_frames, H, W)` bool array (frames must share a size)."""
        shapes = {m.shape for m in self.masks}
        if len(shapes) != 1:
            raise BadInputError(f"frames have different sizes {sorted(shapes)}; cannot stack")
        return np.stack(self.masks)


@dataclass(frozen=True, kw_only=True)
class PixelAnswer:
    """Answer of a flow.

    Attributes:
        text: decoded answer (special tokens such as ``<|seg|>`` kept; the stop token removed).
        tracks: one per ``<|seg|>`` (prompt ones first, then generated, in order).
        frame_indices: indices of the caller's frames the LLM saw (uniform sample).
        mask_frame_indices: indices of the caller's frames that ``ObjectTrack.masks`` cover,
            in order.
    """

    text: str
    tracks: tuple[ObjectTrack, ...]
    frame_indices: tuple[int, ...]
    mask_frame_indices: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class MemoryAnswer:
    """Answer of the memory (PixelQA pre-filling) flow.

    Attributes:
        text: pass-2 answer.
        localization: pass-1 result (``None`` when the masks came from the caller).
        slots_per_object: object id -> temporal slots (frame pairs of the LLM frames) that got a
            ``<|mem|>``.
        prompt: the pass-2 question as sent (memory preamble + question).
    """

    text: str
    localization: PixelAnswer | None
    slots_per_object: dict[int, tuple[int, ...]]
    prompt: str
