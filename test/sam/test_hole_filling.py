"""Hole filling of low-res masks: known holes and islands, and the CUDA-path labelling (run here on
CPU) against OpenCV's connected components."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.sam.hole_filling import (
    HOLE_FILL_LOGIT,
    _opencv_components,
    _propagated_components,
    background_components,
    fill_holes,
)


def _logits(foreground: np.ndarray) -> torch.Tensor:
    """+5 inside, -5 outside, as (1, 1, H, W) float32."""
    return torch.from_numpy(np.where(foreground, 5.0, -5.0).astype(np.float32))[None, None]


def _ring_with_holes() -> np.ndarray:
    """A 20x20 foreground square with a 2x2 hole, a 3x3 hole and a diagonal 1-pixel pair."""
    foreground = np.zeros((32, 32), bool)
    foreground[4:24, 4:24] = True
    foreground[8:10, 8:10] = False  # 4 pixels
    foreground[14:17, 14:17] = False  # 9 pixels
    foreground[20, 6] = foreground[21, 7] = False  # 8-connected pair: one hole of 2
    return foreground


def test_holes_up_to_max_area_are_filled_and_larger_ones_kept() -> None:
    foreground = _ring_with_holes()
    filled = fill_holes(_logits(foreground), max_area=8)[0, 0].numpy()
    assert (filled[8:10, 8:10] == np.float32(HOLE_FILL_LOGIT)).all()
    assert filled[20, 6] == filled[21, 7] == np.float32(HOLE_FILL_LOGIT)
    assert (filled[14:17, 14:17] == -5.0).all(), "a 9-pixel hole is larger than max_area 8"
    assert (filled[foreground] == 5.0).all()
    assert (filled[:4] == -5.0).all(), "the large outer background stays"


def test_foreground_islands_are_left_alone() -> None:
    foreground = np.zeros((16, 16), bool)
    foreground[3, 3] = foreground[10:12, 10:12] = True
    logits = _logits(foreground)
    torch.testing.assert_close(fill_holes(logits, max_area=8), logits, rtol=0, atol=0)


def test_a_small_background_region_at_the_border_counts_as_a_hole() -> None:
    # As in SAM 2.1: every background component of at most max_area pixels is a hole.
    foreground = np.ones((12, 12), bool)
    foreground[0, 0:3] = False
    filled = fill_holes(_logits(foreground), max_area=8)[0, 0]
    assert (filled[0, 0:3] == HOLE_FILL_LOGIT).all()


def test_every_mask_of_a_batch_is_filled_on_its_own() -> None:
    first, second = _ring_with_holes(), np.ones((32, 32), bool)
    second[0:3, 0:3] = False  # 9 pixels: kept
    filled = fill_holes(torch.cat([_logits(first), _logits(second)]), max_area=8)
    assert filled[0, 0, 8, 8] == HOLE_FILL_LOGIT
    assert (filled[1, 0, 0:3, 0:3] == -5.0).all()


@pytest.mark.parametrize("seed", range(6))
def test_propagated_labels_partition_pixels_as_opencv_does(seed: int) -> None:
    rng = np.random.default_rng(seed)
    density = 0.35 + 0.05 * seed
    background = torch.from_numpy(rng.random((3, 1, 40, 56)) < density)
    cv_labels, cv_areas = _opencv_components(background)
    torch_labels, torch_areas = _propagated_components(background)
    torch.testing.assert_close(torch_areas, cv_areas, rtol=0, atol=0)
    for mask in range(3):
        named = zip(
            cv_labels[mask].flatten().tolist(), torch_labels[mask].flatten().tolist(), strict=True
        )
        pairs = set(named)
        # The two labellings are a bijection: the same components, named differently.
        assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})


def test_a_long_spiral_converges_to_one_component() -> None:
    size = 33
    spiral = np.zeros((size, size), bool)
    top, left, bottom, right = 0, 0, size - 1, size - 1
    while top <= bottom and left <= right:
        spiral[top, left : right + 1] = True
        spiral[top : bottom + 1, right] = True
        spiral[bottom, left : right + 1] = True
        spiral[top + 2 : bottom + 1, left] = True
        top, left, bottom, right = top + 2, left + 2, bottom - 2, right - 2
        if top <= bottom:
            spiral[top, left - 2 : left] = True
    background = torch.from_numpy(spiral)[None, None]
    labels, areas = _propagated_components(background)
    cv_labels, cv_areas = _opencv_components(background)
    torch.testing.assert_close(areas, cv_areas, rtol=0, atol=0)
    assert len(torch.unique(labels[background])) == len(torch.unique(cv_labels[background]))


def test_cpu_tensors_use_opencv_and_shapes_are_checked() -> None:
    labels, areas = background_components(torch.zeros(2, 1, 4, 4, dtype=torch.bool))
    assert labels.shape == areas.shape == (2, 1, 4, 4)
    assert int(areas.sum()) == 0
    with pytest.raises(BadInputError, match=r"\(num_masks, 1, height, width\), got \(4, 4\)"):
        fill_holes(torch.zeros(4, 4), max_area=8)
    with pytest.raises(BadInputError, match="max_area must be positive, got 0"):
        fill_holes(torch.zeros(1, 1, 4, 4), max_area=0)
