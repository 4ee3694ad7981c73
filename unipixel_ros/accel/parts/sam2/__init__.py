"""SAM 2.1 as four exportable parts: image encoder, prompt decoder, memory attention, encoder."""

from __future__ import annotations

from unipixel_ros.accel.parts.sam2.image_encoder import Sam2ImageEncoderPart, image_encoder_part
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
from unipixel_ros.accel.parts.sam2.memory_attention import (
    Sam2MemoryAttentionPart,
    memory_attention_part,
)
from unipixel_ros.accel.parts.sam2.memory_encoder import (
    Sam2MemoryEncoderPart,
    memory_encoder_part,
)
from unipixel_ros.accel.parts.sam2.prompt_decoder import (
    Sam2PromptDecoderPart,
    prompt_decoder_part,
)

__all__ = [
    "Sam2ImageEncoderPart",
    "Sam2MemoryAttentionPart",
    "Sam2MemoryEncoderPart",
    "Sam2PartLimits",
    "Sam2PromptDecoderPart",
    "image_encoder_part",
    "memory_attention_part",
    "memory_encoder_part",
    "prompt_decoder_part",
]
