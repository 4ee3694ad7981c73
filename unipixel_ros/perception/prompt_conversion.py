"""An `ObjectPromptSpec` (frame pixels) as model prompts: a UniPixel visual one, a SAM one."""

from __future__ import annotations

import torch

from unipixel_ros.model import VisualPrompt
from unipixel_ros.perception.records import ObjectPromptSpec
from unipixel_ros.sam import BoxPrompt, PointPrompt, SamPrompt, to_model_coordinates

__all__ = ["sam_prompt", "visual_prompt"]


def visual_prompt(prompt: ObjectPromptSpec, frame_index: int) -> VisualPrompt:
    """The ``<|ref|>`` prompt on clip frame ``frame_index``: the box, or the first foreground
    point."""
    if prompt.box is not None:
        return VisualPrompt(frame_index=frame_index, box=prompt.box)
    labelled = zip(prompt.points, prompt.point_labels, strict=True)
    foreground = [point for point, label in labelled if label == 1]
    return VisualPrompt(frame_index=frame_index, point=foreground[0])


def sam_prompt(prompt: ObjectPromptSpec, *, height: int, width: int, image_size: int) -> SamPrompt:
    """One object's SAM 2.1 prompt in model input pixels, from a ``height`` x ``width`` frame."""

    def scaled(xy: list[tuple[float, float]]) -> torch.Tensor:
        return to_model_coordinates(
            torch.tensor(xy, dtype=torch.float32),
            frame_height=height,
            frame_width=width,
            image_size=image_size,
        )

    if prompt.box is not None:
        corners = scaled([prompt.box[:2], prompt.box[2:]])
        return BoxPrompt(boxes=corners.reshape(1, 4))
    return PointPrompt(
        coords=scaled(list(prompt.points))[None],
        labels=torch.tensor([list(prompt.point_labels)], dtype=torch.int32),
    )
