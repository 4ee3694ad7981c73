"""Greedy decoding that collects the LLM states behind every ``<|seg|>``.

A ``<|seg|>`` gets a mask from the pre-norm state of the position that *predicts* it:

* prompt (teacher forcing): position ``i`` where ``input_ids[i + 1]`` is ``<|seg|>``;
* generation: the position whose greedy argmax is ``<|seg|>``.

Prompt ``<|seg|>`` come first, then generated ones, in order (as the reference's ``model.seg``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch

from unipixel_ros.errors import BadInputError, CancelledError
from unipixel_ros.model.configuration import TokenIds
from unipixel_ros.model.mrope import MropePositions
from unipixel_ros.model.unipixel_model import UniPixelModel

__all__ = [
    "DecodeStep",
    "Generation",
    "GreedyDecoder",
    "TokenObserver",
    "check_prompt",
    "generate_greedy",
    "run_greedy_loop",
    "seg_predicting_positions",
]

TokenObserver = Callable[[tuple[int, ...]], bool]
"""Called with every token generated so far after each step; returning False cancels."""

DecodeStep = Callable[[int, int], tuple[torch.Tensor, torch.Tensor]]
"""One new token: (token id, its mRoPE position) -> next logits `(vocab,)` and the token's
pre-norm state `(1, D)`; the step appends the token to its KV cache."""


@dataclass(frozen=True)
class Generation:
    """Result of one greedy generation.

    Attributes:
        token_ids: generated ids, without the final stop token.
        seg_states (`torch.Tensor` of shape `(num_seg, D)`): pre-norm states behind each
            ``<|seg|>``, prompt ones first.
        num_prompt_segs: how many rows of ``seg_states`` come from the prompt.
    """

    token_ids: tuple[int, ...]
    seg_states: torch.Tensor
    num_prompt_segs: int


class GreedyDecoder(Protocol):
    """A faster decode loop with the contract of ``generate_greedy`` (e.g. the compiled
    static-cache loop of ``unipixel_ros.accel.parts.llm_decode``)."""

    def generate(
        self,
        *,
        input_ids: torch.Tensor,
        inputs_embeds: torch.Tensor,
        positions: MropePositions,
        max_new_tokens: int,
        stop_ids: frozenset[int],
        on_tokens: TokenObserver | None = None,
    ) -> Generation: ...


@torch.inference_mode()
def generate_greedy(
    model: UniPixelModel,
    *,
    input_ids: torch.Tensor,
    inputs_embeds: torch.Tensor,
    positions: MropePositions,
    max_new_tokens: int,
    stop_ids: frozenset[int],
    on_tokens: TokenObserver | None = None,
) -> Generation:
    """Prefill the prompt, then pick the argmax token until a stop id or ``max_new_tokens``.

    Args:
        model: the UniPixel model.
        input_ids (`torch.Tensor` of shape `(L,)`): prompt ids (to find prompt ``<|seg|>``).
        inputs_embeds (`torch.Tensor` of shape `(L, D)`): prompt embeddings with visual tokens,
            ``<|ref|>`` and ``<|mem|>`` already scattered in.
        positions: mRoPE ids of the prompt and the offset of later tokens.
        max_new_tokens: 0 runs the prefill only (teacher forcing).
        stop_ids: ids that end generation (not included in ``token_ids``).
        on_tokens: streaming observer; when it returns False generation stops.

    Raises:
        CancelledError: ``on_tokens`` returned False.
    """
    check_prompt(input_ids, inputs_embeds, max_new_tokens)
    device = model.device
    first = model.language_step(inputs_embeds, positions.position_ids.to(device), None)
    cache = first.cache

    def decode_step(token: int, position: int) -> tuple[torch.Tensor, torch.Tensor]:
        nonlocal cache
        embeds = model.embed_tokens(torch.tensor([token], device=device))
        step = model.language_step(embeds, torch.full((3, 1), position, device=device), cache)
        cache = step.cache
        return step.next_logits, step.prenorm

    generation, _ = run_greedy_loop(
        input_ids=input_ids,
        seg_id=TokenIds.from_config(model.config).seg,
        prefill=(first.next_logits, first.prenorm),
        decode_step=decode_step,
        position_offset=positions.delta,
        max_new_tokens=max_new_tokens,
        stop_ids=stop_ids,
        on_tokens=on_tokens,
    )
    return generation


def check_prompt(input_ids: torch.Tensor, inputs_embeds: torch.Tensor, max_new_tokens: int) -> None:
    """Refuse a prompt whose ids `(L,)` and embeddings `(L, D)` disagree, or a negative budget.

    Raises:
        BadInputError: with the shapes or the budget.
    """
    if input_ids.ndim != 1 or inputs_embeds.shape[0] != input_ids.shape[0]:
        raise BadInputError(
            f"input_ids (L,) and inputs_embeds (L, D) must agree, got {tuple(input_ids.shape)} "
            f"and {tuple(inputs_embeds.shape)}"
        )
    if max_new_tokens < 0:
        raise BadInputError(f"max_new_tokens must be >= 0, got {max_new_tokens}")


def seg_predicting_positions(input_ids: torch.Tensor, seg_id: int) -> torch.Tensor:
    """Positions `(n,)` (int64, on ``input_ids``' device) whose next token is ``<|seg|>``."""
    return torch.nonzero(input_ids[1:].eq(seg_id))[:, 0]


def run_greedy_loop(
    *,
    input_ids: torch.Tensor,
    seg_id: int,
    prefill: tuple[torch.Tensor, torch.Tensor],
    decode_step: DecodeStep,
    position_offset: int,
    max_new_tokens: int,
    stop_ids: frozenset[int],
    on_tokens: TokenObserver | None,
) -> tuple[Generation, torch.Tensor]:
    """The greedy loop every decoder shares; only the prefill and the one-token step differ.

    Args:
        input_ids (`torch.Tensor` of shape `(L,)`): prompt ids.
        seg_id: id of ``<|seg|>``.
        prefill: next logits `(vocab,)` after the prompt and its pre-norm states `(L, D)`.
        decode_step: runs one generated token (``DecodeStep``).
        position_offset: mRoPE offset of text after the prompt (``MropePositions.delta``).
        max_new_tokens, stop_ids, on_tokens: as in ``generate_greedy``.

    Returns:
        The generation, and the logits after its last position.

    Raises:
        CancelledError: ``on_tokens`` returned False.
    """
    logits, prenorm = prefill
    predicts_seg = seg_predicting_positions(input_ids, seg_id).to(prenorm.device)
    states = [prenorm[predicts_seg]]
    num_prompt = int(predicts_seg.numel())
    generated: list[int] = []
    length = int(input_ids.shape[0])
    for _ in range(max_new_tokens):
        token = int(logits.argmax())
        if token == seg_id:
            states.append(prenorm[-1:].clone())
        if token in stop_ids:
            break
        generated.append(token)
        if on_tokens is not None and not on_tokens(tuple(generated)):
            raise CancelledError(f"generation cancelled after {len(generated)} tokens")
        if len(generated) == max_new_tokens:
            break
        logits, prenorm = decode_step(token, length + position_offset)
        length += 1
    generation = Generation(
        token_ids=tuple(generated), seg_states=torch.cat(states), num_prompt_segs=num_prompt
    )
    return generation, logits
