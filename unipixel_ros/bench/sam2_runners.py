"""Our SAM 2.1 parts, prepared on one backend for the benchmark (falling back per part)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from unipixel_ros.accel.backends.fallback import prepare_with_fallback
from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.protocol import InferenceBackend, PartRunner
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.image_encoder import image_encoder_part
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
from unipixel_ros.accel.parts.sam2.memory_attention import memory_attention_part
from unipixel_ros.accel.parts.sam2.memory_encoder import memory_encoder_part
from unipixel_ros.accel.parts.sam2.prompt_decoder import prompt_decoder_part
from unipixel_ros.sam import Sam2Model

__all__ = ["Sam2Runners", "pipeline_parts", "prepare_sam2_runners"]


@dataclass(frozen=True)
class Sam2Runners:
    """The SAM 2.1 parts, ready to call on one backend.

    Args:
        image_encoder: `frames (T,3,S,S)` -> image_embed, high_res_feat_0/1, image_pos.
        click_decoder: points-only decoder with multimask output (a first click).
        track_decoder: points-only decoder for tracked frames (one padding point, label -1);
            multimask as the model's ``multimask_output_for_tracking`` says.
        hidden_decoder: decoder with the K ``<|seg|>`` tokens (UniPixel's language prompt).
        memory_attention: conditions the frame on each object's memory.
        memory_encoder: writes each object's memory.
        backends: part name -> backend that prepared it.
        reasons: the distinct fallback / selection lines, in order.
    """

    image_encoder: PartRunner
    click_decoder: PartRunner
    track_decoder: PartRunner
    hidden_decoder: PartRunner
    memory_attention: PartRunner
    memory_encoder: PartRunner
    backends: Mapping[str, BackendName]
    reasons: tuple[str, ...]


def pipeline_parts(
    model: Sam2Model, *, limits: Sam2PartLimits, hidden_tokens: int
) -> dict[str, AcceleratedPart]:
    """The parts the pipeline runs, keyed by their role in :class:`Sam2Runners`."""
    tracking_multimask = bool(model.multimask_output_for_tracking)
    return {
        "image_encoder": image_encoder_part(model, limits=limits),
        "click_decoder": prompt_decoder_part(model, limits=limits, multimask_output=True),
        "track_decoder": prompt_decoder_part(
            model, limits=limits, multimask_output=tracking_multimask
        ),
        "hidden_decoder": prompt_decoder_part(
            model, limits=limits, num_hidden_tokens=hidden_tokens, multimask_output=True
        ),
        "memory_attention": memory_attention_part(model, limits=limits),
        "memory_encoder": memory_encoder_part(model, limits=limits),
    }


def prepare_sam2_runners(
    model: Sam2Model,
    *,
    requested: BackendName | str,
    device: torch.device,
    backends: Mapping[BackendName, InferenceBackend],
    hidden_tokens: int,
    limits: Sam2PartLimits | None = None,
) -> Sam2Runners:
    """Prepare every part on ``requested`` (falling back per part where it cannot run).

    Args:
        model: SAM 2.1 on ``device`` in float32, eval mode.
        requested: backend name from the command line.
        device: where the parts run.
        backends: the backend mapping (:func:`unipixel_ros.accel.make_backends`).
        hidden_tokens: K of the ``<|seg|>`` prompt (UniPixel: 2).
        limits: shape ranges for TensorRT profiles (default :class:`Sam2PartLimits`).
    """
    parts = pipeline_parts(model, limits=limits or Sam2PartLimits(), hidden_tokens=hidden_tokens)
    prepared = {
        role: prepare_with_fallback(part, requested=requested, device=device, backends=backends)
        for role, part in parts.items()
    }
    reasons = tuple(dict.fromkeys(p.reason for p in prepared.values()))
    return Sam2Runners(
        **{role: p.runner for role, p in prepared.items()},
        backends={parts[role].name: p.backend for role, p in prepared.items()},
        reasons=reasons,
    )
