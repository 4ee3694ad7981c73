from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError
from unipixel_ros.ros.camera_geometry import intrinsics_from_k, object_extent, project_point

K = intrinsics_from_k([100.0, 0.0, 32.0, 0.0, 100.0, 24.0, 0.0, 0.0, 1.0])


def test_projection_follows_the_pinhole_model() -> None:
    assert project_point((0.0, 0.0, 2.0), K) == (32.0, 24.0)
    assert project_point((0.1, -0.05, 1.0), K) == pytest.approx((42.0, 19.0))
    assert project_point((0.1, 0.1, -1.0), K) is None


def test_extent_of_a_square_on_a_plane_one_metre_away() -> None:
    # Pixels u in [22, 42), v in [14, 34) at z = 1 m span x in [-0.10, 0.09], y in [-0.10, 0.09].
    mask = np.zeros((48, 64), dtype=bool)
    mask[14:34, 22:42] = True
    depth = np.full((48, 64), 1.0, dtype=np.float32)
    extent = object_extent(mask, depth, K)
    assert extent is not None
    assert extent.centroid == pytest.approx((-0.005, -0.005, 1.0), abs=1e-3)
    # The 5-95 percentile window trims one pixel row/column on each side: 0.17 m, not 0.19 m.
    assert extent.size[:2] == pytest.approx((0.17, 0.17), abs=1e-6)
    assert extent.size[2] == 0.0


def test_background_depth_bleeding_into_the_mask_edge_is_ignored() -> None:
    mask = np.zeros((48, 64), dtype=bool)
    mask[14:34, 22:42] = True
    depth = np.full((48, 64), 1.0, dtype=np.float32)
    depth[14, 22:24] = 5.0  # two edge pixels see the wall behind the object
    extent = object_extent(mask, depth, K)
    assert extent is not None and extent.centroid[2] == pytest.approx(1.0)


def test_mask_without_valid_depth_has_no_extent() -> None:
    mask = np.ones((4, 4), dtype=bool)
    assert object_extent(mask, np.full((4, 4), np.nan, np.float32), K) is None


def test_uncalibrated_or_malformed_k_is_rejected() -> None:
    with pytest.raises(BadInputError, match="zero focal length"):
        intrinsics_from_k([0.0] * 9)
    with pytest.raises(BadInputError, match="K has 4 values; expected 9"):
        intrinsics_from_k([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(BadInputError, match=r"mask \(2, 2\) and depth \(3, 3\) differ"):
        object_extent(np.ones((2, 2), bool), np.ones((3, 3), np.float32), K)
