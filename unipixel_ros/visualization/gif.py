"""Animated GIFs of drawn frames, at the frames' own resolution."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from unipixel_ros.errors import BadInputError

__all__ = ["gif_frame_count", "save_gif_frame", "write_gif"]


def write_gif(path: Path | str, frames: Sequence[np.ndarray], *, frame_rate_hz: float) -> Path:
    """Write ``frames`` as a looping GIF, each frame with its own 256-colour octree palette,
    undithered.

    Measured on the demo's 30 frames of 640x536 (2026-12-02, 2-core VM): 2.6 MB with a mean
    error of 1.7 levels per channel; a median cut per frame gave 9.7 MB, one shared median-cut
    palette 6.2 MB with the yellow objects turned orange, and dithering multiplies the bytes
    of a camera's noisy texture.

    Args:
        path: Output file.
        frames: `(height, width, 3)` uint8 images, all of one size.
        frame_rate_hz: Playback rate (> 0).
    """
    if not frames:
        raise BadInputError("a GIF needs at least one frame, got none")
    if frame_rate_hz <= 0.0:
        msg = f"frame_rate_hz must be > 0, got {frame_rate_hz}"
        raise BadInputError(msg)
    shapes = {frame.shape for frame in frames}
    if len(shapes) != 1 or len(frames[0].shape) != 3 or frames[0].shape[2] != 3:
        msg = f"GIF frames must share one (height, width, 3) shape, got {sorted(shapes)}"
        raise BadInputError(msg)
    images = [
        Image.fromarray(frame).quantize(
            colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        for frame in frames
    ]
    path = Path(path)
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        duration=round(1000.0 / frame_rate_hz),
        loop=0,
    )
    return path


def gif_frame_count(gif: Path | str) -> int:
    """Frames in ``gif``.

    Raises:
        BadInputError: ``gif`` cannot be read.
    """
    try:
        with Image.open(gif) as image:
            return int(getattr(image, "n_frames", 1))
    except OSError as err:
        raise BadInputError(f"cannot read the GIF {gif}: {err}") from err


def save_gif_frame(gif: Path | str, index: int, path: Path | str) -> Path:
    """Save frame ``index`` of ``gif`` as a PNG (its palette kept, so the file stays small).

    Raises:
        BadInputError: ``gif`` cannot be read or has no frame ``index``.
    """
    try:
        with Image.open(gif) as image:
            count = getattr(image, "n_frames", 1)
            if not 0 <= index < count:
                msg = f"{gif} has {count} frames; there is no frame {index}"
                raise BadInputError(msg)
            image.seek(index)
            frame = image.convert("RGB").quantize(
                colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
            )
    except OSError as err:
        raise BadInputError(f"cannot read the GIF {gif}: {err}") from err
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.save(path, optimize=True)
    return path
