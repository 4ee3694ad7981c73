"""Every colour encoding, built with OpenCV from a known RGB image, decodes back to that image.

Lossless encodings round-trip exactly. Bayer mosaics and YUV with subsampled chroma lose detail,
so their test image is smooth (a gradient in 8x8 blocks) and the stated tolerance is a mean and
a maximum absolute error in grey levels, away from the border that demosaicing cannot fill.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sensor_msgs.msg import Image

from unipixel_ros.errors import BadInputError
from unipixel_ros.ros.image_conversion import image_to_rgb
from unipixel_ros.ros.image_encodings import COLOUR_ENCODINGS

HEIGHT, WIDTH = 32, 48
BAYER_OFFSETS = {"rggb": (0, 0), "grbg": (0, 1), "gbrg": (1, 0), "bggr": (1, 1)}


@pytest.fixture(scope="module")
def rgb() -> np.ndarray:
    """Random colours, for the lossless encodings."""
    return np.random.default_rng(0).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def smooth_rgb() -> np.ndarray:
    """Flat 8x8 blocks of slowly changing colour, for the lossy encodings."""
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH] // 8
    image = np.stack([40 + 20 * rows, 60 + 15 * cols, 200 - 10 * (rows + cols)], axis=2)
    return image.astype(np.uint8)


def _message(encoding: str, data: np.ndarray, *, step: int, big_endian: bool = False) -> Image:
    msg = Image(height=HEIGHT, width=WIDTH, encoding=encoding, step=step)
    msg.is_bigendian = int(big_endian)
    msg.data = data.tobytes()
    return msg


def _packed(encoding: str, pixels: np.ndarray, *, big_endian: bool = False) -> Image:
    wire = pixels.astype(pixels.dtype.newbyteorder(">" if big_endian else "<"))
    rows = wire.reshape(HEIGHT, -1).view(np.uint8)
    return _message(encoding, rows, step=rows.shape[1], big_endian=big_endian)


def _mosaic(rgb: np.ndarray, pattern: str) -> np.ndarray:
    """A Bayer mosaic of ``rgb``: each pixel keeps the channel its filter passes."""
    channel = {"r": 0, "g": 1, "b": 2}
    mosaic = np.empty(rgb.shape[:2], rgb.dtype)
    for index, letter in enumerate(pattern):
        row, col = divmod(index, 2)
        mosaic[row::2, col::2] = rgb[row::2, col::2, channel[letter]]
    return mosaic


def _i420_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OpenCV's BT.601 Y, U and V planes of ``rgb`` (U and V at half resolution)."""
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    quarter = HEIGHT // 4
    luma = i420[:HEIGHT]
    u = i420[HEIGHT : HEIGHT + quarter].reshape(HEIGHT // 2, WIDTH // 2)
    v = i420[HEIGHT + quarter :].reshape(HEIGHT // 2, WIDTH // 2)
    return luma, u, v


def _assert_close(decoded: np.ndarray, expected: np.ndarray, *, mean: float, worst: int) -> None:
    inner = (slice(2, -2), slice(2, -2))
    error = np.abs(decoded.astype(int) - expected.astype(int))[inner]
    assert decoded.shape == expected.shape
    assert decoded.dtype == np.uint8
    assert error.mean() <= mean, f"mean error {error.mean():.2f} > {mean}"
    assert error.max() <= worst, f"worst error {error.max()} > {worst}"


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "rgba8", "bgra8"])
def test_8_bit_colour_round_trips_exactly(rgb: np.ndarray, encoding: str) -> None:
    code = {
        "rgb8": None,
        "bgr8": cv2.COLOR_RGB2BGR,
        "rgba8": cv2.COLOR_RGB2RGBA,
        "bgra8": cv2.COLOR_RGB2BGRA,
    }[encoding]
    pixels = rgb if code is None else cv2.cvtColor(rgb, code)
    np.testing.assert_array_equal(image_to_rgb(_packed(encoding, pixels)), rgb)


