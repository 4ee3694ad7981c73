"""Coloured instance overlays with id tags, and overlay GIFs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from unipixel_ros.errors import BadInputError
from unipixel_ros.synthetic.click_points import interior_points

__all__ = ["instance_colour", "label_image", "overlay_instances", "write_overlay_gif"]

# Well-separated hues, repeated for ids beyond the table's length.
_PALETTE = np.array(
    [
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
    ],
    dtype=np.uint8,
)


def instance_colour(object_id: int) -> tuple[int, int, int]:
    """The overlay colour of an object id (>= 1), stable across frames."""
    r, g, b = _PALETTE[(object_id - 1) % len(_PALETTE)]
    return int(r), int(g), int(b)


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


def overlay_instances(
    rgb: np.ndarray,
    labels: np.ndarray,
    *,
    alpha: float = 0.5,
    draw_ids: bool = True,
    names: Mapping[int, str] | None = None,
    caption: str = "",
) -> np.ndarray:
    """Blend a colour per object over an image, tag each object with its id (and name), and
    write a caption (e.g. the last answer) in a band along the top.

    Args:
        rgb: `np.ndarray` of shape `(height, width, 3)`, uint8.
        labels: `np.ndarray` of shape `(height, width)`, integer ids, 0 = nothing.
        alpha: Opacity of the colours, in [0, 1].
        draw_ids: Write each id at a pixel deep inside its object.
        names: Object id -> name written after the id ("3: red cup").
        caption: Text for the top band; empty draws no band.

    Returns:
        `np.ndarray` of shape `(height, width, 3)`, uint8.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or labels.shape != rgb.shape[:2]:
        msg = f"need rgb (height, width, 3) and labels (height, width), got {rgb.shape} and "
        msg += f"{labels.shape}"
        raise BadInputError(msg)
    if not 0.0 <= alpha <= 1.0:
        msg = f"alpha must be in [0, 1], got {alpha}"
        raise BadInputError(msg)
    out = rgb.astype(np.float32)
    ids = [int(i) for i in np.unique(labels) if i != 0]
    for object_id in ids:
        mask = labels == object_id
        out[mask] = (1.0 - alpha) * out[mask] + alpha * np.asarray(instance_colour(object_id))
    image = Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    if draw_ids:
        for object_id, (u, v) in interior_points(labels).items():
            name = (names or {}).get(object_id, "")
            text = f"{object_id}: {name[:24]}" if name else str(object_id)
            left, top, right, bottom = draw.textbbox((u, v), text, anchor="mm")
            draw.rectangle((left - 2, top - 1, right + 2, bottom + 1), fill=(0, 0, 0))
            draw.text((u, v), text, fill=(255, 255, 255), anchor="mm")
    if caption:
        line = " ".join(caption.split())
        limit = max(8, image.width // 6)
        line = line if len(line) <= limit else line[: limit - 3] + "..."
        _, top, _, bottom = draw.textbbox((4, 2), line)
        draw.rectangle((0, 0, image.width, bottom + 3), fill=(0, 0, 0))
        draw.text((4, 2), line, fill=(255, 255, 255))
    return np.asarray(image)


def write_overlay_gif(
    path: Path | str,
    rgb_frames: Sequence[np.ndarray],
    label_frames: Sequence[np.ndarray],
    *,
    frame_rate_hz: float = 10.0,
    max_width: int = 480,
) -> Path:
    """Write an animated GIF of :func:`overlay_instances` frames.

    Args:
        path: Output file.
        rgb_frames: `(height, width, 3)` uint8 images.
        label_frames: `(height, width)` integer label images, one per image.
        frame_rate_hz: Playback rate.
        max_width: Frames wider than this are scaled down (keeps the file small).
    """
    if len(rgb_frames) != len(label_frames) or not rgb_frames:
        msg = f"need equal, non-zero frame counts, got {len(rgb_frames)} and {len(label_frames)}"
        raise BadInputError(msg)
    if frame_rate_hz <= 0.0:
        msg = f"frame_rate_hz must be > 0, got {frame_rate_hz}"
        raise BadInputError(msg)
    images = []
    for rgb, labels in zip(rgb_frames, label_frames, strict=True):
        image = Image.fromarray(overlay_instances(rgb, labels))
        if image.width > max_width:
            height = round(image.height * max_width / image.width)
            image = image.resize((max_width, height), Image.Resampling.BILINEAR)
        images.append(image)
    path = Path(path)
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        duration=round(1000.0 / frame_rate_hz),
        loop=0,
    )
    return path
