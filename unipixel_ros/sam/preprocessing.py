"""SAM 2 input preparation: frames to normalised S x S tensors, frame pixels to model pixels."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional

from unipixel_ros.errors import BadInputError

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "preprocess_frames", "to_model_coordinates"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def preprocess_frames(
    frames: np.ndarray,
    *,
    image_size: int,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """RGB frames -> SAM 2 input: /255, resize to S x S, ImageNet normalisation.

    The resize does not keep the aspect ratio and is antialiased bilinear
    (``torch.nn.functional.interpolate(..., antialias=True)``), as UniPixel does.

    Args:
        frames (`np.ndarray` of shape `(T, H, W, 3)`, uint8): RGB frames.
        image_size: S, the model input side.
        device: where to compute and return the tensor (default CPU).

    Returns:
        `torch.Tensor` of shape `(T, 3, S, S)`, float32.
    """
    if not isinstance(frames, np.ndarray):
        raise BadInputError(f"frames must be a numpy array, got {type(frames).__name__}")
    if frames.dtype != np.uint8:
        raise BadInputError(f"frames must have dtype uint8, got {frames.dtype}")
    if frames.ndim != 4 or frames.shape[-1] != 3 or 0 in frames.shape:
        raise BadInputError(f"frames must have shape (T, H, W, 3), got {frames.shape}")
    if image_size <= 0:
        raise BadInputError(f"image_size must be > 0, got {image_size}")
    # Frames decoded from ROS messages are read-only views; torch wants a writable buffer.
    contiguous = np.ascontiguousarray(frames)
    if not contiguous.flags.writeable:
        contiguous = contiguous.copy()
    pixels = torch.from_numpy(contiguous).to(device)
    pixels = pixels.permute(0, 3, 1, 2).float() / 255.0
    pixels = functional.interpolate(
        pixels,
        size=(image_size, image_size),
        mode="bilinear",
        align_corners=False,
        antialias=True,
    )
    mean = torch.tensor(IMAGENET_MEAN, device=pixels.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=pixels.device).view(1, 3, 1, 1)
    return (pixels - mean) / std


def to_model_coordinates(
    xy: torch.Tensor, *, frame_height: int, frame_width: int, image_size: int
) -> torch.Tensor:
    """Frame pixels (x, y) -> model input pixels: (x * S / W, y * S / H), float32.

    Args:
        xy (`torch.Tensor` of shape `(..., 2)`): points or box corners in frame pixels.
    """
    if xy.shape[-1] != 2:
        raise BadInputError(f"xy must have a last axis of size 2, got shape {tuple(xy.shape)}")
    if frame_height <= 0 or frame_width <= 0:
        raise BadInputError(f"frame size must be positive, got {frame_height} x {frame_width}")
    scale = torch.tensor(
        [image_size / frame_width, image_size / frame_height],
        dtype=torch.float32,
        device=xy.device,
    )
    return xy.to(torch.float32) * scale
