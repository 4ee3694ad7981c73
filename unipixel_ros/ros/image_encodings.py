"""The colour encodings of `sensor_msgs/Image` that cv_bridge converts, decoded to RGB with OpenCV.

ROS-free: it works on the message's fields (data, encoding, width, height, step, is_bigendian).
16-bit images are scaled to 8 bit as cv_bridge scales them (x 255/65535, rounded). Encoding names
follow `sensor_msgs/image_encodings.hpp`: `yuv422` is UYVY and `yuv422_yuy2` is YUYV (the older
names of `uyvy` and `yuyv`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import cv2
import numpy as np

from unipixel_ros.errors import BadInputError

__all__ = ["COLOUR_ENCODINGS", "ColourLayout", "PixelLayout", "check_colour", "decode_colour"]


class PixelLayout(enum.Enum):
    """How an encoding's bytes hold the pixels."""

    PACKED = "packed"  # channels per pixel, one row after another
    PACKED_422 = "packed_422"  # two pixels share one chroma pair: 2 bytes per pixel
    SEMI_PLANAR_420 = "semi_planar_420"  # Y plane, then interleaved chroma at half resolution
    SEMI_PLANAR_444 = "semi_planar_444"  # Y plane, then interleaved chroma at full resolution


@dataclass(frozen=True, kw_only=True)
class ColourLayout:
    """One colour encoding.

    Args:
        channels: Values per pixel in a packed row (1 for mono and Bayer, 3 or 4 for colour, 2
            for packed 4:2:2); for the semi-planar layouts, 1 (the Y plane's).
        dtype: uint8 or uint16 values.
        layout: How the rows are laid out.
        to_rgb: OpenCV `cvtColor` code to RGB of a packed layout, or None where the values are
            RGB order already (and for the semi-planar layouts).
    """

    channels: int
    dtype: type[np.generic]
    layout: PixelLayout = PixelLayout.PACKED
    to_rgb: int | None = None

    @property
    def plane_rows(self) -> float:
        """Rows of ``step`` bytes per image row (1.5 for 4:2:0 semi-planar, 3 for 4:4:4)."""
        return {PixelLayout.SEMI_PLANAR_420: 1.5, PixelLayout.SEMI_PLANAR_444: 3.0}.get(
            self.layout, 1.0
        )


def _bayer(code: int, dtype: type[np.generic]) -> ColourLayout:
    return ColourLayout(channels=1, dtype=dtype, to_rgb=code)


# OpenCV names a Bayer pattern by the second row's first two pixels (its 4.x names), so ROS's
# RGGB is OpenCV's BG; the codes are the same as cv_bridge's.
COLOUR_ENCODINGS: dict[str, ColourLayout] = {
    "rgb8": ColourLayout(channels=3, dtype=np.uint8),
    "bgr8": ColourLayout(channels=3, dtype=np.uint8, to_rgb=cv2.COLOR_BGR2RGB),
    "rgba8": ColourLayout(channels=4, dtype=np.uint8, to_rgb=cv2.COLOR_RGBA2RGB),
    "bgra8": ColourLayout(channels=4, dtype=np.uint8, to_rgb=cv2.COLOR_BGRA2RGB),
    "mono8": ColourLayout(channels=1, dtype=np.uint8, to_rgb=cv2.COLOR_GRAY2RGB),
    "rgb16": ColourLayout(channels=3, dtype=np.uint16),
    "bgr16": ColourLayout(channels=3, dtype=np.uint16, to_rgb=cv2.COLOR_BGR2RGB),
    "rgba16": ColourLayout(channels=4, dtype=np.uint16, to_rgb=cv2.COLOR_RGBA2RGB),
    "bgra16": ColourLayout(channels=4, dtype=np.uint16, to_rgb=cv2.COLOR_BGRA2RGB),
    "mono16": ColourLayout(channels=1, dtype=np.uint16, to_rgb=cv2.COLOR_GRAY2RGB),
    "bayer_rggb8": _bayer(cv2.COLOR_BayerBG2RGB, np.uint8),
    "bayer_bggr8": _bayer(cv2.COLOR_BayerRG2RGB, np.uint8),
    "bayer_gbrg8": _bayer(cv2.COLOR_BayerGR2RGB, np.uint8),
    "bayer_grbg8": _bayer(cv2.COLOR_BayerGB2RGB, np.uint8),
    "bayer_rggb16": _bayer(cv2.COLOR_BayerBG2RGB, np.uint16),
    "bayer_bggr16": _bayer(cv2.COLOR_BayerRG2RGB, np.uint16),
    "bayer_gbrg16": _bayer(cv2.COLOR_BayerGR2RGB, np.uint16),
    "bayer_grbg16": _bayer(cv2.COLOR_BayerGB2RGB, np.uint16),
    "yuv422": ColourLayout(
        channels=2, dtype=np.uint8, layout=PixelLayout.PACKED_422, to_rgb=cv2.COLOR_YUV2RGB_UYVY
    ),
    "uyvy": ColourLayout(
        channels=2, dtype=np.uint8, layout=PixelLayout.PACKED_422, to_rgb=cv2.COLOR_YUV2RGB_UYVY
    ),
    "yuv422_yuy2": ColourLayout(
        channels=2, dtype=np.uint8, layout=PixelLayout.PACKED_422, to_rgb=cv2.COLOR_YUV2RGB_YUY2
    ),
    "yuyv": ColourLayout(
        channels=2, dtype=np.uint8, layout=PixelLayout.PACKED_422, to_rgb=cv2.COLOR_YUV2RGB_YUY2
    ),
    # The semi-planar layouts have a branch of their own in decode_colour (OpenCV's NV21 code;
    # OpenCV has none for NV24, which is decoded as NV21 at twice the size).
    "nv21": ColourLayout(channels=1, dtype=np.uint8, layout=PixelLayout.SEMI_PLANAR_420),
    "nv24": ColourLayout(channels=1, dtype=np.uint8, layout=PixelLayout.SEMI_PLANAR_444),
}

