from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from unipixel_ros.errors import BadInputError
from unipixel_ros.visualization.overlay import (
    instance_colour,
    label_image,
    overlay_instances,
    write_overlay_gif,
)


def test_overlay_tints_objects_and_leaves_background_alone():
    rgb = np.full((20, 20, 3), 100, np.uint8)
    labels = np.zeros((20, 20), np.uint16)
    labels[2:18, 2:18] = 3
    out = overlay_instances(rgb, labels, alpha=1.0, draw_ids=False)
    np.testing.assert_array_equal(out[0, 0], [100, 100, 100])
    np.testing.assert_array_equal(out[5, 5], instance_colour(3))


def test_overlay_gif_has_one_frame_per_image(tmp_path):
    rgb = [np.full((12, 16, 3), v, np.uint8) for v in (0, 80, 160)]
    labels = [np.zeros((12, 16), np.uint16)] * 3
    path = write_overlay_gif(tmp_path / "o.gif", rgb, labels, frame_rate_hz=5.0)
    with Image.open(path) as gif:
        assert gif.n_frames == 3
        assert gif.info["duration"] == 200


def test_label_image_paints_higher_ids_over_lower_ones():
    first = np.zeros((4, 4), dtype=bool)
    first[0:3, 0:3] = True
    second = np.zeros((4, 4), dtype=bool)
    second[2:4, 2:4] = True
    labels = label_image({2: second, 1: first}, (4, 4))
    assert labels.dtype == np.uint16
    assert labels[0, 0] == 1 and labels[2, 2] == 2 and labels[3, 0] == 0


def test_label_image_rejects_a_mask_of_another_shape():
    with pytest.raises(BadInputError, match=r"mask of object 1 has shape \(2, 2\)"):
        label_image({1: np.zeros((2, 2), dtype=bool)}, (4, 4))