@pytest.mark.parametrize("encoding", ["rgb16", "bgr16", "rgba16", "bgra16"])
@pytest.mark.parametrize("big_endian", [False, True])
def test_16_bit_colour_is_scaled_to_8_bit_exactly(
    rgb: np.ndarray, encoding: str, big_endian: bool
) -> None:
    # 8-bit v becomes 257 v in 16 bit (0..255 -> 0..65535), and 257 v * 255 / 65535 = v.
    code = {
        "rgb16": None,
        "bgr16": cv2.COLOR_RGB2BGR,
        "rgba16": cv2.COLOR_RGB2RGBA,
        "bgra16": cv2.COLOR_RGB2BGRA,
    }[encoding]
    wide = rgb.astype(np.uint16) * 257
    pixels = wide if code is None else cv2.cvtColor(wide, code)
    decoded = image_to_rgb(_packed(encoding, pixels, big_endian=big_endian))
    np.testing.assert_array_equal(decoded, rgb)


def test_16_bit_values_round_to_the_nearest_8_bit_level() -> None:
    values = np.array([0, 128, 129, 385, 65535], dtype=np.uint16)
    pixels = np.tile(values[:, None, None], (1, 1, 3)).repeat(HEIGHT // 5 + 1, 0)[:HEIGHT]
    pixels = np.repeat(pixels, WIDTH, axis=1)
    decoded = image_to_rgb(_packed("rgb16", pixels))
    expected = np.round(pixels.astype(np.float64) * 255 / 65535).astype(np.uint8)
    np.testing.assert_array_equal(decoded, expected)


def test_mono8_and_mono16_become_grey_rgb(rgb: np.ndarray) -> None:
    grey = rgb[:, :, 0]
    np.testing.assert_array_equal(image_to_rgb(_packed("mono8", grey)), np.dstack([grey] * 3))
    wide = grey.astype(np.uint16) * 257
    np.testing.assert_array_equal(image_to_rgb(_packed("mono16", wide)), np.dstack([grey] * 3))


@pytest.mark.parametrize("pattern", sorted(BAYER_OFFSETS))
@pytest.mark.parametrize("bits", [8, 16])
def test_bayer_mosaics_demosaic_to_the_image(
    smooth_rgb: np.ndarray, pattern: str, bits: int
) -> None:
    source = smooth_rgb if bits == 8 else smooth_rgb.astype(np.uint16) * 257
    msg = _packed(f"bayer_{pattern}{bits}", _mosaic(source, pattern))
    # Inside a flat block bilinear demosaicing is exact; only block edges blur.
    _assert_close(image_to_rgb(msg), smooth_rgb, mean=2.0, worst=40)


def test_a_flat_bayer_field_demosaics_exactly_for_every_pattern() -> None:
    flat = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    flat[:] = (200, 100, 50)
    for pattern in BAYER_OFFSETS:
        decoded = image_to_rgb(_packed(f"bayer_{pattern}8", _mosaic(flat, pattern)))
        np.testing.assert_array_equal(decoded[2:-2, 2:-2], flat[2:-2, 2:-2])


@pytest.mark.parametrize("encoding", ["uyvy", "yuv422", "yuyv", "yuv422_yuy2"])
def test_packed_yuv_422_decodes_within_the_chroma_tolerance(
    smooth_rgb: np.ndarray, encoding: str
) -> None:
    luma, u, v = _i420_planes(smooth_rgb)
    # 4:2:0 chroma repeated on both rows of each pair gives 4:2:2.
    u_full, v_full = np.repeat(u, 2, axis=0), np.repeat(v, 2, axis=0)
    packed = np.empty((HEIGHT, WIDTH, 2), np.uint8)
    luma_byte = 1 if encoding in ("uyvy", "yuv422") else 0
    packed[:, :, luma_byte] = luma
    packed[:, 0::2, 1 - luma_byte] = u_full
    packed[:, 1::2, 1 - luma_byte] = v_full
    _assert_close(image_to_rgb(_packed(encoding, packed)), smooth_rgb, mean=2.0, worst=6)


def test_nv21_decodes_within_the_chroma_tolerance(smooth_rgb: np.ndarray) -> None:
    luma, u, v = _i420_planes(smooth_rgb)
    vu = np.empty((HEIGHT // 2, WIDTH), np.uint8)
    vu[:, 0::2], vu[:, 1::2] = v, u
    msg = _message("nv21", np.concatenate([luma, vu]), step=WIDTH)
    _assert_close(image_to_rgb(msg), smooth_rgb, mean=2.0, worst=6)


def test_nv24_decodes_full_resolution_chroma_with_nv21_coefficients(rgb: np.ndarray) -> None:
    # Built from 2x2 blocks, the image's 4:2:0 chroma is its full chroma, so NV24 and NV21 hold
    # the same YUV values and must decode to the same RGB.
    blocks = np.repeat(np.repeat(rgb[::2, ::2], 2, axis=0), 2, axis=1)
    luma, u, v = _i420_planes(blocks)
    vu = np.empty((HEIGHT // 2, WIDTH), np.uint8)
    vu[:, 0::2], vu[:, 1::2] = v, u
    as_nv21 = image_to_rgb(_message("nv21", np.concatenate([luma, vu]), step=WIDTH))
    uv = np.empty((HEIGHT, 2 * WIDTH), np.uint8)
    full_u, full_v = (np.repeat(np.repeat(c, 2, axis=0), 2, axis=1) for c in (u, v))
    uv[:, 0::2], uv[:, 1::2] = full_u, full_v
    planes = np.concatenate([luma, uv.reshape(2 * HEIGHT, WIDTH)])
    np.testing.assert_array_equal(image_to_rgb(_message("nv24", planes, step=WIDTH)), as_nv21)
    _assert_close(as_nv21, blocks, mean=2.0, worst=8)


def test_padded_rows_of_a_semi_planar_image_are_skipped(smooth_rgb: np.ndarray) -> None:
    luma, u, v = _i420_planes(smooth_rgb)
    vu = np.empty((HEIGHT // 2, WIDTH), np.uint8)
    vu[:, 0::2], vu[:, 1::2] = v, u
    planes = np.pad(np.concatenate([luma, vu]), ((0, 0), (0, 16)), constant_values=0xAB)
    decoded = image_to_rgb(_message("nv21", planes, step=WIDTH + 16))
    _assert_close(decoded, smooth_rgb, mean=2.0, worst=6)


def test_subsampled_encodings_refuse_odd_sizes() -> None:
    msg = Image(height=HEIGHT, width=WIDTH - 1, encoding="uyvy", step=2 * (WIDTH - 1))
    msg.data = bytes(msg.step * HEIGHT)
    with pytest.raises(BadInputError, match="uyvy needs an even width, got 47"):
        image_to_rgb(msg)
    msg = Image(height=HEIGHT - 1, width=WIDTH, encoding="nv21", step=WIDTH)
    msg.data = bytes(WIDTH * (HEIGHT - 1) * 3 // 2)
    with pytest.raises(BadInputError, match="nv21 needs an even height, got 31"):
        image_to_rgb(msg)


def test_semi_planar_data_size_names_the_plane_factor() -> None:
    msg = Image(height=HEIGHT, width=WIDTH, encoding="nv21", step=WIDTH)
    msg.data = bytes(WIDTH * HEIGHT)
    with pytest.raises(BadInputError, match=r"step\*height\*1.5 = 48\*32\*1.5 = 2304"):
        image_to_rgb(msg)


def test_every_listed_encoding_is_covered_by_a_test_here() -> None:
    covered = {
        *("rgb8", "bgr8", "rgba8", "bgra8", "rgb16", "bgr16", "rgba16", "bgra16"),
        *("mono8", "mono16", "uyvy", "yuv422", "yuyv", "yuv422_yuy2", "nv21", "nv24"),
        *(f"bayer_{pattern}{bits}" for pattern in BAYER_OFFSETS for bits in (8, 16)),
    }
    assert set(COLOUR_ENCODINGS) == covered
