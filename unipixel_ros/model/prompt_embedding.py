"""The LLM input of a prompt: token embeddings with the video, ``<|ref|>`` and ``<|mem|>``
embeddings spliced in at their placeholder tokens, and the prompt's mRoPE positions.

The predictor's flows and the nano trainer's language tasks build their inputs here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.model.configuration import TokenIds, vision_config_of
from unipixel_ros.model.mrope import MropePositions, mrope_positions
from unipixel_ros.model.unipixel_model import UniPixelModel

__all__ = ["PromptInputs", "embed_prompt"]


@dataclass(frozen=True)
class PromptInputs:
    """A prompt ready for the language model.

    Attributes:
        input_ids (`torch.Tensor` of shape `(L,)`): int64 ids on the model's device.
        inputs_embeds (`torch.Tensor` of shape `(L, D)`): embeddings in the LLM dtype, visual
            tokens, ``<|ref|>`` and ``<|mem|>`` already spliced in.
        positions: mRoPE ids of the prompt and the offset of later tokens.
    """

    input_ids: torch.Tensor
    inputs_embeds: torch.Tensor
    positions: MropePositions


def embed_prompt(
    model: UniPixelModel,
    input_ids: torch.Tensor,
    *,
    token_ids: TokenIds,
    grid_thw: tuple[int, int, int],
    video: torch.Tensor,
    ref: torch.Tensor | None = None,
    mem: torch.Tensor | None = None,
) -> PromptInputs:
    """Embed ``input_ids`` and splice every placeholder token's embedding in, in order.

    Args:
        model: the UniPixel model.
        input_ids (`torch.Tensor` of shape `(L,)`): int64 prompt ids (any device).
        token_ids: ids of the placeholder tokens.
        grid_thw: ``(t, h, w)`` patch grid of the prompt's one video.
        video (`torch.Tensor` of shape `(num_video_tokens, D)`): merged vision features.
        ref (`torch.Tensor` of shape `(num_ref_tokens, D)`): ``<|ref|>`` embeddings, or None.
        mem (`torch.Tensor` of shape `(num_mem_tokens, D)`): ``<|mem|>`` embeddings, or None.

    Raises:
        BadInputError: a placeholder token count differs from its number of embeddings.
    """
    config = model.config
    ids = input_ids.to(model.device)
    embeds = model.embed_tokens(ids).clone()
    replacements = {
        token_ids.video: ("video", video),
        token_ids.ref: ("ref", ref),
        token_ids.mem: ("mem", mem),
    }
    for token_id, (name, values) in replacements.items():
        where = ids.eq(token_id)
        count = int(where.sum())
        have = 0 if values is None else int(values.shape[0])
        if count != have:
            raise BadInputError(f"prompt has {count} {name} tokens but {have} {name} embeddings")
        if count and values is not None:
            embeds[where] = values.to(embeds.dtype)
    positions = mrope_positions(
        input_ids.cpu(),
        video_token_id=token_ids.video,
        video_grid_thw=[grid_thw],
        spatial_merge_size=vision_config_of(config).spatial_merge_size,
        tokens_per_second=vision_config_of(config).tokens_per_second,
    )
    return PromptInputs(input_ids=ids, inputs_embeds=embeds, positions=positions)
