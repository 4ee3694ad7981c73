"""Conversions between numpy arrays and the ROS 2 messages stored in bags, without rclpy.

Messages are the `rosbags` typestore's dataclasses (ROS 2 Kilted definitions, identical to
Jazzy's for every type used here); their CDR bytes are what rclpy would serialise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from rosbags.typesys import Stores, get_typestore

from unipixel_ros.errors import BadInputError
from unipixel_ros.stamps import ns_to_sec_nanosec, stamp_to_ns
from unipixel_ros.synthetic.camera import PinholeCamera, RigidTransform

__all__ = [
    "CAMERA_INFO_TYPE",
    "IMAGE_TYPE",
    "TF_TYPE",
    "StampedTransform",
    "camera_from_info",
    "camera_info_message",
    "image_from_message",
    "image_message",
    "stamp_ns_of",
    "tf_message",
    "transforms_from_message",
    "typestore",
]

IMAGE_TYPE = "sensor_msgs/msg/Image"
CAMERA_INFO_TYPE = "sensor_msgs/msg/CameraInfo"
TF_TYPE = "tf2_msgs/msg/TFMessage"

# encoding -> (numpy dtype, channels)
_ENCODINGS: dict[str, tuple[str, int]] = {
    "rgb8": ("u1", 3),
    "bgr8": ("u1", 3),
    "rgba8": ("u1", 4),
    "bgra8": ("u1", 4),
    "mono8": ("u1", 1),
    "8UC1": ("u1", 1),
    "mono16": ("u2", 1),
    "16UC1": ("u2", 1),
    "32FC1": ("f4", 1),
}


@dataclass(frozen=True, kw_only=True, eq=False)
class StampedTransform:
    """One TF edge: the pose of ``child_frame`` in ``parent_frame`` at ``stamp_ns``."""

    parent_frame: str
    child_frame: str
    stamp_ns: int
    transform: RigidTransform


@cache
def typestore() -> Any:
    """The shared `rosbags` typestore (ROS 2 Kilted)."""
    return get_typestore(Stores.ROS2_KILTED)


def _header(stamp_ns: int, frame_id: str) -> Any:
    types = typestore().types
    sec, nanosec = ns_to_sec_nanosec(stamp_ns)
    stamp = types["builtin_interfaces/msg/Time"](sec=sec, nanosec=nanosec)
    return types["std_msgs/msg/Header"](stamp=stamp, frame_id=frame_id)


def stamp_ns_of(message: Any) -> int:
    """The header stamp of a stamped message, in nanoseconds."""
    return stamp_to_ns(message.header.stamp)


def image_message(array: np.ndarray, *, encoding: str, stamp_ns: int, frame_id: str) -> Any:
    """A `sensor_msgs/msg/Image` holding ``array`` (little-endian, no row padding).

    Args:
        array: `(height, width, channels)` for colour encodings, `(height, width)` otherwise,
            with the dtype the encoding implies (uint8, uint16 or float32).
        encoding: One of rgb8, bgr8, rgba8, bgra8, mono8, 8UC1, mono16, 16UC1, 32FC1.
        stamp_ns: Header stamp, nanoseconds.
        frame_id: Header frame (the camera's optical frame).
    """
    if encoding not in _ENCODINGS:
        msg = f"unsupported image encoding {encoding!r}; supported: {sorted(_ENCODINGS)}"
        raise BadInputError(msg)
    dtype, channels = _ENCODINGS[encoding]
    expected_ndim = 3 if channels > 1 else 2
    if array.ndim != expected_ndim or (channels > 1 and array.shape[2] != channels):
        msg = f"{encoding} needs an array of {expected_ndim} dims with {channels} channels, "
        msg += f"got shape {array.shape}"
        raise BadInputError(msg)
    if array.dtype != np.dtype(dtype):
        msg = f"{encoding} needs dtype {np.dtype(dtype)}, got {array.dtype}"
        raise BadInputError(msg)
    height, width = array.shape[:2]
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    return typestore().types[IMAGE_TYPE](
        header=_header(stamp_ns, frame_id),
        height=height,
        width=width,
        encoding=encoding,
        is_bigendian=0,
        step=width * channels * data.itemsize,
        data=data.view(np.uint8).reshape(-1),
    )


def image_from_message(message: Any) -> np.ndarray:
    """The pixels of a `sensor_msgs/msg/Image`, in native byte order.

    Returns:
        rgb8/bgr8 (converted to RGB) and rgba8/bgra8 (alpha dropped): `(height, width, 3)`
        uint8 RGB; mono8/8UC1: `(height, width)` uint8; mono16/16UC1: `(height, width)` uint16;
        32FC1: `(height, width)` float32.
    """
    encoding = message.encoding
    if encoding not in _ENCODINGS:
        msg = f"unsupported image encoding {encoding!r}; supported: {sorted(_ENCODINGS)}"
        raise BadInputError(msg)
    dtype_code, channels = _ENCODINGS[encoding]
    dtype = np.dtype(dtype_code).newbyteorder(">" if message.is_bigendian else "<")
    row_bytes = message.width * channels * dtype.itemsize
    raw = np.asarray(message.data, dtype=np.uint8)
    if message.step < row_bytes or raw.size < message.step * message.height:
        msg = (
            f"image of {message.width}x{message.height} {encoding} needs step >= {row_bytes} and "
            f"{message.step * message.height} bytes, got step {message.step} and {raw.size} bytes"
        )
        raise BadInputError(msg)
    rows = raw[: message.step * message.height].reshape(message.height, message.step)
    pixels = np.ascontiguousarray(rows[:, :row_bytes]).view(dtype).astype(dtype.newbyteorder("="))
    if channels == 1:
        return pixels.reshape(message.height, message.width)
    pixels = pixels.reshape(message.height, message.width, channels)[..., :3]
    if encoding.startswith("bgr"):
        pixels = pixels[..., ::-1]
    return np.ascontiguousarray(pixels)


def camera_info_message(camera: PinholeCamera, *, stamp_ns: int, frame_id: str) -> Any:
    """A `sensor_msgs/msg/CameraInfo` for an undistorted pinhole camera (plumb_bob, D = 0)."""
    types = typestore().types
    k = camera.matrix
    projection = np.zeros((3, 4))
    projection[:, :3] = k
    return types[CAMERA_INFO_TYPE](
        header=_header(stamp_ns, frame_id),
        height=camera.height,
        width=camera.width,
        distortion_model="plumb_bob",
        d=np.zeros(5),
        k=k.reshape(-1),
        r=np.eye(3).reshape(-1),
        p=projection.reshape(-1),
        binning_x=0,
        binning_y=0,
        roi=types["sensor_msgs/msg/RegionOfInterest"](
            x_offset=0, y_offset=0, height=0, width=0, do_rectify=False
        ),
    )


def camera_from_info(message: Any) -> PinholeCamera:
    """The pinhole intrinsics of a `sensor_msgs/msg/CameraInfo` (distortion is ignored)."""
    k = np.asarray(message.k, dtype=np.float64)
    if k.shape != (9,) or k[0] <= 0.0 or k[4] <= 0.0:
        msg = f"camera_info K must hold 9 values with fx, fy > 0, got {k.tolist()}"
        raise BadInputError(msg)
    return PinholeCamera(
        width=int(message.width),
        height=int(message.height),
        fx=float(k[0]),
        fy=float(k[4]),
        cx=float(k[2]),
        cy=float(k[5]),
    )


def tf_message(transforms: list[StampedTransform]) -> Any:
    """A `tf2_msgs/msg/TFMessage` holding ``transforms``."""
    types = typestore().types
    stamped = []
    for edge in transforms:
        x, y, z, w = edge.transform.quaternion_xyzw()
        tx, ty, tz = (float(v) for v in edge.transform.translation)
        stamped.append(
            types["geometry_msgs/msg/TransformStamped"](
                header=_header(edge.stamp_ns, edge.parent_frame),
                child_frame_id=edge.child_frame,
                transform=types["geometry_msgs/msg/Transform"](
                    translation=types["geometry_msgs/msg/Vector3"](x=tx, y=ty, z=tz),
                    rotation=types["geometry_msgs/msg/Quaternion"](x=x, y=y, z=z, w=w),
                ),
            )
        )
    return types[TF_TYPE](transforms=stamped)


def transforms_from_message(message: Any) -> list[StampedTransform]:
    """The edges of a `tf2_msgs/msg/TFMessage`."""
    edges = []
    for stamped in message.transforms:
        rotation = stamped.transform.rotation
        translation = stamped.transform.translation
        edges.append(
            StampedTransform(
                parent_frame=stamped.header.frame_id,
                child_frame=stamped.child_frame_id,
                stamp_ns=stamp_ns_of(stamped),
                transform=RigidTransform.from_quaternion(
                    xyzw=(rotation.x, rotation.y, rotation.z, rotation.w),
                    translation=(translation.x, translation.y, translation.z),
                ),
            )
        )
    return edges
