from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError
from unipixel_ros.visualization.overlay import mask_contour
from unipixel_ros.visualization.track_strip import TRUTH_COLOUR, TrackPanel, draw_track_strip

H, W = 60, 80


def _panel(name: str, index: int, shift: int) -> TrackPanel:
    rgb = np.full((H, W, 3), 90, np.uint8)
    truth = np.zeros((H, W), bool)
    truth[20:40, 20:40] = True
    rgb[truth] = (200, 30, 30)
    prediction = np.roll(truth, shift, axis=1)
    return TrackPanel(
        name=name, frame_index=index, rgb=rgb, truth=truth, prediction=prediction, j=0.5
    )


def test_the_strip_puts_the_panels_side_by_side_with_the_truth_outlined():
    panels = [_panel("first", 1, 0), _panel("middle", 5, 4), _panel("last", 9, 8)]
    strip = draw_track_strip(panels, title="click_1: J&F 0.500")
    assert strip.shape[1] >= 3 * W and strip.shape[0] > H
    top = strip.shape[0] - H
    for column in range(3):
        x = column * (strip.shape[1] - W) // 2
        panel = strip[top:, x : x + W]
        white = np.all(panel == np.asarray(TRUTH_COLOUR, np.uint8), axis=-1)
        np.testing.assert_array_equal(white, mask_contour(panels[column].truth))


def test_draw_track_strip_rejects_panels_of_different_sizes():
    small = TrackPanel(
        name="x",
        frame_index=0,
        rgb=np.zeros((4, 4, 3), np.uint8),
        truth=np.zeros((4, 4), bool),
        prediction=np.zeros((4, 4), bool),
        j=None,
    )
    with pytest.raises(BadInputError, match="panel 'x'"):
        draw_track_strip([_panel("first", 0, 0), small], title="t")
