"""Capacities and options of the streaming tracker (all bounded, all documented)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from unipixel_ros.errors import ConfigError

__all__ = ["TrackerConfig"]


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
    """

    max_objects: int = 16
    ring_capacity: int = 16
    ring_stride: int = 1
    memory_dtype: torch.dtype | None = None
    encode_batch_size: int = 4

    def __post_init__(self) -> None:
        for name in ("max_objects", "ring_capacity", "ring_stride", "encode_batch_size"):
            value = getattr(self, name)
            if value < 1:
                raise ConfigError(f"TrackerConfig.{name} must be >= 1, got {value}")
        if self.memory_dtype is not None and not self.memory_dtype.is_floating_point:
            raise ConfigError(
                f"TrackerConfig.memory_dtype must be a floating dtype or None, got "
                f"{self.memory_dtype}"
            )
