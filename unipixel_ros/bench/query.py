"""End-to-end language query: N camera frames + a question -> answer tokens + masks on every
frame, timed on our path and on the reference path.

Ours: Qwen preprocessing -> vision tower -> prefill + greedy decode (our loop) -> ``seg_head``
on the ``<|seg|>`` state -> SAM 2.1 preprocessing of the N frames -> image encoder part (all
frames) -> hidden-state decoder part on frame 0 -> memory encoder part -> one tracking step per
later frame -> masks at the frame size. Later frames are timed with a full memory window (an
upper bound for the first frames of a clip, whose windows are not full yet).

Reference: the same Qwen preprocessing -> transformers ``generate`` (same tokens) -> the
``sam2`` video predictor on the same frames: one click on frame 0 (the package has no
hidden-state prompt; a click costs the same decoder pass) and ``propagate_in_video``.
"""

from __future__ import annotations

import numpy as np
import torch

from unipixel_ros.bench.llm import LlmStageBench
from unipixel_ros.bench.sam2 import Sam2StageBench
from unipixel_ros.bench.sam2_runners import Sam2Runners
from unipixel_ros.bench.stage_timing import StageResult, StageTimer
from unipixel_ros.bench.steady_memory import SteadyMemory
from unipixel_ros.model import QwenVideoSpec, UniPixelModel, prepare_qwen_video
from unipixel_ros.sam import masks_from_logits, preprocess_frames

__all__ = ["language_query_stage", "qwen_preprocess_stage"]


def qwen_preprocess_stage(
    frames: np.ndarray, *, spec: QwenVideoSpec, repeats: int, warmup: int
) -> StageResult:
    """Qwen2.5-VL preprocessing of the query frames (PIL resize, normalise, patch; CPU)."""
    timer = StageTimer(device=torch.device("cpu"), repeats=repeats, warmup=warmup)
    video = prepare_qwen_video(frames, spec=spec)
    height, width = frames.shape[1:3]
    return timer.stage(
        "qwen_preprocess",
        lambda: prepare_qwen_video(frames, spec=spec),
        detail=f"{frames.shape[0]} frames of {width}x{height} -> grid {video.grid_thw}",
    )


def language_query_stage(
    *,
    model: UniPixelModel,
    runners: Sam2Runners,
    llm: LlmStageBench,
    sam: Sam2StageBench,
    memory: SteadyMemory,
    frames: np.ndarray,
    spec: QwenVideoSpec,
    answer_tokens: int,
    device: torch.device,
    repeats: int,
    warmup: int,
    max_frames_per_encoder_call: int,
) -> StageResult:
    """Time one language query over ``frames`` end to end, ours and the reference.

    Args:
        model: UniPixel (its SAM 2.1 is the one ``runners`` and ``sam`` wrap).
        runners: our SAM 2.1 parts on the chosen backend.
        llm: LLM stage bench of the same query (prompt ids, reference generator).
        sam: SAM 2.1 stage bench (for the package predictor and its state helper).
        memory: a full memory window for one object.
        frames (`np.ndarray` of shape `(N, H, W, 3)`, uint8): the query's frames.
        spec: Qwen frame sampling and pixel budget.
        answer_tokens: tokens generated after the prompt (the prompt ends with ``<|seg|>``).
        device: where the models run.
        repeats: timed repeats.
        warmup: untimed calls.
        max_frames_per_encoder_call: image-encoder batch limit (the TensorRT profile's).
    """
    sam2 = model.sam2
    size = sam2.image_size
    height, width = frames.shape[1:3]
    no_mem = sam2.no_mem_embed.view(1, -1, 1, 1)

    def ours() -> object:
        video = prepare_qwen_video(frames, spec=spec)
        vision = model.encode_video(video.pixel_values.to(device), video.grid_thw)
        generation = llm.generate(answer_tokens, embeds=llm.embed(vision.embeds))
        tokens = model.seg_prompt_tokens(generation.seg_states[:1])
        images = preprocess_frames(frames, image_size=size, device=device)
        encoded = [
            runners.image_encoder(images[start : start + max_frames_per_encoder_call])
            for start in range(0, images.shape[0], max_frames_per_encoder_call)
        ]
        embed, hr0, hr1, pos = (torch.cat([e[i] for e in encoded]) for i in range(4))
        coords = torch.zeros(1, 1, 2, device=device)
        labels = torch.full((1, 1), -1, dtype=torch.int32, device=device)
        decoded = runners.hidden_decoder(
            embed[:1] + no_mem, hr0[:1], hr1[:1], coords, labels, tokens
        )
        masks = [masks_from_logits(decoded[2], decoded[4], (height, width))]
        runners.memory_encoder(embed[:1], decoded[2], decoded[4])
        for t in range(1, frames.shape[0]):
            frame = (embed[t : t + 1], hr0[t : t + 1], hr1[t : t + 1], pos[:1])
            best, score, _, _ = sam.ours_track_step(frame, memory)
            masks.append(masks_from_logits(best, score, (height, width)))
        return masks

    predictor = sam.package_predictor
    state = sam.package_state(frames, "language_query")
    click = torch.tensor([[width / 2, height / 2]])

    def reset() -> None:
        predictor.reset_state(state)
        state["cached_features"] = {}

    def reference() -> object:
        llm.reference_generate(answer_tokens, video=prepare_qwen_video(frames, spec=spec))
        state["images"] = preprocess_frames(frames, image_size=size, device=device)
        predictor.add_new_points_or_box(
            state, frame_idx=0, obj_id=0, points=click, labels=torch.ones(1, dtype=torch.int32)
        )
        return [masks > 0 for _, _, masks in predictor.propagate_in_video(state)]

    return StageTimer(device=device, repeats=repeats, warmup=warmup).stage(
        "language_query",
        ours,
        reference=reference,
        reference_setup=reset,
        detail=f"{frames.shape[0]} frames of {width}x{height}, {answer_tokens} answer tokens, "
        "masks on every frame; reference: generate + package predictor",
    )
