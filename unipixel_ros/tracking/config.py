"""Capacities and options of the streaming tracker (all bounded, all documented)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import torch

from unipixel_ros.errors import ConfigError

__all__ = ["InteractivePromptSettings", "SamPrecision", "TrackerConfig"]


class SamPrecision(str, Enum):
    """The dtype SAM 2.1's tracking runs in (``torch.autocast``; the weights stay float32).

    ``auto`` is bfloat16 on CUDA (float16 where the GPU has no bfloat16) and float32 on the
    CPU. A reduced precision on the CPU is for parity tests only (slow there).
    """

    AUTO = "auto"
    FLOAT32 = "float32"
    BFLOAT16 = "bfloat16"
    FLOAT16 = "float16"

    def resolve(self, device: torch.device) -> torch.dtype:
        """The compute dtype on ``device``."""
        if self is SamPrecision.AUTO:
            if device.type != "cuda":
                return torch.float32
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return getattr(torch, self.value)


@dataclass(frozen=True, kw_only=True)
class InteractivePromptSettings:
    """SAM 2.1's interactive post-processing, for prompts that come from a person.

    ``sam2.build_sam2_video_predictor`` turns these on for every prompt. Here they apply to
    point and box prompts (clicks, AddObjects with points or a box) and to the objects started
    from them; hidden-state (``<|seg|>``) and mask prompts never use them, because UniPixel
    builds SAM 2.1 without them. See docs/memory-bank.md.

    Args:
        binarize_memory: the prompted frame's mask goes into memory binarized
            (``binarize_mask_from_pts_for_mem_enc``), "exactly as what users see".
        stability_fallback: on the prompted frame, a single-mask output (two or more points, or
            a box) whose stability score is below 0.98 (logit delta 0.05) falls back to the best
            multimask output (``dynamic_multimask_via_stability``).
        fill_hole_area: background holes of at most this many low-res pixels are filled in the
            output masks (``fill_hole_area``, with `unipixel_ros.sam.hole_filling.fill_holes`);
            tracked frames' memory is encoded from the unfilled masks, as the package does.
            0 turns it off.
    """

    binarize_memory: bool = True
    stability_fallback: bool = True
    fill_hole_area: int = 8

    def __post_init__(self) -> None:
        if self.fill_hole_area < 0:
            raise ConfigError(
                f"InteractivePromptSettings.fill_hole_area must be >= 0, got {self.fill_hole_area}"
            )

    @classmethod
    def off(cls) -> InteractivePromptSettings:
        """No interactive post-processing: points and boxes as UniPixel's own SAM 2.1 build."""
        return cls(binarize_memory=False, stability_fallback=False, fill_hole_area=0)


@dataclass(frozen=True, kw_only=True)
class TrackerConfig:
    """Streaming-tracker capacities.

    The SAM 2.1 memory windows themselves (``num_maskmem``, ``max_obj_ptrs_in_encoder``) come
    from `unipixel_ros.sam.Sam2Config`; the bank keeps exactly what those windows can read.

    Args:
        max_objects: most objects tracked at once; adding more raises `BadInputError`.
        ring_capacity: frames kept in the `FrameRing` (the video context for language queries,
            and the frames whose per-object masks are kept for `<|mem|>` pooling).
        ring_stride: keep every ``ring_stride``-th pushed frame in the ring.
        memory_dtype: dtype of stored spatial memories. None keeps the model's dtype (what
            UniPixel's SAM 2 fork does); ``torch.bfloat16`` halves the memory and is what the
            `sam2` 1.1.0 video predictor stores.
        encode_batch_size: frames per image-encoder call in `track_clip`.
        interactive: post-processing of point and box prompts (on by default, as the `sam2`
            package's interactive video predictor).
        sam_precision: the compute dtype of SAM 2.1's image encoder and tracking step (see
            `SamPrecision`).
    """

    max_objects: int = 16
    ring_capacity: int = 16
    ring_stride: int = 1
    memory_dtype: torch.dtype | None = None
    encode_batch_size: int = 4
    interactive: InteractivePromptSettings = field(default_factory=InteractivePromptSettings)
    sam_precision: SamPrecision = SamPrecision.AUTO

    def __post_init__(self) -> None:
        if not isinstance(self.sam_precision, SamPrecision):
            raise ConfigError(
                f"TrackerConfig.sam_precision must be a SamPrecision, got {self.sam_precision!r}"
            )
        for name in ("max_objects", "ring_capacity", "ring_stride", "encode_batch_size"):
            value = getattr(self, name)
            if value < 1:
                raise ConfigError(f"TrackerConfig.{name} must be >= 1, got {value}")
        if self.memory_dtype is not None and not self.memory_dtype.is_floating_point:
            raise ConfigError(
                f"TrackerConfig.memory_dtype must be a floating dtype or None, got "
                f"{self.memory_dtype}"
            )
