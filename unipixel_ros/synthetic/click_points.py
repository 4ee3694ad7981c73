"""Click suggestions: a pixel deep inside each object's visible region."""

from __future__ import annotations

import numpy as np

from unipixel_ros.errors import BadInputError

__all__ = ["interior_point", "interior_points"]


def interior_point(mask: np.ndarray) -> tuple[int, int] | None:
    """A pixel of ``mask`` as far as possible from its boundary.

    The mask is eroded (4-neighbourhood) until one more step would empty it; of the pixels left,
    the one nearest their centroid is returned, so the click lands on the thickest part.

    Args:
        mask: `np.ndarray` of shape `(height, width)`, bool.

    Returns:
        (u, v) = (column, row), or None when the mask is empty.
    """
    if mask.ndim != 2:
        msg = f"mask must have shape (height, width), got {mask.shape}"
        raise BadInputError(msg)
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return None
    top, left = rows.min(), cols.min()
    core = np.pad(mask[top : rows.max() + 1, left : cols.max() + 1].astype(bool), 1)
    while True:
        eroded = core.copy()
        eroded[1:-1, 1:-1] &= core[:-2, 1:-1] & core[2:, 1:-1] & core[1:-1, :-2] & core[1:-1, 2:]
        if not eroded.any():
            break
        core = eroded
    core_rows, core_cols = np.nonzero(core)
    nearest = np.argmin((core_rows - core_rows.mean()) ** 2 + (core_cols - core_cols.mean()) ** 2)
    return int(core_cols[nearest] + left - 1), int(core_rows[nearest] + top - 1)


def interior_points(labels: np.ndarray) -> dict[int, tuple[int, int]]:
    """:func:`interior_point` of every non-zero id in a label image.

    Args:
        labels: `np.ndarray` of shape `(height, width)`, integer ids, 0 = background.

    Returns:
        Object id to (u, v) for every id present.
    """
    return {
        int(object_id): point
        for object_id in np.unique(labels)
        if object_id != 0 and (point := interior_point(labels == object_id)) is not None
    }
