"""The node's ROS parameters: declared once with descriptions, read into a frozen dataclass.

Defaults live here only; config/unipixel.yaml repeats them for users to edit.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)

from unipixel_ros.errors import ConfigError

__all__ = ["ImageTransport", "NodeParameters", "declare_and_read", "image_qos"]


class ImageTransport(str, Enum):
    """How colour images arrive."""

    RAW = "raw"  # sensor_msgs/Image on `image`
    COMPRESSED = "compressed"  # sensor_msgs/CompressedImage on `image/compressed`


@dataclass(frozen=True)
class NodeParameters:
    """Runtime configuration of the perception node (see docs/node.md).

    Args:
        image_topic: colour image topic (remap it, e.g. `image:=/camera/color/image_raw`).
        camera_info_topic: camera_info matching the colour image.
        image_transport: `raw` or `compressed` (then `<image_topic>/compressed` is used).
        qos_reliability: `best_effort` (sensor-data QoS, the default) or `reliable`.
        qos_depth: subscription queue depth; only the latest frame is processed anyway.
        model_path: UniPixel checkpoint directory or hub id; empty means no model is loaded.
        backend: `eager`, `compile` or `tensorrt`.
        max_query_chars: longest accepted query text.
        diagnostics_period_s: period of the /diagnostics status.
    """

    image_topic: str = "image"
    camera_info_topic: str = "camera_info"
    image_transport: str = ImageTransport.RAW.value
    qos_reliability: str = "best_effort"
    qos_depth: int = 1
    model_path: str = ""
    backend: str = "eager"
    max_query_chars: int = 2000
    diagnostics_period_s: float = 1.0

    def __post_init__(self) -> None:
        transports = [t.value for t in ImageTransport]
        if self.image_transport not in transports:
            raise ConfigError(
                f"image_transport is {self.image_transport!r}; use one of {transports}"
            )
        if self.qos_reliability not in ("best_effort", "reliable"):
            raise ConfigError(
                f"qos_reliability is {self.qos_reliability!r}; use 'best_effort' or 'reliable'"
            )
        if self.qos_depth < 1:
            raise ConfigError(f"qos_depth is {self.qos_depth}; it must be at least 1")
        if self.backend not in ("eager", "compile", "tensorrt"):
            raise ConfigError(f"backend is {self.backend!r}; use 'eager', 'compile' or 'tensorrt'")
        if self.max_query_chars < 1:
            raise ConfigError(f"max_query_chars is {self.max_query_chars}; it must be positive")
        if self.diagnostics_period_s <= 0:
            raise ConfigError(f"diagnostics_period_s is {self.diagnostics_period_s}; must be > 0")


_DESCRIPTIONS = {
    "image_topic": "Colour image topic (sensor_msgs/Image); remap rather than edit.",
    "camera_info_topic": "sensor_msgs/CameraInfo matching the colour image.",
    "image_transport": "raw: sensor_msgs/Image; compressed: <image_topic>/compressed.",
    "qos_reliability": "best_effort (sensor-data QoS) or reliable, for image subscriptions.",
    "qos_depth": "Subscription queue depth; only the latest frame is processed.",
    "model_path": "UniPixel checkpoint directory or hub id; empty: no model is loaded.",
    "backend": "Inference backend: eager, compile or tensorrt (falls back when unavailable).",
    "max_query_chars": "Longest query text accepted, in characters.",
    "diagnostics_period_s": "Period of the status published on /diagnostics, seconds.",
}


def declare_and_read(node: Node) -> NodeParameters:
    """Declare every parameter on ``node`` (with descriptions) and read them.

    Raises:
        ConfigError: a value is outside its documented range.
    """
    values: dict[str, Any] = {}
    for field in fields(NodeParameters):
        descriptor = ParameterDescriptor(description=_DESCRIPTIONS[field.name], read_only=True)
        node.declare_parameter(field.name, field.default, descriptor)
        values[field.name] = node.get_parameter(field.name).value
    return NodeParameters(**values)


def image_qos(params: NodeParameters) -> QoSProfile:
    """QoS for image subscriptions: sensor-data QoS unless `qos_reliability` says reliable."""
    if params.qos_reliability == "best_effort":
        return QoSProfile(
            history=qos_profile_sensor_data.history,
            depth=params.qos_depth,
            reliability=qos_profile_sensor_data.reliability,
            durability=qos_profile_sensor_data.durability,
        )
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=params.qos_depth,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.VOLATILE,
    )
