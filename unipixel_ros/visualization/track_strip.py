"""A track at a glance: its first, middle and last scored frames side by side, the prediction
filled and outlined, the ground truth as a white outline over it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from unipixel_ros.errors import BadInputError
from unipixel_ros.visualization.overlay import CONTOUR_PX, mask_contour
from unipixel_ros.visualization.palette import most_distinct_colour
from unipixel_ros.visualization.text import font, font_size_for

__all__ = ["TRUTH_COLOUR", "TrackPanel", "draw_track_strip"]

#: The ground truth's outline; it gets a black edge so it reads on light objects too.
TRUTH_COLOUR = (255, 255, 255)
_PREDICTION_ALPHA = 0.35
_GAP_PX = 6
_BACKGROUND = (24, 24, 28)
_TEXT = (235, 235, 235)
# The prediction's colour never is the truth's white or the outline's black.
_RESERVED = frozenset({(255, 255, 255), (0, 0, 0)})


@dataclass(frozen=True, kw_only=True, eq=False)
class TrackPanel:
    """One frame of a track strip.

    Args:
        name: Which frame this is ("first", "middle", "last").
        frame_index: The bag's frame.
        rgb (`np.ndarray` of shape `(height, width, 3)`, uint8): the frame.
        truth (`np.ndarray` of shape `(height, width)`, bool): the ground-truth mask.
        prediction (`np.ndarray` of shape `(height, width)`, bool): the predicted mask.
        j: The frame's region similarity (IoU), None when not scored.
    """

    name: str
    frame_index: int
    rgb: np.ndarray
    truth: np.ndarray
    prediction: np.ndarray
    j: float | None


def draw_track_strip(panels: Sequence[TrackPanel], *, title: str) -> np.ndarray:
    """The panels side by side at their resolution, each headed "name: frame N, J x.xx", under
    a title line.

    The prediction's colour is the palette entry furthest from the object's mean colour (over
    the ground truth on the first panel), the same on every panel.

    Returns:
        `np.ndarray` of shape `(height, width, 3)`, uint8.

    Raises:
        BadInputError: no panels, or panels of different shapes.
    """
    if not panels:
        raise BadInputError("a track strip needs at least one panel, got none")
    shape = panels[0].rgb.shape
    for panel in panels:
        if panel.rgb.shape != shape or panel.truth.shape != shape[:2]:
            msg = f"panel {panel.name!r}: rgb {panel.rgb.shape}, truth {panel.truth.shape}, "
            msg += f"prediction {panel.prediction.shape}; need {shape} and {shape[:2]}"
            raise BadInputError(msg)
        if panel.prediction.shape != shape[:2]:
            msg = f"panel {panel.name!r}: prediction {panel.prediction.shape}, need {shape[:2]}"
            raise BadInputError(msg)
    height, width = shape[:2]
    first = panels[0]
    pixels = first.rgb[first.truth] if first.truth.any() else first.rgb.reshape(-1, 3)
    mean = tuple(float(v) for v in pixels.mean(axis=0))
    colour = most_distinct_colour(mean, taken=_RESERVED)  # type: ignore[arg-type]
    size = font_size_for(height)
    header = round(1.6 * size)
    canvas = Image.new(
        "RGB",
        (len(panels) * width + (len(panels) - 1) * _GAP_PX, height + 2 * header),
        _BACKGROUND,
    )
    draw = ImageDraw.Draw(canvas)
    draw.text((_GAP_PX, header // 2), title, fill=_TEXT, font=font(size), anchor="lm")
    for column, panel in enumerate(panels):
        x = column * (width + _GAP_PX)
        canvas.paste(Image.fromarray(_panel(panel, colour)), (x, 2 * header))
        j = "n/a" if panel.j is None else f"{panel.j:.2f}"
        caption = f"{panel.name}: frame {panel.frame_index}, J {j}"
        draw.text(
            (x + _GAP_PX, header + header // 2), caption, fill=_TEXT, font=font(size), anchor="lm"
        )
    return np.asarray(canvas)


def _panel(panel: TrackPanel, colour: tuple[int, int, int]) -> np.ndarray:
    out = panel.rgb.astype(np.float32)
    prediction = panel.prediction.astype(bool)
    out[prediction] = (1 - _PREDICTION_ALPHA) * out[prediction] + _PREDICTION_ALPHA * np.asarray(
        colour, dtype=np.float32
    )
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    out[mask_contour(prediction)] = colour
    truth = panel.truth.astype(bool)
    outline = mask_contour(truth, thickness=CONTOUR_PX + 1)
    out[outline] = (0, 0, 0)
    out[mask_contour(truth)] = TRUTH_COLOUR
    return out
