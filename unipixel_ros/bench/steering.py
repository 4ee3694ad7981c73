"""Real model weights chosen by hand so that the greedy answer is a given token chain.

For benchmarks and tests that need a known answer (a long one, one with ``<|seg|>``) from a
model of a real configuration without trained weights. Each token of the chain gets its own
embedding direction (scaled so it dominates the residual stream) and ``lm_head`` maps that
direction to the next token. The chain needs distinct tokens and at most ``hidden_size`` of
them.
"""

from __future__ import annotations

import itertools

import torch

from unipixel_ros.errors import ConfigError
from unipixel_ros.model import SEG_TOKEN, QwenTokenizer, UniPixelModel

__all__ = ["STEER_SCALE", "long_seg_answer", "steer_answer"]

STEER_SCALE = 100.0


def steer_answer(
    model: UniPixelModel, tokenizer: QwenTokenizer, answer_ids: list[int], *, after: str = "\n"
) -> None:
    """Make ``model`` answer ``answer_ids`` (then ``<|im_end|>``) after the text ``after``."""
    chain = tokenizer.encode(after)[-1:] + answer_ids + [tokenizer.token_id("<|im_end|>")]
    if len(set(chain[:-1])) != len(chain) - 1:
        raise ConfigError(f"steering needs distinct tokens, got {chain}")
    embed = model.model.language_model.embed_tokens.weight
    if len(chain) > embed.shape[1]:
        raise ConfigError(f"a chain of {len(chain)} tokens needs hidden_size >= {len(chain)}")
    with torch.no_grad():
        model.lm_head.weight.zero_()
        for dim, (token, following) in enumerate(itertools.pairwise(chain)):
            embed[token].zero_()
            embed[token, dim] = STEER_SCALE
            model.lm_head.weight[following, dim] = 1.0


def long_seg_answer(
    tokenizer: QwenTokenizer, filler_tokens: int, *, after: str = "\n"
) -> list[int]:
    """Token ids of an answer of ``filler_tokens`` distinct word tokens and then ``[0] <|seg|>``.

    Raises:
        ConfigError: the vocabulary has fewer distinct word tokens than asked for.
    """
    tail = tokenizer.encode(f"[0] {SEG_TOKEN}")
    taken = set(tail) | set(tokenizer.encode(after)[-1:])
    words = [i for i in range(tokenizer.vocab_size) if tokenizer.decode([i]).isalpha()]
    filler = [i for i in words if i not in taken][:filler_tokens]
    if len(filler) < filler_tokens:
        raise ConfigError(f"only {len(filler)} distinct word tokens, {filler_tokens} asked for")
    return filler + tail
