"""Object colours: a fixed palette, and a per-stream choice that stands out on each object.

Distances between colours are CIE76 ΔE in CIELAB (D65), so "far" means far to the eye rather
than far in RGB numbers.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from unipixel_ros.errors import BadInputError

__all__ = [
    "MAX_ASSIGNED_COLOURS",
    "PALETTE",
    "ColourAssignments",
    "colour_distance",
    "instance_colour",
    "most_distinct_colour",
]

# Saturated, well-separated colours (Kelly / Trubetskoy style), plus white and black: on a red
# cup the choice falls on cyan or white, on a dark table on yellow or white.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
    (0, 128, 128),
    (170, 110, 40),
    (255, 255, 255),
    (0, 0, 0),
)
#: Ids whose colour a `ColourAssignments` remembers; the one drawn longest ago is forgotten first.
MAX_ASSIGNED_COLOURS = 256


def instance_colour(object_id: int) -> tuple[int, int, int]:
    """A fixed colour per object id (>= 1), the same in every process (e.g. RViz markers)."""
    r, g, b = PALETTE[(object_id - 1) % (len(PALETTE) - 2)]
    return int(r), int(g), int(b)


def _lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB `(..., 3)` in 0..255 to CIELAB `(..., 3)`, float64."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ np.array(
        [[0.4124, 0.2126, 0.0193], [0.3576, 0.7152, 0.1192], [0.1805, 0.0722, 0.9505]]
    )
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


_PALETTE_LAB = _lab(np.array(PALETTE))


def colour_distance(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """CIE76 ΔE between two sRGB colours (0..255 per channel); about 2.3 is just noticeable."""
    a, b = _lab(np.array(first)), _lab(np.array(second))
    return float(np.linalg.norm(a - b))


def most_distinct_colour(
    mean_rgb: tuple[float, float, float], *, taken: frozenset[tuple[int, int, int]] = frozenset()
) -> tuple[int, int, int]:
    """The palette entry furthest (ΔE) from ``mean_rgb``, preferring entries not in ``taken``.

    A taken entry is chosen only when every entry is taken.
    """
    distances = np.linalg.norm(_PALETTE_LAB - _lab(np.array(mean_rgb)), axis=1)
    order = np.argsort(-distances, kind="stable")
    free = [int(i) for i in order if PALETTE[int(i)] not in taken]
    return PALETTE[free[0] if free else int(order[0])]


class ColourAssignments:
    """The colour of every object of one image stream, chosen once when it is first drawn.

    The choice is the palette entry furthest from the mean colour of the object's own pixels on
    that frame, among the entries no other remembered object has. It is kept from then on, so
    an object keeps its colour while it moves over other backgrounds.

    Capacity: `MAX_ASSIGNED_COLOURS` ids; beyond it the id drawn longest ago is forgotten (ids
    are never reused, so a forgotten id is one that left long ago).
    """

    def __init__(self) -> None:
        self._colours: OrderedDict[int, tuple[int, int, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._colours)

    def get(self, object_id: int) -> tuple[int, int, int] | None:
        """The colour of ``object_id``, None when it has none yet."""
        return self._colours.get(object_id)

    def colour_for(self, object_id: int, rgb: np.ndarray, mask: np.ndarray) -> tuple[int, int, int]:
        """The colour of ``object_id``; on its first call, chosen against its pixels.

        Args:
            object_id: The object.
            rgb: `np.ndarray` of shape `(height, width, 3)`, uint8, the frame.
            mask: `np.ndarray` of shape `(height, width)`, bool, the object on it (the whole
                frame's mean is used when it is empty).
        """
        colour = self._colours.get(object_id)
        if colour is None:
            if mask.shape != rgb.shape[:2]:
                msg = f"mask {mask.shape} does not match the frame {rgb.shape[:2]}"
                raise BadInputError(msg)
            pixels = rgb[mask] if mask.any() else rgb.reshape(-1, 3)
            mean = tuple(float(v) for v in pixels.mean(axis=0))
            colour = most_distinct_colour(
                mean,  # type: ignore[arg-type]
                taken=frozenset(self._colours.values()),
            )
            self._colours[object_id] = colour
            while len(self._colours) > MAX_ASSIGNED_COLOURS:
                self._colours.popitem(last=False)
        else:
            self._colours.move_to_end(object_id)
        return colour
