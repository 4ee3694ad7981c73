"""Frames -> Qwen2.5-VL video patches, as the UniPixel reference prepares them, without torchvision.

The reference (``unipixel/dataset/utils.py`` + the transformers 4.53 video processor with
``do_resize=False``) does, for a list of frames:

1. pick up to 16 frames uniformly;
2. smart-resize each frame with PIL bicubic to multiples of 28, within
   ``[128*28*28, 256*28*28*floor(16 / n_frames)]`` pixels;
3. pad the frame count to even by repeating the last frame (one image -> two frames);
4. rescale and normalise with the CLIP mean/std, then cut into 2x14x14 patches in the order the
   vision tower expects (2x2 merge groups contiguous).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from unipixel_ros.errors import BadInputError, ConfigError

__all__ = [
    "DEFAULT_SAMPLE_FRAMES",
    "QwenVideoInput",
    "QwenVideoSpec",
    "prepare_qwen_video",
    "sample_frame_indices",
    "smart_resize",
]

#: Frames sampled for the LLM from a clip (reference default).
DEFAULT_SAMPLE_FRAMES = 16
_PATCH = 14
_MERGE = 2
_TEMPORAL_PATCH = 2
_FACTOR = _PATCH * _MERGE
_MAX_RATIO = 200
#: CLIP normalisation used by Qwen2.5-VL's processors.
_MEAN = (0.48145466, 0.4578275, 0.40821073)
_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True, kw_only=True)
class QwenVideoSpec:
    """How frames become Qwen video input.

    Args:
        sample_frames: frames sampled uniformly for the LLM (16 in the reference).
        min_pixels: lower bound of the resized frame area (128*28*28).
        pixels_per_frame_budget: the area bound is this times ``floor(sample_frames / n)``
            for ``n`` sampled frames (256*28*28).
    """

    sample_frames: int = DEFAULT_SAMPLE_FRAMES
    min_pixels: int = 128 * 28 * 28
    pixels_per_frame_budget: int = 256 * 28 * 28

    def __post_init__(self) -> None:
        if self.sample_frames < 1:
            raise ConfigError(f"sample_frames must be >= 1, got {self.sample_frames}")
        if not 0 < self.min_pixels <= self.pixels_per_frame_budget:
            raise ConfigError(
                f"need 0 < min_pixels <= pixels_per_frame_budget, got {self.min_pixels} and "
                f"{self.pixels_per_frame_budget}"
            )

    def max_pixels(self, num_frames: int) -> int:
        """Area bound for ``num_frames`` sampled frames (before padding to even)."""
        return self.pixels_per_frame_budget * max(1, self.sample_frames // num_frames)


@dataclass(frozen=True, kw_only=True)
class QwenVideoInput:
    """One video as the Qwen2.5-VL vision tower takes it.

    Attributes:
        pixel_values (`torch.Tensor` of shape `(grid_t * grid_h * grid_w, 3 * 2 * 14 * 14)`):
            float32 normalised patches, 2x2 merge groups contiguous.
        grid_thw: ``(grid_t, grid_h, grid_w)`` patch grid; ``grid_t`` = padded frames / 2.
        frame_indices: indices (into the caller's frames) of the sampled frames, before padding.
        resized_hw: ``(height, width)`` in pixels of the resized frames.
    """

    pixel_values: torch.Tensor
    grid_thw: tuple[int, int, int]
    frame_indices: tuple[int, ...]
    resized_hw: tuple[int, int]

    @property
    def num_tokens(self) -> int:
        """Number of ``<|video_pad|>`` tokens this video takes in the prompt."""
        grid_t, grid_h, grid_w = self.grid_thw
        return grid_t * grid_h * grid_w // (_MERGE * _MERGE)


def smart_resize(height: int, width: int, *, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """Qwen2.5-VL's resize rule: sides multiple of 28, area within bounds, aspect kept.

    Returns:
        ``(height, width)`` in pixels.
    """
    if min(height, width) < 1:
        raise BadInputError(f"frame size must be positive, got {height}x{width}")
    if max(height, width) / min(height, width) > _MAX_RATIO:
        raise BadInputError(f"aspect ratio must be below {_MAX_RATIO}, got {height}x{width}")
    h_bar = max(_FACTOR, round(height / _FACTOR) * _FACTOR)
    w_bar = max(_FACTOR, round(width / _FACTOR) * _FACTOR)
    if h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / _FACTOR) * _FACTOR
        w_bar = math.ceil(width * beta / _FACTOR) * _FACTOR
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = math.floor(height / beta / _FACTOR) * _FACTOR
        w_bar = math.floor(width / beta / _FACTOR) * _FACTOR
    return h_bar, w_bar


def sample_frame_indices(num_frames: int, sample_frames: int = DEFAULT_SAMPLE_FRAMES) -> list[int]:
    """Uniform frame sample of the reference: all frames if there are at most ``sample_frames``."""
    if num_frames < 1:
        raise BadInputError(f"need at least one frame, got {num_frames}")
    if num_frames <= sample_frames:
        return list(range(num_frames))
    if sample_frames == 1:
        return [0]
    step = (num_frames - 1) / (sample_frames - 1)
    return np.arange(0, num_frames, step)[:sample_frames].round().astype(int).tolist()


def _check_frame(frame: np.ndarray) -> None:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
        raise BadInputError(
            "frames must be uint8 numpy arrays, got "
            f"{getattr(frame, 'dtype', type(frame).__name__)}"
        )
    if frame.ndim != 3 or frame.shape[-1] != 3 or min(frame.shape[:2]) < 1:
        raise BadInputError(f"each frame must have shape (H, W, 3), got {frame.shape}")


def prepare_qwen_video(
    frames: np.ndarray | Sequence[np.ndarray],
    *,
    spec: QwenVideoSpec | None = None,
    resized_hw: tuple[int, int] | None = None,
) -> QwenVideoInput:
    """Sample, resize, pad, normalise and patch frames for the Qwen2.5-VL vision tower.

    Args:
        frames (`np.ndarray` of shape `(T, H, W, 3)`, or a sequence of `(H_t, W_t, 3)` arrays):
            uint8 RGB frames; the resized size is computed from the first frame and applied to
            all (so images of different sizes can form one video).
        spec: sampling and pixel-budget rule; the reference's by default.
        resized_hw: force this resized ``(height, width)`` (multiples of 28) instead of the
            smart-resize result, e.g. to put images of different sizes in one video.

    Returns:
        ``QwenVideoInput`` with float32 patches on the CPU.
    """
    frame_list = (
        [frames[i] for i in range(frames.shape[0])]
        if isinstance(frames, np.ndarray)
        else list(frames)
    )
    if not frame_list:
        raise BadInputError("need at least one frame")
    for frame in frame_list:
        _check_frame(frame)
    spec = spec or QwenVideoSpec()
    indices = sample_frame_indices(len(frame_list), spec.sample_frames)
    if resized_hw is None:
        height, width = frame_list[0].shape[:2]
        resized_hw = smart_resize(
            height, width, min_pixels=spec.min_pixels, max_pixels=spec.max_pixels(len(indices))
        )
    if resized_hw[0] % _FACTOR or resized_hw[1] % _FACTOR:
        raise BadInputError(f"resized size must be multiples of {_FACTOR}, got {resized_hw}")
    out_h, out_w = resized_hw
    resized = [
        np.asarray(Image.fromarray(frame_list[i]).resize((out_w, out_h), Image.Resampling.BICUBIC))
        for i in indices
    ]
    if len(resized) % _TEMPORAL_PATCH:
        resized.append(resized[-1])
    video = torch.from_numpy(np.stack(resized)).permute(0, 3, 1, 2).to(torch.float32)
    # The 4.53 video processor fuses rescale (1/255) into the mean/std; keep its arithmetic.
    mean = torch.tensor(_MEAN).view(1, 3, 1, 1) * 255.0
    std = torch.tensor(_STD).view(1, 3, 1, 1) * 255.0
    video = (video - mean) / std
    grid_t, grid_h, grid_w = video.shape[0] // _TEMPORAL_PATCH, out_h // _PATCH, out_w // _PATCH
    patches = video.view(
        grid_t,
        _TEMPORAL_PATCH,
        3,
        grid_h // _MERGE,
        _MERGE,
        _PATCH,
        grid_w // _MERGE,
        _MERGE,
        _PATCH,
    )
    patches = patches.permute(0, 3, 6, 4, 7, 2, 1, 5, 8)
    pixel_values = patches.reshape(grid_t * grid_h * grid_w, 3 * _TEMPORAL_PATCH * _PATCH * _PATCH)
    return QwenVideoInput(
        pixel_values=pixel_values.contiguous(),
        grid_thw=(grid_t, grid_h, grid_w),
        frame_indices=tuple(indices),
        resized_hw=(out_h, out_w),
    )
