"""The overlay a person reads: every object filled and outlined in its own colour, with a tag
(id, label, score); lost objects as a dashed box; the last answer as a caption; a stamp when
the weights are random. Used by the node's ``~/overlay``, the demo and the evaluation GIFs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw

from unipixel_ros.errors import BadInputError
from unipixel_ros.visualization.overlay_style import Box, OverlayStyle, ShownCaption
from unipixel_ros.visualization.text import font, font_size_for, readable_on, wrap_text

__all__ = [
    "CONTOUR_PX",
    "RANDOM_WEIGHTS_COLOUR",
    "RANDOM_WEIGHTS_TEXT",
    "OverlayObject",
    "draw_overlay",
    "label_image",
    "mask_box",
    "mask_contour",
]

#: Width of every mask's outline, pixels of the frame.
CONTOUR_PX = 2
RANDOM_WEIGHTS_TEXT = "RANDOM WEIGHTS"
RANDOM_WEIGHTS_COLOUR = (200, 0, 0)
_MAX_LABEL_CHARS = 24
_CAPTION_LINES = 3
# Dashes of a lost object's box: pixels drawn, then pixels skipped.
_DASH_PX = (8, 6)
_CAPTION_BAND = (0, 0, 0, 190)
_TEXT_PAD_PX = 3


@dataclass(frozen=True, kw_only=True, eq=False)
class OverlayObject:
    """One object as the overlay draws it.

    Args:
        object_id: Stable id (>= 1).
        label: Its name, may be empty.
        score: SAM 2.1 object-score logit; the tag shows its sigmoid.
        lost: Not visible on this frame; drawn as a dashed outline of its last box.
        mask (`np.ndarray` of shape `(height, width)`, bool): at the frame's resolution;
            ignored when ``lost``.
    """

    object_id: int
    label: str
    score: float
    lost: bool
    mask: np.ndarray


def label_image(masks: Mapping[int, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Paint per-object masks into one label image, in id order (higher ids on top).

    Args:
        masks: Object id (>= 1) -> `np.ndarray` of shape `shape`, bool.
        shape: (height, width) of the output.

    Returns:
        `np.ndarray` of shape `shape`, uint16, 0 where no mask is set.
    """
    labels = np.zeros(shape, dtype=np.uint16)
    for object_id in sorted(masks):
        mask = masks[object_id]
        if mask.shape != tuple(shape) or object_id < 1:
            msg = f"mask of object {object_id} has shape {mask.shape}; need {tuple(shape)}, id >= 1"
            raise BadInputError(msg)
        labels[mask.astype(bool)] = object_id
    return labels


def mask_box(mask: np.ndarray) -> Box | None:
    """The tight box of a `(height, width)` bool mask; None when it is empty."""
    x, y, width, height = cv2.boundingRect(np.ascontiguousarray(mask, dtype=bool).view(np.uint8))
    if width == 0:
        return None
    return Box(x, y, x + width - 1, y + height - 1)


def mask_contour(mask: np.ndarray, *, thickness: int = CONTOUR_PX) -> np.ndarray:
    """The band of ``mask``'s pixels within ``thickness`` pixels of its boundary.

    Args:
        mask: `np.ndarray` of shape `(height, width)`, bool.
        thickness: Band width in pixels (>= 1).

    Returns:
        `np.ndarray` of shape `(height, width)`, bool, a subset of ``mask``: pixels whose
        3x3 neighbourhood, grown ``thickness - 1`` times, reaches outside the mask. The
        image's border does not count as outside.
    """
    out = np.zeros(mask.shape, dtype=bool)
    box = mask_box(mask)
    if box is not None:
        crop, band = _contour_crop(mask, box, thickness)
        out[crop] = band
    return out


def _contour_crop(
    mask: np.ndarray, box: Box, thickness: int
) -> tuple[tuple[slice, slice], np.ndarray]:
    """`mask_contour` within ``box`` grown by a margin: the crop's slices and its band."""
    pad = thickness + 1
    rows = slice(max(0, box.y0 - pad), min(mask.shape[0], box.y1 + pad + 1))
    cols = slice(max(0, box.x0 - pad), min(mask.shape[1], box.x1 + pad + 1))
    crop = np.ascontiguousarray(mask[rows, cols], dtype=bool).view(np.uint8)
    inner = cv2.erode(crop, np.ones((3, 3), np.uint8), iterations=thickness)
    return (rows, cols), (crop > 0) & (inner == 0)


