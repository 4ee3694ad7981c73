from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PilImage
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from unipixel_ros.errors import BadInputError
from unipixel_ros.ros.image_conversion import (
    compressed_to_rgb,
    depth_to_metres,
    image_to_rgb,
    labels_to_mono16,
    mask_to_mono8,
    rgb_to_image,
)


def _image(pixels: np.ndarray, encoding: str, *, pad: int = 0) -> Image:
    rows = pixels.reshape(pixels.shape[0], -1).view(np.uint8)
    padded = np.pad(rows, ((0, 0), (0, pad)))
    msg = Image(height=pixels.shape[0], width=pixels.shape[1], encoding=encoding)
    msg.step = padded.shape[1]
    msg.data = padded.tobytes()
    return msg


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)


def test_rgb8_round_trips_through_an_image_message(rgb: np.ndarray) -> None:
    msg = rgb_to_image(rgb, Header(frame_id="cam"))
    assert msg.header.frame_id == "cam"
    np.testing.assert_array_equal(image_to_rgb(msg), rgb)


def test_bgr8_and_bgra8_are_reordered_to_rgb(rgb: np.ndarray) -> None:
    np.testing.assert_array_equal(image_to_rgb(_image(rgb[:, :, ::-1].copy(), "bgr8")), rgb)
    bgra = np.concatenate([rgb[:, :, ::-1], np.full((5, 7, 1), 9, np.uint8)], axis=2)
    np.testing.assert_array_equal(image_to_rgb(_image(bgra, "bgra8")), rgb)


def test_rgba8_drops_alpha(rgb: np.ndarray) -> None:
    rgba = np.concatenate([rgb, np.zeros((5, 7, 1), np.uint8)], axis=2)
    np.testing.assert_array_equal(image_to_rgb(_image(rgba, "rgba8")), rgb)


def test_mono8_becomes_grey_rgb() -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    out = image_to_rgb(_image(grey, "mono8"))
    assert out.shape == (3, 4, 3)
    np.testing.assert_array_equal(out[:, :, 1], grey[:, :, 0])


def test_row_padding_in_step_is_skipped(rgb: np.ndarray) -> None:
    np.testing.assert_array_equal(image_to_rgb(_image(rgb, "rgb8", pad=3)), rgb)


def test_unsupported_encoding_names_the_supported_ones(rgb: np.ndarray) -> None:
    with pytest.raises(BadInputError, match=r"unsupported colour encoding '8UC3'.*rgb8, bgr8"):
        image_to_rgb(_image(rgb, "8UC3"))


def test_truncated_data_is_rejected_with_the_byte_counts(rgb: np.ndarray) -> None:
    msg = _image(rgb, "rgb8")
    msg.data = msg.data[:-5]
    with pytest.raises(BadInputError, match=r"data has 100 bytes; step\*height = 21\*5 = 105"):
        image_to_rgb(msg)


def test_step_smaller_than_a_row_is_rejected(rgb: np.ndarray) -> None:
    msg = _image(rgb, "rgb8")
    msg.step = 20
    with pytest.raises(BadInputError, match="step 20 is smaller than width"):
        image_to_rgb(msg)


def test_zero_size_image_is_rejected() -> None:
    with pytest.raises(BadInputError, match="empty colour image: 0x0"):
        image_to_rgb(Image(encoding="rgb8"))


def test_jpeg_and_png_decode_to_rgb(rgb: np.ndarray) -> None:
    buffer = io.BytesIO()
    PilImage.fromarray(rgb).save(buffer, format="PNG")
    msg = CompressedImage(format="png", data=buffer.getvalue())
    np.testing.assert_array_equal(compressed_to_rgb(msg), rgb)
    buffer = io.BytesIO()
    PilImage.fromarray(rgb).save(buffer, format="JPEG")
    assert compressed_to_rgb(CompressedImage(format="jpeg", data=buffer.getvalue())).shape == (
        5,
        7,
        3,
    )


def test_compressed_garbage_is_rejected() -> None:
    with pytest.raises(BadInputError, match=r"compressed image \(format 'jpeg', 4 bytes\)"):
        compressed_to_rgb(CompressedImage(format="jpeg", data=b"\x00\x01\x02\x03"))
    with pytest.raises(BadInputError, match="has no data"):
        compressed_to_rgb(CompressedImage(format="jpeg"))


def test_depth_16uc1_is_millimetres_and_zero_is_missing() -> None:
    depth = np.array([[0, 1000], [1500, 65535]], dtype=np.uint16)[:, :, None]
    metres = depth_to_metres(_image(depth, "16UC1"))
    assert np.isnan(metres[0, 0])
    np.testing.assert_allclose(metres[[0, 1, 1], [1, 0, 1]], [1.0, 1.5, 65.535])


def test_depth_32fc1_is_metres_and_nan_zero_negative_are_missing() -> None:
    depth = np.array([[np.nan, 0.0], [-1.0, 2.5]], dtype=np.float32)[:, :, None]
    metres = depth_to_metres(_image(depth, "32FC1"))
    assert np.isnan(metres[:1]).all() and np.isnan(metres[1, 0])
    assert metres[1, 1] == pytest.approx(2.5)


def test_colour_encoding_given_as_depth_is_rejected(rgb: np.ndarray) -> None:
    with pytest.raises(BadInputError, match=r"unsupported depth encoding 'rgb8'.*16UC1, 32FC1"):
        depth_to_metres(_image(rgb, "rgb8"))


def test_mask_and_label_images_have_ros_encodings() -> None:
    mask = np.zeros((2, 3), dtype=bool)
    mask[1, 2] = True
    mono8 = mask_to_mono8(mask, Header())
    assert (mono8.encoding, mono8.step, list(mono8.data)) == ("mono8", 3, [0, 0, 0, 0, 0, 255])
    labels = np.array([[0, 7], [300, 0]], dtype=np.uint16)
    mono16 = labels_to_mono16(labels, Header())
    assert (mono16.encoding, mono16.step) == ("mono16", 4)
    assert np.frombuffer(bytes(mono16.data), "<u2").tolist() == [0, 7, 300, 0]
