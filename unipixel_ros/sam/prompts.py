"""Prompts that start a SAM 2.1 mask: points, a box, a mask, or UniPixel hidden-state tokens.

Every prompt carries a leading object axis N, so one decoder call serves N objects. Coordinates
are in model input pixels (the S x S frame), x first; use
`unipixel_ros.sam.preprocessing.to_model_coordinates` to convert from original frame pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import torch

from unipixel_ros.errors import BadInputError

__all__ = ["BoxPrompt", "HiddenStatePrompt", "MaskPrompt", "PointPrompt", "SamPrompt"]


def _check_float(name: str, value: torch.Tensor) -> None:
    if not value.is_floating_point():
        raise BadInputError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")


@dataclass(frozen=True)
class PointPrompt:
    """Clicks for N objects.

    Args:
        coords (`torch.Tensor` of shape `(num_objects, num_points, 2)`, float32): (x, y) in
            model input pixels, in [0, S].
        labels (`torch.Tensor` of shape `(num_objects, num_points)`, int32): 1 positive click,
            0 negative click.
    """

    coords: torch.Tensor
    labels: torch.Tensor

    def __post_init__(self) -> None:
        _check_float("PointPrompt.coords", self.coords)
        if self.coords.dim() != 3 or self.coords.shape[-1] != 2 or self.coords.shape[1] == 0:
            raise BadInputError(
                "PointPrompt.coords must have shape (num_objects, num_points >= 1, 2), got "
                f"{tuple(self.coords.shape)}"
            )
        if tuple(self.labels.shape) != tuple(self.coords.shape[:2]):
            raise BadInputError(
                f"PointPrompt.labels must have shape {tuple(self.coords.shape[:2])}, got "
                f"{tuple(self.labels.shape)}"
            )
        if self.labels.is_floating_point() or not bool(
            ((self.labels == 0) | (self.labels == 1)).all()
        ):
            raise BadInputError("PointPrompt.labels must be integers in {0, 1}")

    @property
    def num_objects(self) -> int:
        return int(self.coords.shape[0])


@dataclass(frozen=True)
class BoxPrompt:
    """One box per object; SAM 2 encodes it as two corner points with labels 2 and 3.

    Args:
        boxes (`torch.Tensor` of shape `(num_objects, 4)`, float32): (x0, y0, x1, y1) in model
            input pixels.
    """

    boxes: torch.Tensor

    def __post_init__(self) -> None:
        _check_float("BoxPrompt.boxes", self.boxes)
        if self.boxes.dim() != 2 or self.boxes.shape[1] != 4:
            raise BadInputError(
                f"BoxPrompt.boxes must have shape (num_objects, 4), got {tuple(self.boxes.shape)}"
            )

    @property
    def num_objects(self) -> int:
        return int(self.boxes.shape[0])


@dataclass(frozen=True)
class MaskPrompt:
    """One mask per object at any resolution; it is resized to S x S as the `sam2` package does
    (antialiased bilinear, then >= 0.5).

    Args:
        masks (`torch.Tensor` of shape `(num_objects, height, width)`, bool or float in [0, 1]).
    """

    masks: torch.Tensor

    def __post_init__(self) -> None:
        if self.masks.dim() != 3 or min(self.masks.shape[1:]) == 0:
            raise BadInputError(
                "MaskPrompt.masks must have shape (num_objects, height, width), got "
                f"{tuple(self.masks.shape)}"
            )

    @property
    def num_objects(self) -> int:
        return int(self.masks.shape[0])


@dataclass(frozen=True)
class HiddenStatePrompt:
    """UniPixel's `<|seg|>` prompt: K tokens per object from ``seg_head``, appended to SAM 2's
    sparse prompt after the two padding point tokens (no box, no mask).

    Args:
        tokens (`torch.Tensor` of shape `(num_objects, K, C)`, float): C is SAM 2's hidden dim.
    """

    tokens: torch.Tensor

    def __post_init__(self) -> None:
        _check_float("HiddenStatePrompt.tokens", self.tokens)
        if self.tokens.dim() != 3 or self.tokens.shape[1] == 0:
            raise BadInputError(
                "HiddenStatePrompt.tokens must have shape (num_objects, K >= 1, C), got "
                f"{tuple(self.tokens.shape)}"
            )

    @property
    def num_objects(self) -> int:
        return int(self.tokens.shape[0])


SamPrompt: TypeAlias = PointPrompt | BoxPrompt | MaskPrompt | HiddenStatePrompt
