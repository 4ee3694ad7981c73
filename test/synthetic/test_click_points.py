from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError
from unipixel_ros.synthetic.click_points import interior_point, interior_points


def test_interior_point_of_a_square_is_its_centre():
    mask = np.zeros((11, 11), dtype=bool)
    mask[2:9, 3:10] = True  # rows 2..8, columns 3..9: centre (u, v) = (6, 5)
    assert interior_point(mask) == (6, 5)


def test_interior_point_of_an_l_shape_lies_in_its_thick_part():
    mask = np.zeros((20, 20), dtype=bool)
    mask[2:18, 2:5] = True  # thin vertical bar, 3 wide
    mask[10:18, 2:18] = True  # thick horizontal bar, 8 high
    u, v = interior_point(mask)
    assert mask[v, u]
    assert 10 <= v < 18
    assert u >= 5


def test_interior_point_of_an_empty_mask_is_none():
    assert interior_point(np.zeros((4, 4), dtype=bool)) is None


def test_interior_point_rejects_a_3d_mask():
    with pytest.raises(BadInputError, match=r"\(height, width\)"):
        interior_point(np.zeros((2, 2, 2), dtype=bool))


def test_interior_points_cover_every_id_and_land_inside_it():
    labels = np.zeros((12, 16), dtype=np.uint16)
    labels[1:6, 1:7] = 3
    labels[6:11, 8:15] = 9
    points = interior_points(labels)
    assert sorted(points) == [3, 9]
    for object_id, (u, v) in points.items():
        assert labels[v, u] == object_id
