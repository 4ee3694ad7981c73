"""``<|mem|>`` token count, order and the window-order pooling of the reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.model import (
    MemoryTokenOrder,
    layout_object_memory,
    pool_object_memory,
    prepare_qwen_video,
    vision_window_index,
)
from unipixel_ros.model.qwen_preprocessing import QwenVideoSpec


def test_window_index_is_the_order_the_vision_tower_runs_its_merger_in(_untied_model):
    # A 12x16 patch grid is 6x8 merged tokens: several 4x4 windows, partial ones included.
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (4, 168, 224, 3), dtype=np.uint8)
    spec = QwenVideoSpec(min_pixels=168 * 224, pixels_per_frame_budget=168 * 224)
    video = prepare_qwen_video(frames, spec=spec)
    assert video.grid_thw == (2, 12, 16)
    with torch.no_grad():
        features = _untied_model.encode_video(video.pixel_values, video.grid_thw)
        merged = _untied_model.model.visual.merger.mlp(features.merger_inputs)
    window_index = vision_window_index(video.grid_thw, window_tokens=4)
    assert sorted(window_index.tolist()) == list(range(2 * 6 * 8))
    torch.testing.assert_close(merged[torch.argsort(window_index)], features.embeds)


def test_memory_tokens_go_to_each_slot_an_object_touches_in_object_then_slot_order():
    masks = torch.zeros(5, 2, 30, 40, dtype=torch.bool)
    masks[0, 0, 5:10, 5:10] = True  # object 0 in frame 1 -> slot 0
    masks[4, 0, 20:25, 30:35] = True  # frame 5 -> slot 2 (frame 5 is paired with its copy)
    masks[2, 1, 0:3, 0:3] = True  # object 1 in frame 3 -> slot 1
    layout = layout_object_memory(masks, (3, 4, 4))
    assert layout.slots_per_object == ((0, 2), (1,))
    assert layout.num_tokens == 3
    assert layout.token_masks.shape == (3, 2, 2, 2)


def test_an_object_with_an_empty_mask_gets_a_memory_token_on_every_slot():
    masks = torch.zeros(4, 1, 8, 8, dtype=torch.bool)
    layout = layout_object_memory(masks, (2, 4, 4))
    assert layout.slots_per_object == ((0, 1),)
    assert bool(layout.token_masks.all())


def test_reference_order_pools_window_ordered_features_with_raster_masks():
    grid = (1, 12, 16)  # 6x8 tokens, windows of 4x4
    window_index = vision_window_index(grid, window_tokens=4)
    # Feature of window-order row i = the raster index of the token it really is.
    features = window_index.to(torch.float32)[:, None].repeat(1, 3)
    masks = torch.zeros(2, 1, 168, 224, dtype=torch.bool)  # at the grid's pixel size
    masks[:, 0, 0:28, 140:168] = True  # raster token 5 (row 0, column 5)
    masks[:, 0, 28:56, 0:28] = True  # raster token 8 (row 1, column 0)
    layout = layout_object_memory(masks, grid)
    raster = pool_object_memory(features, layout, grid_thw=grid, order=MemoryTokenOrder.RASTER)
    reference = pool_object_memory(features, layout, grid_thw=grid)
    assert raster[0, 0].item() == pytest.approx((5 + 8) / 2)
    expected = (window_index[5] + window_index[8]).item() / 2
    assert reference[0, 0].item() == pytest.approx(expected)
    assert reference[0, 0].item() != raster[0, 0].item()


def test_pooling_rejects_features_of_another_grid():
    layout = layout_object_memory(torch.ones(2, 1, 4, 4, dtype=torch.bool), (1, 4, 4))
    with pytest.raises(BadInputError, match="merger_inputs must have shape"):
        pool_object_memory(torch.zeros(5, 8), layout, grid_thw=(1, 4, 4))
