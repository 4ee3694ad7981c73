"""Pinhole geometry for clicks and markers: projection and mask-to-3-D extents. numpy only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from unipixel_ros.errors import BadInputError

__all__ = ["ObjectExtent", "intrinsics_from_k", "object_extent", "project_point"]

# Percentiles of the object's 3-D points that bound its extent; they ignore mask-edge pixels
# whose depth belongs to the background.
EXTENT_PERCENTILES = (5.0, 95.0)


@dataclass(frozen=True)
class ObjectExtent:
    """Where an object's masked pixels lie in 3-D, in the camera optical frame (metres)."""

    centroid: tuple[float, float, float]
    size: tuple[float, float, float]
    points: int


def intrinsics_from_k(k: np.ndarray | list[float]) -> np.ndarray:
    """A (3, 3) float64 camera matrix from camera_info's row-major K (9 values).

    Raises:
        BadInputError: K has the wrong size or a zero focal length (an uncalibrated camera).
    """
    matrix = np.asarray(k, dtype=np.float64)
    if matrix.size != 9:
        raise BadInputError(f"camera_info K has {matrix.size} values; expected 9")
    matrix = matrix.reshape(3, 3)
    if matrix[0, 0] == 0 or matrix[1, 1] == 0:
        raise BadInputError(
            f"camera_info K has zero focal length (fx={matrix[0, 0]}, fy={matrix[1, 1]})"
        )
    return matrix


def project_point(point: tuple[float, float, float], k: np.ndarray) -> tuple[float, float] | None:
    """Pixel (u, v) of a 3-D point in the optical frame; None when it is behind the camera."""
    x, y, z = point
    if z <= 0:
        return None
    return (float(k[0, 0] * x / z + k[0, 2]), float(k[1, 1] * y / z + k[1, 2]))


def object_extent(mask: np.ndarray, depth_m: np.ndarray, k: np.ndarray) -> ObjectExtent | None:
    """Back-project the masked pixels that have depth; None when none has.

    Args:
        mask: (H, W) bool, the object's pixels.
        depth_m: (H, W) float32 metres aligned with the mask; NaN where unknown.
        k: (3, 3) camera matrix of the depth image.
    """
    if mask.shape != depth_m.shape:
        raise BadInputError(f"mask {mask.shape} and depth {depth_m.shape} differ in size")
    rows, cols = np.nonzero(mask & np.isfinite(depth_m) & (depth_m > 0))
    if rows.size == 0:
        return None
    z = depth_m[rows, cols].astype(np.float64)
    x = (cols - k[0, 2]) * z / k[0, 0]
    y = (rows - k[1, 2]) * z / k[1, 1]
    points = np.stack([x, y, z], axis=1)
    low, high = np.percentile(points, EXTENT_PERCENTILES, axis=0)
    inliers = points[np.all((points >= low) & (points <= high), axis=1)]
    inliers = inliers if len(inliers) else points
    centroid = inliers.mean(axis=0)
    size = inliers.max(axis=0) - inliers.min(axis=0)
    return ObjectExtent(
        centroid=(float(centroid[0]), float(centroid[1]), float(centroid[2])),
        size=(float(size[0]), float(size[1]), float(size[2])),
        points=len(inliers),
    )
