from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError
from unipixel_ros.evaluation.bags.messages import (
    CAMERA_INFO_TYPE,
    IMAGE_TYPE,
    TF_TYPE,
    StampedTransform,
    camera_from_info,
    camera_info_message,
    image_from_message,
    image_message,
    stamp_ns_of,
    tf_message,
    transforms_from_message,
    typestore,
)
from unipixel_ros.synthetic.camera import PinholeCamera, RigidTransform


def _cdr_round_trip(message, msgtype):
    store = typestore()
    raw = bytes(store.serialize_cdr(message, msgtype))
    return store.deserialize_cdr(raw, msgtype)


@pytest.mark.parametrize(
    ("encoding", "dtype", "shape"),
    [
        ("rgb8", np.uint8, (5, 7, 3)),
        ("mono8", np.uint8, (5, 7)),
        ("mono16", np.uint16, (5, 7)),
        ("16UC1", np.uint16, (5, 7)),
        ("32FC1", np.float32, (5, 7)),
    ],
)
def test_images_survive_message_and_cdr_round_trips(encoding, dtype, shape):
    rng = np.random.default_rng(0)
    array = (rng.random(shape) * 60000).astype(dtype)
    message = image_message(array, encoding=encoding, stamp_ns=1_500_000_123, frame_id="cam")
    decoded = image_from_message(_cdr_round_trip(message, IMAGE_TYPE))
    np.testing.assert_array_equal(decoded, array)
    assert stamp_ns_of(message) == 1_500_000_123
    assert message.header.frame_id == "cam"
    assert message.step == shape[1] * (3 if len(shape) == 3 else 1) * np.dtype(dtype).itemsize


def test_bgr8_images_are_returned_as_rgb():
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    message = image_message(rgb[..., ::-1].copy(), encoding="bgr8", stamp_ns=0, frame_id="c")
    np.testing.assert_array_equal(image_from_message(message), rgb)


def test_big_endian_and_padded_rows_decode():
    values = np.array([[1, 258], [513, 65535]], dtype=np.uint16)
    message = image_message(values, encoding="16UC1", stamp_ns=0, frame_id="c")
    rows = values.astype(">u2").view(np.uint8).reshape(2, 4)
    message.is_bigendian = 1
    message.step = 6  # two bytes of padding per row
    message.data = np.concatenate([rows, np.zeros((2, 2), np.uint8)], axis=1).reshape(-1)
    np.testing.assert_array_equal(image_from_message(message), values)


def test_image_message_rejects_a_dtype_the_encoding_does_not_use():
    with pytest.raises(BadInputError, match=r"16UC1 needs dtype uint16, got uint8"):
        image_message(np.zeros((2, 2), np.uint8), encoding="16UC1", stamp_ns=0, frame_id="c")


def test_unsupported_encodings_are_named():
    with pytest.raises(BadInputError, match=r"unsupported image encoding 'yuv422'"):
        image_message(np.zeros((2, 2), np.uint8), encoding="yuv422", stamp_ns=0, frame_id="c")


def test_short_image_data_is_reported():
    message = image_message(np.zeros((4, 4), np.uint8), encoding="mono8", stamp_ns=0, frame_id="c")
    message.data = message.data[:10]
    with pytest.raises(BadInputError, match=r"needs step >= 4 and 16 bytes, got step 4 and 10"):
        image_from_message(message)


def test_camera_info_round_trip_keeps_the_intrinsics():
    camera = PinholeCamera(width=64, height=48, fx=50.0, fy=51.0, cx=31.5, cy=23.5)
    message = camera_info_message(camera, stamp_ns=7, frame_id="cam")
    decoded = _cdr_round_trip(message, CAMERA_INFO_TYPE)
    assert camera_from_info(decoded) == camera
    assert decoded.distortion_model == "plumb_bob"
    np.testing.assert_allclose(decoded.p.reshape(3, 4)[:, :3], camera.matrix)


def test_tf_message_round_trip_keeps_frames_stamps_and_poses():
    pose = RigidTransform.from_quaternion(xyzw=(0.1, -0.2, 0.3, 0.9), translation=(1, 2, 3))
    edge = StampedTransform(parent_frame="table", child_frame="cam", stamp_ns=42, transform=pose)
    (decoded,) = transforms_from_message(_cdr_round_trip(tf_message([edge]), TF_TYPE))
    assert (decoded.parent_frame, decoded.child_frame, decoded.stamp_ns) == ("table", "cam", 42)
    np.testing.assert_allclose(decoded.transform.matrix, pose.matrix, atol=1e-12)