def draw_overlay(
    rgb: np.ndarray,
    objects: Sequence[OverlayObject],
    *,
    style: OverlayStyle,
    stamp_ns: int,
    alpha: float = 0.5,
    random_weights: bool = False,
) -> np.ndarray:
    """Draw one overlay frame and update ``style`` (colours, last boxes, caption clock).

    Visible objects are filled at ``alpha`` and outlined (`CONTOUR_PX`) in their colour, in id
    order (higher ids on top), each tagged "id label score" above its top; lost objects with a
    remembered box get a dashed outline of it tagged "id label lost". The caption (the last
    answer, from ``style``) sits in a band along the bottom, wrapped to the width. With
    ``random_weights`` a red "RANDOM WEIGHTS" stamp sits in the top-left corner.

    Args:
        rgb: `np.ndarray` of shape `(height, width, 3)`, uint8.
        objects: The frame's objects, masks of shape `(height, width)`.
        style: The stream's drawing state.
        stamp_ns: The frame's stamp (drives the caption's fade).
        alpha: Opacity of the fill, in [0, 1].
        random_weights: The model's weights are random.

    Returns:
        `np.ndarray` of shape `(height, width, 3)`, uint8.

    Raises:
        BadInputError: a shape or ``alpha`` is out of its contract.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        msg = f"need rgb of shape (height, width, 3) uint8, got {rgb.shape} {rgb.dtype}"
        raise BadInputError(msg)
    if not 0.0 <= alpha <= 1.0:
        msg = f"alpha must be in [0, 1], got {alpha}"
        raise BadInputError(msg)
    shape = rgb.shape[:2]
    for obj in objects:
        if not obj.lost and obj.mask.shape != shape:
            msg = f"mask of object {obj.object_id} has shape {obj.mask.shape}; need {shape}"
            raise BadInputError(msg)
    out = rgb.copy()
    tags: list[tuple[str, tuple[int, int, int], Box]] = []
    dashed: list[tuple[tuple[int, int, int], Box]] = []
    for obj in sorted(objects, key=lambda o: o.object_id):
        box = None if obj.lost else mask_box(obj.mask)
        if box is None:
            last, colour = style.last_box(obj.object_id), style.colours.get(obj.object_id)
            if last is not None and colour is not None:
                dashed.append((colour, last))
                tags.append((_tag_text(obj, lost=True), colour, last))
            continue
        colour = style.colours.colour_for(obj.object_id, rgb, obj.mask)
        style.remember_box(obj.object_id, box)
        _fill(out, obj.mask, box, colour, alpha)
        crop, band = _contour_crop(obj.mask, box, CONTOUR_PX)
        out[crop][band] = colour
        tags.append((_tag_text(obj, lost=False), colour, box))
    image = Image.fromarray(out)
    size = font_size_for(image.height)
    for colour, box in dashed:
        _dashed_box(ImageDraw.Draw(image), box, colour)
    placed: list[Box] = []
    for text, colour, box in tags:
        _tag(image, text, colour, box, placed)
    shown = style.caption_at(stamp_ns)
    if shown is not None:
        _caption(image, shown, size)
    if random_weights:
        _random_weights_stamp(ImageDraw.Draw(image), size)
    return np.asarray(image)


def _tag_text(obj: OverlayObject, *, lost: bool) -> str:
    label = " ".join(obj.label.split())
    if len(label) > _MAX_LABEL_CHARS:
        label = label[: _MAX_LABEL_CHARS - 3] + "..."
    name = f"{obj.object_id} {label}" if label else str(obj.object_id)
    if lost:
        return f"{name} lost"
    probability = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, obj.score))))
    return f"{name} {probability:.2f}"


def _fill(
    out: np.ndarray, mask: np.ndarray, box: Box, colour: tuple[int, int, int], alpha: float
) -> None:
    crop = out[box.y0 : box.y1 + 1, box.x0 : box.x1 + 1]
    solid = np.empty_like(crop)
    solid[:] = colour
    blended = cv2.addWeighted(crop, 1.0 - alpha, solid, alpha, 0.0)
    region = mask[box.y0 : box.y1 + 1, box.x0 : box.x1 + 1]
    np.copyto(crop, blended, where=region[..., None])


def _tag(
    image: Image.Image, text: str, colour: tuple[int, int, int], box: Box, placed: list[Box]
) -> None:
    """A filled label in the object's colour over the box's top edge, inside the image, moved
    up (or, without room, down) past the tags in ``placed``; its own box is added there."""
    tag = _tag_image(text, colour, font_size_for(image.height))
    width, height = tag.size
    x = max(0, min(image.width - width, (box.x0 + box.x1) // 2 - width // 2))
    y = box.y0 - height - 1 if box.y0 - height - 1 >= 0 else box.y0
    step = -(height + 1)
    for _ in range(2 * len(placed) + 1):
        y = max(0, min(image.height - height, y))
        rect = Box(x, y, x + width - 1, y + height - 1)
        if not any(_overlap(rect, other) for other in placed):
            break
        if y + step < 0:
            step = height + 1
        y += step
    placed.append(rect)
    image.paste(tag, (x, y))


# Tags repeat from frame to frame: each is set once (and never modified after).
@lru_cache(maxsize=256)
def _tag_image(text: str, colour: tuple[int, int, int], size: int) -> Image.Image:
    typeface = font(size)
    left, top, right, bottom = (round(v) for v in typeface.getbbox(text))
    tag = Image.new(
        "RGB", (right - left + 2 * _TEXT_PAD_PX, bottom - top + 2 * _TEXT_PAD_PX), colour
    )
    ImageDraw.Draw(tag).text(
        (_TEXT_PAD_PX - left, _TEXT_PAD_PX - top), text, fill=readable_on(colour), font=typeface
    )
    return tag


def _overlap(a: Box, b: Box) -> bool:
    return a.x0 <= b.x1 and b.x0 <= a.x1 and a.y0 <= b.y1 and b.y0 <= a.y1


def _dashed_box(draw: ImageDraw.ImageDraw, box: Box, colour: tuple[int, int, int]) -> None:
    on, off = _DASH_PX
    edges = (
        ((box.x0, box.y0), (box.x1, box.y0)),
        ((box.x1, box.y0), (box.x1, box.y1)),
        ((box.x1, box.y1), (box.x0, box.y1)),
        ((box.x0, box.y1), (box.x0, box.y0)),
    )
    for (xa, ya), (xb, yb) in edges:
        length = max(abs(xb - xa), abs(yb - ya))
        for start in range(0, length + 1, on + off):
            end = min(length, start + on - 1)
            t0, t1 = start / max(1, length), end / max(1, length)
            draw.line(
                (
                    xa + (xb - xa) * t0,
                    ya + (yb - ya) * t0,
                    xa + (xb - xa) * t1,
                    ya + (yb - ya) * t1,
                ),
                fill=colour,
                width=CONTOUR_PX,
            )


def _caption(image: Image.Image, shown: ShownCaption, size: int) -> None:
    """Blend the caption's band into the bottom of ``image``, at its opacity."""
    text = f"{shown.caption.query_id}: {shown.caption.text}"
    layer = _caption_band(text, image.width, image.height, size)
    if shown.opacity < 1.0:
        faded = np.asarray(layer).copy()
        faded[..., 3] = np.rint(faded[..., 3] * shown.opacity).astype(np.uint8)
        layer = Image.fromarray(faded, mode="RGBA")
    top = image.height - layer.height
    region = image.crop((0, top, image.width, image.height)).convert("RGBA")
    image.paste(Image.alpha_composite(region, layer).convert("RGB"), (0, top))


