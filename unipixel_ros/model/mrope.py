"""3-D rotary position ids (mRoPE) of a prompt with video tokens, as the released models saw them.

UniPixel was trained with transformers 4.53.3, where the text that follows a video continues at
``1 + max(all three position rows so far)``; the max includes the temporal row. transformers 5.x
(``Qwen2_5_VLModel.get_rope_index``, 5.17 to 5.23 at least) continues at
``start + max(grid_h, grid_w) / merge`` instead, ignoring the temporal extent: for 16 frames on a
small grid the two disagree. We compute the 4.53 positions here and pass them explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch

from unipixel_ros.errors import BadInputError

__all__ = ["MropePositions", "mrope_positions"]


class MropePositions(NamedTuple):
    """Position ids of shape `(3, L)` int64, and the offset of the tokens generated later."""

    position_ids: torch.Tensor
    delta: int


def _video_spans(is_video: torch.Tensor) -> list[tuple[int, int]]:
    flags = is_video.tolist()
    spans: list[tuple[int, int]] = []
    start = None
    for index, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            spans.append((start, index))
            start = None
    return spans


def mrope_positions(
    input_ids: torch.Tensor,
    *,
    video_token_id: int,
    video_grid_thw: Sequence[Sequence[int]],
    spatial_merge_size: int,
    tokens_per_second: float,
    seconds_per_grid: float = 1.0,
) -> MropePositions:
    """3-D position ids of one prompt, the transformers 4.53 way.

    Args:
        input_ids (`torch.Tensor` of shape `(L,)`): token ids; each video is one contiguous run
            of ``video_token_id``.
        video_token_id: id of ``<|video_pad|>``.
        video_grid_thw: per video, ``(t, h, w)`` of the patch grid (before the spatial merge).
        spatial_merge_size: spatial merge of the vision merger (2).
        tokens_per_second: ``vision_config.tokens_per_second`` (2 for Qwen2.5-VL).
        seconds_per_grid: seconds per temporal patch (temporal patch 2 / fps 2 = 1.0 in UniPixel).

    Returns:
        ``MropePositions``: position ids `(3, L)` int64 on the device of ``input_ids``, and
        ``delta`` such that the token at sequence index ``i >= L`` has position ``i + delta``.
    """
    if input_ids.ndim != 1:
        raise BadInputError(f"input_ids must be 1-D, got shape {tuple(input_ids.shape)}")
    spans = _video_spans(input_ids == video_token_id)
    if len(spans) != len(video_grid_thw):
        raise BadInputError(
            f"prompt has {len(spans)} runs of video tokens but {len(video_grid_thw)} grids"
        )
    device = input_ids.device
    pieces: list[torch.Tensor] = []
    cursor = 0

    def next_start() -> int:
        return int(pieces[-1].max()) + 1 if pieces else 0

    for (start, end), (grid_t, grid_h, grid_w) in zip(spans, video_grid_thw, strict=True):
        llm_h, llm_w = grid_h // spatial_merge_size, grid_w // spatial_merge_size
        if end - start != grid_t * llm_h * llm_w:
            raise BadInputError(
                f"video run has {end - start} tokens, grid {(grid_t, grid_h, grid_w)} needs "
                f"{grid_t * llm_h * llm_w}"
            )
        base = next_start()
        text_len = start - cursor
        pieces.append(torch.arange(text_len, device=device).expand(3, -1) + base)
        steps = torch.arange(grid_t, device=device, dtype=torch.float64)
        t_index = (steps * seconds_per_grid * tokens_per_second).long()
        t_index = t_index.view(-1, 1, 1).expand(-1, llm_h, llm_w)
        h_index = torch.arange(llm_h, device=device).view(1, -1, 1).expand(grid_t, -1, llm_w)
        w_index = torch.arange(llm_w, device=device).view(1, 1, -1).expand(grid_t, llm_h, -1)
        grid = torch.stack([t_index.flatten(), h_index.flatten(), w_index.flatten()])
        pieces.append(grid + base + text_len)
        cursor = end
    if cursor < input_ids.shape[0]:
        base = next_start()
        pieces.append(torch.arange(input_ids.shape[0] - cursor, device=device).expand(3, -1) + base)
    position_ids = torch.cat(pieces, dim=1)
    delta = int(position_ids.max()) + 1 - input_ids.shape[0]
    return MropePositions(position_ids, delta)
