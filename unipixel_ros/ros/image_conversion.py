"""sensor_msgs images to and from numpy arrays, with every malformed input rejected clearly.

Colour images of every encoding cv_bridge converts (`image_encodings.COLOUR_ENCODINGS`) become
RGB: through cv_bridge where it imports (a full ROS install), else through OpenCV directly (the
pip-only install). Depth and compressed images are decoded with numpy and Pillow. Both paths
first pass the same validation, so a bad message gets the same error either way.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image as PilImage
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from unipixel_ros.errors import BadInputError
from unipixel_ros.ros.image_encodings import check_colour, decode_colour

try:  # A full ROS install has cv_bridge; the PyPI "cv-bridge" is a broken ROS 1 copy.
    from cv_bridge import CvBridge

    _BRIDGE: Any = CvBridge()
except Exception:
    _BRIDGE = None

__all__ = [
    "DEPTH_ENCODINGS",
    "compressed_to_rgb",
    "depth_to_metres",
    "image_to_rgb",
    "labels_to_mono16",
    "mask_to_mono8",
    "rgb_to_image",
    "uses_cv_bridge",
]

# encoding -> (channels, numpy dtype)
DEPTH_ENCODINGS: dict[str, tuple[int, type[np.generic]]] = {
    "16UC1": (1, np.uint16),
    "32FC1": (1, np.float32),
}


def uses_cv_bridge() -> bool:
    """Whether conversions go through cv_bridge (True on a full ROS install)."""
    return _BRIDGE is not None


def _pixels(
    msg: Image, supported: dict[str, tuple[int, type[np.generic]]], kind: str
) -> np.ndarray:
    """Validate ``msg`` against its own metadata and return a (H, W, C) view of its data."""
    if msg.encoding not in supported:
        raise BadInputError(
            f"unsupported {kind} encoding {msg.encoding!r}; supported: {', '.join(supported)}"
        )
    if msg.height == 0 or msg.width == 0:
        raise BadInputError(f"empty {kind} image: {msg.width}x{msg.height} pixels")
    channels, dtype = supported[msg.encoding]
    item = np.dtype(dtype).itemsize
    row_bytes = msg.width * channels * item
    if msg.step < row_bytes:
        raise BadInputError(
            f"{kind} step {msg.step} is smaller than width*channels*bytes = {row_bytes}"
        )
    expected = msg.step * msg.height
    if len(msg.data) != expected:
        raise BadInputError(
            f"{kind} data has {len(msg.data)} bytes; step*height = {msg.step}*{msg.height} "
            f"= {expected}"
        )
    buffer = np.frombuffer(bytes(msg.data), dtype=np.uint8).reshape(msg.height, msg.step)
    rows = buffer[:, :row_bytes]
    big_endian_data = bool(msg.is_bigendian) and item > 1
    pixel_dtype = np.dtype(dtype).newbyteorder(">" if big_endian_data else "<")
    pixels = np.ascontiguousarray(rows).view(pixel_dtype).reshape(msg.height, msg.width, channels)
    return pixels.astype(dtype, copy=False)


def image_to_rgb(msg: Image) -> np.ndarray:
    """Convert a colour, mono, Bayer or YUV ``sensor_msgs/Image`` to RGB.

    Returns:
        rgb (`np.ndarray` of shape `(height, width, 3)`, uint8; 16-bit images scaled to 8 bit).

    Raises:
        BadInputError: unsupported encoding, zero size, or data/step inconsistent with the size.
    """
    fields = {
        "encoding": msg.encoding,
        "width": msg.width,
        "height": msg.height,
        "step": msg.step,
    }
    data = bytes(msg.data)
    if _BRIDGE is not None:
        check_colour(data, **fields)
        try:
            return np.asarray(_BRIDGE.imgmsg_to_cv2(msg, desired_encoding="rgb8"), dtype=np.uint8)
        except Exception:  # an encoding this cv_bridge release does not know (nv24, uyvy, ...)
            pass
    return decode_colour(data, is_bigendian=bool(msg.is_bigendian), **fields)


def compressed_to_rgb(msg: CompressedImage) -> np.ndarray:
    """Decode a ``sensor_msgs/CompressedImage`` (JPEG or PNG) to RGB.

    Returns:
        rgb (`np.ndarray` of shape `(height, width, 3)`, uint8).

    Raises:
        BadInputError: empty data or data that does not decode as an image.
    """
    if len(msg.data) == 0:
        raise BadInputError(f"compressed image (format {msg.format!r}) has no data")
    try:
        with PilImage.open(io.BytesIO(bytes(msg.data)), formats=("JPEG", "PNG")) as decoded:
            rgb = np.asarray(decoded.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError, PilImage.DecompressionBombError) as err:
        raise BadInputError(
            f"compressed image (format {msg.format!r}, {len(msg.data)} bytes) does not decode: "
            f"{err}"
        ) from err
    if rgb.size == 0:
        raise BadInputError("compressed image decodes to zero pixels")
    return rgb


def depth_to_metres(msg: Image) -> np.ndarray:
    """Convert a depth image (16UC1 millimetres or 32FC1 metres) to metres.

    Returns:
        depth (`np.ndarray` of shape `(height, width)`, float32 metres; NaN where the sensor
        reported no depth: 0, NaN or infinity).
    """
    pixels = _pixels(msg, DEPTH_ENCODINGS, "depth")[:, :, 0]
    if msg.encoding == "16UC1":
        metres = pixels.astype(np.float32) / 1000.0
        metres[pixels == 0] = np.nan
        return metres
    metres = pixels.astype(np.float32, copy=True)
    metres[~np.isfinite(metres) | (metres <= 0.0)] = np.nan
    return metres


def rgb_to_image(rgb: np.ndarray, header: Header) -> Image:
    """Wrap an RGB array as an rgb8 ``sensor_msgs/Image`` carrying ``header``."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise BadInputError(f"expected (H, W, 3) uint8 RGB, got {rgb.shape} {rgb.dtype}")
    return _image(np.ascontiguousarray(rgb), header, "rgb8")


def mask_to_mono8(mask: np.ndarray, header: Header) -> Image:
    """Wrap a boolean mask as a mono8 image (255 inside the object, 0 elsewhere)."""
    if mask.ndim != 2:
        raise BadInputError(f"expected a (H, W) mask, got shape {mask.shape}")
    return _image(np.where(mask, 255, 0).astype(np.uint8), header, "mono8")


def labels_to_mono16(labels: np.ndarray, header: Header) -> Image:
    """Wrap a label image (pixel = object id, 0 = background) as mono16."""
    if labels.ndim != 2 or labels.dtype != np.uint16:
        raise BadInputError(f"expected (H, W) uint16 labels, got {labels.shape} {labels.dtype}")
    return _image(labels.astype("<u2"), header, "mono16")


def _image(pixels: np.ndarray, header: Header, encoding: str) -> Image:
    msg = Image()
    msg.header = header
    msg.height, msg.width = int(pixels.shape[0]), int(pixels.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = int(pixels.strides[0])
    msg.data = pixels.tobytes()
    return msg