_EVEN_WIDTH = {PixelLayout.PACKED_422, PixelLayout.SEMI_PLANAR_420}
_EVEN_HEIGHT = {PixelLayout.SEMI_PLANAR_420}


def check_colour(data: bytes, *, encoding: str, width: int, height: int, step: int) -> ColourLayout:
    """Check a colour `sensor_msgs/Image`'s fields against each other and its data.

    Args:
        data: The message's bytes, ``step`` per row (per Y row for the semi-planar layouts).
        encoding: One of `COLOUR_ENCODINGS`.
        width: Pixels per row.
        height: Rows.
        step: Bytes per row (per Y row for nv21 / nv24; nv24's interleaved chroma rows take
            ``2 * step`` bytes each).

    Returns:
        The encoding's layout.

    Raises:
        BadInputError: unsupported encoding, zero or odd size where chroma is subsampled, or data
            inconsistent with step and size.
    """
    layout = COLOUR_ENCODINGS.get(encoding)
    if layout is None:
        msg = f"unsupported colour encoding {encoding!r}; supported: {', '.join(COLOUR_ENCODINGS)}"
        raise BadInputError(msg)
    if height == 0 or width == 0:
        raise BadInputError(f"empty colour image: {width}x{height} pixels")
    if layout.layout in _EVEN_WIDTH and width % 2:
        raise BadInputError(f"{encoding} needs an even width, got {width}")
    if layout.layout in _EVEN_HEIGHT and height % 2:
        raise BadInputError(f"{encoding} needs an even height, got {height}")
    item = np.dtype(layout.dtype).itemsize
    row_bytes = width * layout.channels * item
    if step < row_bytes:
        msg = f"colour step {step} is smaller than width*channels*bytes = {row_bytes}"
        raise BadInputError(msg)
    rows = round(height * layout.plane_rows)
    if len(data) != step * rows:
        size = f"step*height = {step}*{height}"
        if rows != height:
            size = f"step*height*{layout.plane_rows:g} = {step}*{height}*{layout.plane_rows:g}"
        raise BadInputError(f"colour data has {len(data)} bytes; {size} = {step * rows}")
    return layout


def decode_colour(
    data: bytes, *, encoding: str, width: int, height: int, step: int, is_bigendian: bool
) -> np.ndarray:
    """Decode the pixels of a colour `sensor_msgs/Image` to RGB.

    Args: as `check_colour`, and ``is_bigendian``, the byte order of 16-bit values.

    Returns:
        rgb (`np.ndarray` of shape `(height, width, 3)`, uint8).

    Raises:
        BadInputError: as `check_colour`.
    """
    layout = check_colour(data, encoding=encoding, width=width, height=height, step=step)
    rows = round(height * layout.plane_rows)
    item = np.dtype(layout.dtype).itemsize
    row_bytes = width * layout.channels * item
    buffer = np.frombuffer(data, dtype=np.uint8).reshape(rows, step)
    if layout.layout is PixelLayout.SEMI_PLANAR_420:
        return cv2.cvtColor(np.ascontiguousarray(buffer[:, :width]), cv2.COLOR_YUV2RGB_NV21)
    if layout.layout is PixelLayout.SEMI_PLANAR_444:
        # Each pixel doubled in both directions makes NV24's full-resolution chroma the 4:2:0
        # chroma of an image twice the size, so NV21's decoder (the same BT.601 coefficients as
        # for nv21) applies; every other pixel of its output is the image.
        luma = np.repeat(np.repeat(buffer[:height, :width], 2, axis=0), 2, axis=1)
        uv = buffer[height:, :].reshape(height, 2 * step)[:, : 2 * width]
        vu = uv.reshape(height, width, 2)[:, :, ::-1].reshape(height, 2 * width)
        rgb = cv2.cvtColor(np.concatenate([luma, vu]), cv2.COLOR_YUV2RGB_NV21)
        return np.ascontiguousarray(rgb[::2, ::2])
    pixel_dtype = np.dtype(layout.dtype).newbyteorder(">" if is_bigendian and item > 1 else "<")
    pixels = np.ascontiguousarray(buffer[:, :row_bytes]).view(pixel_dtype)
    pixels = pixels.reshape(height, width, layout.channels).astype(layout.dtype, copy=False)
    if layout.channels == 1:
        pixels = pixels[:, :, 0]
    rgb = pixels if layout.to_rgb is None else cv2.cvtColor(pixels, layout.to_rgb)
    if layout.dtype is np.uint16:
        # cv_bridge's depth change: convertTo(CV_8U, 255/65535), rounded and saturated.
        rgb = cv2.convertScaleAbs(rgb, alpha=255.0 / 65535.0)
    return np.ascontiguousarray(rgb)
