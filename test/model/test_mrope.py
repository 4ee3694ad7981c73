from __future__ import annotations

import torch

from unipixel_ros.model import mrope_positions


def _ids(
    text_before: int, grid_thw: tuple[int, int, int], text_after: int, video_id: int = 7
) -> torch.Tensor:
    t, h, w = grid_thw
    return torch.tensor([1] * text_before + [video_id] * (t * h * w // 4) + [2] * text_after)


def _positions(ids: torch.Tensor, grid_thw):
    return mrope_positions(
        ids, video_token_id=7, video_grid_thw=[grid_thw], spatial_merge_size=2, tokens_per_second=2
    )


def test_positions_agree_with_transformers_when_the_frame_is_wider_than_the_clip_is_long(
    _untied_model,
):
    grid = (2, 8, 12)
    ids = _ids(5, grid, 4)
    ours = _positions(ids, grid)
    theirs, delta = _untied_model.model.get_rope_index(
        ids[None],
        mm_token_type_ids=((ids == 7).int() * 2)[None],
        video_grid_thw=torch.tensor([grid]),
        second_per_grid_ts=torch.tensor([1.0]),
    )
    assert torch.equal(ours.position_ids, theirs[:, 0])
    assert ours.delta == int(delta)


def test_text_after_a_long_clip_continues_after_the_temporal_positions():
    grid = (8, 4, 4)  # 16 frames on a 2x2 token grid: temporal positions reach 14
    ids = _ids(3, grid, 2)
    positions = _positions(ids, grid).position_ids
    video = positions[:, 3:-2]
    assert int(video[0].max()) == 3 + 2 * (8 - 1)
    assert positions[:, -2].tolist() == [int(video.max()) + 1] * 3


def test_generated_tokens_continue_from_the_prompt_with_the_delta():
    grid = (1, 4, 6)
    ids = _ids(2, grid, 3)
    result = _positions(ids, grid)
    last = int(result.position_ids[0, -1])
    assert len(ids) + result.delta == last + 1
