"""Frames and masks on the wire between a tracker and its reasoner (the Reason action).

Frames go as JPEG (`sensor_msgs/CompressedImage`, quality a parameter) or raw (rgb8
`sensor_msgs/Image`, bit-exact). Masks go as `EncodedMask`: a mono8 PNG or a run-length code,
both lossless.
"""

from __future__ import annotations

import io
from enum import Enum

import numpy as np
from PIL import Image as PilImage
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header
from unipixel_ros_interfaces.msg import EncodedMask

from unipixel_ros.errors import BadInputError
from unipixel_ros.ros.image_conversion import compressed_to_rgb, image_to_rgb, rgb_to_image

__all__ = [
    "FrameTransport",
    "MaskEncoding",
    "decode_mask",
    "encode_mask",
    "frame_to_jpeg",
    "frame_to_raw",
    "frames_from_goal",
]


class FrameTransport(str, Enum):
    """How a tracker sends frames to its reasoner."""

    JPEG = "jpeg"  # sensor_msgs/CompressedImage, lossy: the reasoner sees decoded pixels
    RAW = "raw"  # rgb8 sensor_msgs/Image: the reasoner sees the tracker's pixels exactly


class MaskEncoding(str, Enum):
    """How a reasoner sends masks back (and a tracker sends memory masks)."""

    PNG = "png"
    RLE = "rle"


def frame_to_jpeg(rgb: np.ndarray, header: Header, *, quality: int) -> CompressedImage:
    """`(H, W, 3)` uint8 RGB -> a JPEG `CompressedImage` carrying ``header``."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise BadInputError(f"expected (H, W, 3) uint8 RGB, got {rgb.shape} {rgb.dtype}")
    buffer = io.BytesIO()
    PilImage.fromarray(rgb, mode="RGB").save(buffer, format="JPEG", quality=quality)
    return CompressedImage(header=header, format="jpeg", data=buffer.getvalue())


def frame_to_raw(rgb: np.ndarray, header: Header) -> Image:
    """`(H, W, 3)` uint8 RGB -> an rgb8 `Image` (bit-exact)."""
    return rgb_to_image(rgb, header)


def frames_from_goal(
    jpeg_frames: list[CompressedImage], raw_frames: list[Image]
) -> tuple[np.ndarray, ...]:
    """The RGB frames of a Reason goal: exactly one of its two frame lists is filled.

    Raises:
        BadInputError: both or neither list is filled, or a frame does not decode.
    """
    if bool(jpeg_frames) == bool(raw_frames):
        raise BadInputError(
            f"a Reason goal carries frames as jpeg_frames or raw_frames, exactly one of them; "
            f"got {len(jpeg_frames)} JPEG and {len(raw_frames)} raw frames"
        )
    if jpeg_frames:
        return tuple(compressed_to_rgb(f) for f in jpeg_frames)
    return tuple(image_to_rgb(f) for f in raw_frames)


def encode_mask(mask: np.ndarray, encoding: MaskEncoding) -> EncodedMask:
    """A `(H, W)` bool mask -> `EncodedMask` (lossless)."""
    if mask.ndim != 2:
        raise BadInputError(f"expected a (H, W) mask, got shape {mask.shape}")
    height, width = mask.shape
    message = EncodedMask(encoding=encoding.value, height=height, width=width)
    flat = np.ascontiguousarray(mask, dtype=bool).reshape(-1)
    if encoding is MaskEncoding.PNG:
        buffer = io.BytesIO()
        PilImage.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L").save(
            buffer, format="PNG"
        )
        message.data = buffer.getvalue()
        return message
    # Runs start at every change of value; the first run is background (maybe empty).
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], changes, [flat.size]))
    runs = np.diff(bounds)
    if flat.size and flat[0]:
        runs = np.concatenate(([0], runs))
    message.counts = runs.astype(np.uint32).tolist()
    return message


def decode_mask(message: EncodedMask) -> np.ndarray:
    """`EncodedMask` -> `(height, width)` bool.

    Raises:
        BadInputError: unknown encoding, or data that does not give a mask of the stated size.
    """
    shape = (int(message.height), int(message.width))
    if message.encoding == MaskEncoding.PNG.value:
        try:
            with PilImage.open(io.BytesIO(bytes(message.data)), formats=("PNG",)) as decoded:
                pixels = np.asarray(decoded.convert("L"))
        except (OSError, ValueError, PilImage.DecompressionBombError) as err:
            raise BadInputError(
                f"a PNG mask ({len(message.data)} bytes) does not decode: {err}"
            ) from err
        if pixels.shape != shape:
            raise BadInputError(f"a PNG mask is {pixels.shape}; its message says {shape}")
        return pixels > 127
    if message.encoding == MaskEncoding.RLE.value:
        runs = np.asarray(message.counts, dtype=np.int64)
        if int(runs.sum()) != shape[0] * shape[1]:
            raise BadInputError(
                f"an RLE mask's runs cover {int(runs.sum())} pixels; {shape} has "
                f"{shape[0] * shape[1]}"
            )
        values = np.arange(runs.size) % 2 == 1
        return np.repeat(values, runs).reshape(shape)
    allowed = [e.value for e in MaskEncoding]
    raise BadInputError(f"mask encoding {message.encoding!r} is not one of {allowed}")
