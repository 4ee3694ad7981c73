"""Strict checkpoint loading: every key present, none extra, every shape equal, or an error
that lists what is wrong."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import torch

from unipixel_ros.errors import CheckpointError

__all__ = ["check_state_dict"]

LISTED_KEYS = 8


def _listing(title: str, keys: list[str]) -> str:
    more = f" (+{len(keys) - LISTED_KEYS} more)" if len(keys) > LISTED_KEYS else ""
    return f"{len(keys)} {title}: {', '.join(keys[:LISTED_KEYS])}{more}"


def check_state_dict(
    expected: Mapping[str, torch.Tensor],
    state_dict: Mapping[str, torch.Tensor],
    *,
    what: str,
    optional: Collection[str] = (),
) -> None:
    """Raise `CheckpointError` unless ``state_dict`` fits ``expected`` key for key and shape.

    Args:
        expected: the model's own state dict (shapes are all that is read).
        state_dict: the checkpoint's tensors, under the model's names.
        what: names the checkpoint in the message, e.g. "weights from /ckpt do not fit UniPixel".
        optional: keys the checkpoint may leave out (e.g. a tied ``lm_head.weight``).
    """
    missing = sorted(set(expected) - set(state_dict) - set(optional))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = sorted(
        f"{k} {tuple(state_dict[k].shape)} != {tuple(expected[k].shape)}"
        for k in set(expected) & set(state_dict)
        if tuple(state_dict[k].shape) != tuple(expected[k].shape)
    )
    problems = [
        _listing(title, keys)
        for title, keys in (
            ("missing keys", missing),
            ("unexpected keys", unexpected),
            ("shape mismatches (checkpoint != model)", mismatched),
        )
        if keys
    ]
    if problems:
        raise CheckpointError(f"{what}: " + "; ".join(problems))
