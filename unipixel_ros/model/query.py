"""A query's inputs, before the LLM runs: the frames it samples, its prompt text and ids, its
video with the vision features, and the ``<|ref|>`` embeddings of its visual prompts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.model.chat import chatml_prompt, memory_prefix
from unipixel_ros.model.configuration import window_tokens_of
from unipixel_ros.model.object_memory import (
    MemoryTokenOrder,
    layout_object_memory,
    pool_object_memory,
)
from unipixel_ros.model.outputs import VisualPrompt
from unipixel_ros.model.qwen_preprocessing import (
    QwenVideoInput,
    QwenVideoSpec,
    prepare_qwen_video,
    sample_frame_indices,
)
from unipixel_ros.model.tokenizer import QwenTokenizer
from unipixel_ros.model.unipixel_model import RefPrompt, UniPixelModel, VisionFeatures
from unipixel_ros.sam import to_model_coordinates

__all__ = [
    "MemoryQuery",
    "Query",
    "as_frame_list",
    "prepare_memory_query",
    "prepare_query",
    "ref_embeddings",
    "sample_frame_indices_keeping",
    "stack_object_masks",
]


@dataclass(frozen=True)
class Query:
    """A prepared prompt: its text and ids, and the video (patches and vision features).

    Attributes:
        prompt: the ChatML prompt text.
        input_ids (`torch.Tensor` of shape `(L,)`): its int64 ids, on the CPU.
        video: the LLM's frames as patches.
        vision: their vision-tower features.
    """

    prompt: str
    input_ids: torch.Tensor
    video: QwenVideoInput
    vision: VisionFeatures


@dataclass(frozen=True, kw_only=True)
class MemoryQuery:
    """A prepared memory pass (PixelQA pass 2).

    Attributes:
        query: the prompt, with one ``<|mem|>`` per (object, slot), and its video.
        mem (`torch.Tensor` of shape `(num_mem_tokens, D)`): the ``<|mem|>`` embeddings.
        slots_per_object: object id -> the temporal slots that got a ``<|mem|>``.
        prompt_text: the user text (memory prefix + question).
    """

    query: Query
    mem: torch.Tensor
    slots_per_object: dict[int, tuple[int, ...]]
    prompt_text: str


def as_frame_list(frames: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    """`(T, H, W, 3)` array or a non-empty sequence of `(H, W, 3)` frames -> list of frames."""
    if isinstance(frames, np.ndarray):
        if frames.ndim != 4:
            raise BadInputError(f"frames must have shape (T, H, W, 3), got {frames.shape}")
        return [frames[i] for i in range(frames.shape[0])]
    frame_list = list(frames)
    if not frame_list:
        raise BadInputError("need at least one frame")
    return frame_list


def sample_frame_indices_keeping(
    num_frames: int, sample_frames: int, keep: Sequence[int]
) -> list[int]:
    """Uniform sample that contains every prompted frame (nearest sample replaced)."""
    indices = sample_frame_indices(num_frames, sample_frames)
    for frame in keep:
        if not 0 <= frame < num_frames:
            raise BadInputError(f"prompt frame {frame} outside the {num_frames} frames")
        if frame not in indices:
            nearest = min(range(len(indices)), key=lambda i: abs(indices[i] - frame))
            indices[nearest] = frame
    return sorted(set(indices))


def prepare_query(
    model: UniPixelModel,
    tokenizer: QwenTokenizer,
    frames: list[np.ndarray],
    question: str,
    *,
    spec: QwenVideoSpec,
    response: str | None = None,
) -> Query:
    """Resize ``frames`` for the LLM, encode them, and write and tokenise the prompt.

    Args:
        model: the UniPixel model (its vision tower).
        tokenizer: the model's tokenizer.
        frames: `(H, W, 3)` uint8 RGB frames the LLM sees.
        question: user text.
        spec: frame sampling and pixel budget.
        response: teacher-forced assistant text, or None.
    """
    video = prepare_qwen_video(frames, spec=spec)
    prompt = chatml_prompt(question, num_video_tokens=video.num_tokens, response=response)
    input_ids = torch.tensor(tokenizer.encode(prompt), dtype=torch.long)
    vision = model.encode_video(video.pixel_values, video.grid_thw)
    return Query(prompt=prompt, input_ids=input_ids, video=video, vision=vision)


def ref_embeddings(
    model: UniPixelModel,
    frame_list: list[np.ndarray],
    indices: list[int],
    prompts: Sequence[VisualPrompt],
    *,
    grid_t: int,
) -> torch.Tensor:
    """``<|ref|>`` embeddings of visual prompts, one per prompt in order.

    Args:
        model: the UniPixel model (its SAM 2.1 prompt encoder and ``ref_proj``).
        frame_list: every input frame (prompts are in their frame's pixels).
        indices: the sampled frames; each prompt's frame is among them.
        prompts: one point or box per object.
        grid_t: temporal slots of the query's video.
    """
    size = model.sizes.image_size
    refs = []
    for prompt in prompts:
        height, width = frame_list[prompt.frame_index].shape[:2]
        xy, labels = prompt.sam_points()
        coords = to_model_coordinates(xy, frame_height=height, frame_width=width, image_size=size)
        refs.append(
            RefPrompt(coords=coords, labels=labels, frame_index=indices.index(prompt.frame_index))
        )
    return model.embed_ref_prompts(refs, grid_t=grid_t)


def stack_object_masks(
    object_masks: Mapping[int, np.ndarray], num_frames: int, indices: list[int]
) -> torch.Tensor:
    """Each object's masks on the sampled frames, checked and stacked.

    Args:
        object_masks: object id -> `np.ndarray` of shape `(num_frames, H_m, W_m)` bool.
        num_frames: frames of the clip the masks belong to.
        indices: the sampled frames.

    Returns:
        `torch.Tensor` of shape `(len(indices), num_objects, H_m, W_m)`, bool.
    """
    stacked = []
    for object_id, masks in object_masks.items():
        if masks.ndim != 3 or masks.shape[0] != num_frames:
            raise BadInputError(
                f"masks of object {object_id} must have shape ({num_frames}, H, W), "
                f"got {masks.shape}"
            )
        stacked.append(torch.from_numpy(np.ascontiguousarray(masks[indices])).bool())
    shapes = {tuple(m.shape) for m in stacked}
    if len(shapes) != 1:
        raise BadInputError(f"all object masks must share a shape, got {sorted(shapes)}")
    return torch.stack(stacked, dim=1)


def prepare_memory_query(
    model: UniPixelModel,
    tokenizer: QwenTokenizer,
    sampled: list[np.ndarray],
    question: str,
    object_ids: list[int],
    masks: torch.Tensor,
    *,
    spec: QwenVideoSpec,
    order: MemoryTokenOrder,
    answer_prefix: str,
) -> MemoryQuery:
    """Pool each object's masks into ``<|mem|>`` embeddings and write the memory prompt.

    Args:
        model: the UniPixel model (vision tower and memory projection).
        tokenizer: the model's tokenizer.
        sampled: `(H, W, 3)` uint8 RGB frames the LLM sees.
        question: refers to objects as ``"[N]"``.
        object_ids: the objects' ids, in the order of ``masks``' object axis.
        masks (`torch.Tensor` of shape `(len(sampled), num_objects, H_m, W_m)`): bool.
        spec: frame sampling and pixel budget.
        order: pooling order of ``<|mem|>`` features.
        answer_prefix: text the assistant turn starts with.
    """
    video = prepare_qwen_video(sampled, spec=spec)
    layout = layout_object_memory(masks, video.grid_thw)
    slots = {oid: layout.slots_per_object[i] for i, oid in enumerate(object_ids)}
    prompt_text = memory_prefix(len(sampled), {k: list(v) for k, v in slots.items()}) + question
    vision = model.encode_video(video.pixel_values, video.grid_thw)
    pooled = pool_object_memory(
        vision.merger_inputs,
        layout,
        grid_thw=video.grid_thw,
        order=order,
        window_tokens=window_tokens_of(model.config),
    )
    mem = model.embed_object_memory(pooled)
    prompt = chatml_prompt(prompt_text, num_video_tokens=video.num_tokens) + answer_prefix
    input_ids = torch.tensor(tokenizer.encode(prompt), dtype=torch.long)
    query = Query(prompt=prompt, input_ids=input_ids, video=video, vision=vision)
    return MemoryQuery(query=query, mem=mem, slots_per_object=slots, prompt_text=prompt_text)