# A caption stays the same for many frames: its band is set once (never modified after).
@lru_cache(maxsize=8)
def _caption_band(text: str, width: int, height: int, size: int) -> Image.Image:
    """The caption's band, RGBA, ``width`` wide: ``text`` wrapped on a translucent black."""
    lines = wrap_text(
        text, size_px=size, width_px=width - 4 * _TEXT_PAD_PX, max_lines=_CAPTION_LINES
    )
    line_height = round(size * 1.25)
    band = min(height, len(lines) * line_height + 2 * _TEXT_PAD_PX)
    layer = Image.new("RGBA", (width, band), _CAPTION_BAND)
    draw = ImageDraw.Draw(layer)
    for row, line in enumerate(lines):
        y = _TEXT_PAD_PX + row * line_height
        draw.text((2 * _TEXT_PAD_PX, y), line, fill=(255, 255, 255, 255), font=font(size))
    return layer


def _random_weights_stamp(draw: ImageDraw.ImageDraw, size: int) -> None:
    typeface = font(size)
    left, top, right, bottom = draw.textbbox((0, 0), RANDOM_WEIGHTS_TEXT, font=typeface)
    pad = 2 * _TEXT_PAD_PX
    draw.rectangle(
        (4, 4, 4 + right - left + 2 * pad, 4 + bottom - top + 2 * pad), fill=RANDOM_WEIGHTS_COLOUR
    )
    draw.text(
        (4 + pad - left, 4 + pad - top), RANDOM_WEIGHTS_TEXT, fill=(255, 255, 255), font=typeface
    )
