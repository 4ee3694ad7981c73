"""Real model weights chosen by hand so that the greedy answer is a given token chain.

Each token of the chain gets its own embedding direction (scaled so it dominates the residual
stream) and ``lm_head`` maps that direction to the next token. The chain needs distinct tokens
and at most ``hidden_size`` of them.
"""

from __future__ import annotations

import itertools

import torch

from unipixel_ros.model import QwenTokenizer, UniPixelModel

STEER_SCALE = 100.0


def steer_answer(
    model: UniPixelModel, tokenizer: QwenTokenizer, answer_ids: list[int], *, after: str = "\n"
) -> None:
    """Make ``model`` answer ``answer_ids`` (then ``<|im_end|>``) after the text ``after``."""
    chain = tokenizer.encode(after)[-1:] + answer_ids + [tokenizer.token_id("<|im_end|>")]
    if len(set(chain[:-1])) != len(chain) - 1:
        raise ValueError(f"steering needs distinct tokens, got {chain}")
    embed = model.model.language_model.embed_tokens.weight
    if len(chain) > embed.shape[1]:
        raise ValueError(f"a chain of {len(chain)} tokens needs hidden_size >= {len(chain)}")
    with torch.no_grad():
        model.lm_head.weight.zero_()
        for dim, (token, following) in enumerate(itertools.pairwise(chain)):
            embed[token].zero_()
            embed[token, dim] = STEER_SCALE
            model.lm_head.weight[following, dim] = 1.0
