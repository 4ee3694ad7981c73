"""Fuzzed image, depth and compressed-image messages: a correct array or BadInputError only.

Two kinds of input: messages built from known pixel values (random sizes, row padding,
endianness) whose conversion must give those values back, and messages whose fields are
arbitrary (sizes, steps, data lengths, encodings) which must either convert to an array of the
size they declare or be refused with `BadInputError`.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PilImage
from sensor_msgs.msg import CompressedImage, Image

from unipixel_ros.errors import BadInputError
from unipixel_ros.ros.image_conversion import (
    DEPTH_ENCODINGS,
    compressed_to_rgb,
    depth_to_metres,
    image_to_rgb,
)
from unipixel_ros.ros.image_encodings import COLOUR_ENCODINGS

FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every run, so CI results are reproducible
    suppress_health_check=[HealthCheck.too_slow],
)
UINT32 = 2**32 - 1
JUNK_ENCODINGS = ["", "RGB8", "32FC3", "16SC1", "8UC3", "jpeg", "nv12", "bayer_rggb32"]
# The 8-bit packed colour encodings: their conversion to RGB is exact.
EXACT_8_BIT_ENCODINGS = ["bgr8", "bgra8", "mono8", "rgb8", "rgba8"]


@st.composite
def colour_messages(draw: st.DrawFn) -> tuple[Image, np.ndarray]:
    """An Image with known pixels and the RGB array its conversion must give."""
    encoding = draw(st.sampled_from(EXACT_8_BIT_ENCODINGS))
    channels = COLOUR_ENCODINGS[encoding].channels
    height, width = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    pad = draw(st.integers(0, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, channels), np.uint8)
    rows = np.pad(pixels.reshape(height, -1), ((0, 0), (0, pad)), constant_values=0xAB)
    msg = Image(height=height, width=width, encoding=encoding, step=rows.shape[1])
    msg.is_bigendian = draw(st.integers(0, 1))  # meaningless for 8-bit data; must not matter
    msg.data = rows.tobytes()
    if encoding == "mono8":
        expected = np.repeat(pixels, 3, axis=2)
    elif encoding.startswith("bgr"):
        expected = pixels[:, :, 2::-1]
    else:
        expected = pixels[:, :, :3]
    return msg, expected


@st.composite
def depth_messages(draw: st.DrawFn) -> tuple[Image, np.ndarray]:
    """A depth Image with known values (either byte order) and the metres it must give."""
    encoding = draw(st.sampled_from(sorted(DEPTH_ENCODINGS)))
    height, width = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    big_endian = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if encoding == "16UC1":
        values = rng.integers(0, 65536, (height, width)).astype(np.uint16)
        values.flat[rng.integers(0, values.size)] = 0  # at least one "no reading"
        expected = values.astype(np.float32) / 1000.0
        expected[values == 0] = np.nan
        wire = values.astype(">u2" if big_endian else "<u2")
    else:
        values = rng.uniform(-1.0, 20.0, (height, width)).astype(np.float32)
        specials = [np.nan, np.inf, -np.inf, 0.0]
        values.flat[rng.integers(0, values.size)] = specials[rng.integers(0, len(specials))]
        expected = values.copy()
        expected[~np.isfinite(values) | (values <= 0)] = np.nan
        wire = values.astype(">f4" if big_endian else "<f4")
    pad = draw(st.integers(0, 3)) * wire.itemsize
    rows = np.pad(wire.view(np.uint8).reshape(height, -1), ((0, 0), (0, pad)))
    msg = Image(height=height, width=width, encoding=encoding, step=rows.shape[1])
    msg.is_bigendian = int(big_endian)
    msg.data = rows.tobytes()
    return msg, expected


@st.composite
def arbitrary_images(draw: st.DrawFn) -> Image:
    """An Image whose fields need not agree with each other or with its data."""
    encoding = draw(
        st.one_of(
            st.sampled_from([*COLOUR_ENCODINGS, *DEPTH_ENCODINGS, *JUNK_ENCODINGS]),
            st.text(max_size=12),
        )
    )
    small = st.integers(0, 16)
    msg = Image(encoding=encoding)
    msg.height = draw(st.one_of(small, st.integers(0, UINT32)))
    msg.width = draw(st.one_of(small, st.integers(0, UINT32)))
    msg.step = draw(st.one_of(st.integers(0, 64), st.integers(0, UINT32)))
    msg.is_bigendian = draw(st.integers(0, 255))
    size = msg.height * msg.step
    if draw(st.booleans()) and size <= 4096:
        length = max(0, size + draw(st.sampled_from([0, 0, 0, -1, 1])))
    else:
        length = draw(st.integers(0, 256))
    msg.data = draw(st.binary(min_size=length, max_size=length))
    return msg


@FUZZ
@given(colour_messages())
def test_colour_images_of_every_encoding_padding_and_byte_order_convert_exactly(case) -> None:
    msg, expected = case
    np.testing.assert_array_equal(image_to_rgb(msg), expected)


@FUZZ
@given(depth_messages())
def test_depth_images_of_either_encoding_and_byte_order_convert_to_metres(case) -> None:
    msg, expected = case
    metres = depth_to_metres(msg)
    assert metres.dtype == np.float32
    np.testing.assert_allclose(metres, expected, rtol=1e-6, equal_nan=True)


def _converted_or_bad_input(convert: Callable[[Any], np.ndarray], msg: Any) -> np.ndarray | None:
    """``convert(msg)``, or None when it refuses ``msg`` with a `BadInputError` that says why."""
    try:
        return convert(msg)
    except BadInputError as err:
        assert str(err)
        return None


@FUZZ
@given(arbitrary_images())
def test_arbitrary_colour_messages_give_the_declared_size_or_bad_input(msg: Image) -> None:
    rgb = _converted_or_bad_input(image_to_rgb, msg)
    if rgb is not None:
        assert rgb.shape == (msg.height, msg.width, 3) and rgb.dtype == np.uint8


@FUZZ
@given(arbitrary_images())
def test_arbitrary_depth_messages_give_the_declared_size_or_bad_input(msg: Image) -> None:
    metres = _converted_or_bad_input(depth_to_metres, msg)
    if metres is not None:
        assert metres.shape == (msg.height, msg.width) and metres.dtype == np.float32


def _encoded(fmt: str, seed: int, height: int, width: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), np.uint8)
    buffer = io.BytesIO()
    PilImage.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


def _compressed(data: bytes, fmt: str = "jpeg") -> CompressedImage:
    msg = CompressedImage(format=fmt)
    msg.data = data
    return msg


def _decodes_or_bad_input(msg: CompressedImage) -> None:
    rgb = _converted_or_bad_input(compressed_to_rgb, msg)
    if rgb is not None:
        assert rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8 and rgb.size > 0


@FUZZ
@given(st.binary(max_size=2048), st.sampled_from(["jpeg", "png", "", "rgb8; jpeg compressed bgr8"]))
def test_random_bytes_as_a_compressed_image_decode_or_are_bad_input(data: bytes, fmt: str) -> None:
    _decodes_or_bad_input(_compressed(data, fmt))


@FUZZ
@given(
    st.sampled_from(["JPEG", "PNG"]),
    st.integers(0, 2**16),
    st.integers(1, 40),
    st.integers(1, 40),
    st.data(),
)
def test_truncated_or_bit_flipped_jpeg_and_png_decode_or_are_bad_input(
    fmt: str, seed: int, height: int, width: int, data: st.DataObject
) -> None:
    encoded = bytearray(_encoded(fmt, seed, height, width))
    if data.draw(st.booleans(), label="truncate"):
        encoded = encoded[: data.draw(st.integers(0, len(encoded) - 1), label="keep")]
    else:
        for _ in range(data.draw(st.integers(1, 8), label="flips")):
            where = data.draw(st.integers(0, len(encoded) - 1), label="at")
            encoded[where] ^= data.draw(st.integers(1, 255), label="xor")
    _decodes_or_bad_input(_compressed(bytes(encoded), fmt.lower()))


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG header announcing ``width`` x ``height`` RGB pixels, followed by almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_png_announcing_a_billion_pixels_is_refused_before_decoding() -> None:
    with pytest.raises(BadInputError, match="does not decode"):
        compressed_to_rgb(_compressed(_png_claiming(40_000, 40_000), "png"))


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_formats_other_than_jpeg_and_png_are_refused(fmt: str) -> None:
    with pytest.raises(BadInputError):
        compressed_to_rgb(_compressed(_encoded(fmt, 0, 8, 8), "jpeg"))
