"""The node's ROS parameters: declared once with descriptions, read into a frozen dataclass.

The capacities (`max_objects`, `ring_capacity`, `ring_stride`, `query_frames`,
`max_query_chars`) take their defaults from `TrackerConfig` and `PerceptionConfig`; the other
defaults live here only. config/unipixel.yaml repeats them for users to edit (a test checks
that the two agree). The parameters in `LIVE_PARAMETERS` can change while the node runs
(`ros2 param set`; ros/live_parameters.py checks and applies them); the others are read-only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.exceptions import InvalidTopicNameException, ParameterException
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)
from rclpy.validate_topic_name import validate_topic_name

from unipixel_ros.accel import BackendName
from unipixel_ros.accel.parts.llm_weights import LlmWeights
from unipixel_ros.errors import ConfigError
from unipixel_ros.perception.config import PerceptionConfig
from unipixel_ros.perception.factory import Device
from unipixel_ros.tracking.config import SamPrecision, TrackerConfig

__all__ = [
    "LIVE_PARAMETERS",
    "REQUEST_QOS",
    "ImageTransport",
    "NodeParameters",
    "QosReliability",
    "declare_and_read",
    "image_qos",
]

_TRACKER = TrackerConfig()
_PERCEPTION = PerceptionConfig()


# Service and action QoS of the node and its clients: requests beyond max_pending_requests must
# reach the worker to be answered "busy"; a shallow queue would drop them silently instead.
REQUEST_QOS = QoSProfile(depth=256, reliability=ReliabilityPolicy.RELIABLE)


class ImageTransport(str, Enum):
    """How colour images arrive."""

    RAW = "raw"  # sensor_msgs/Image on `image`
    COMPRESSED = "compressed"  # sensor_msgs/CompressedImage on `image/compressed`


class QosReliability(str, Enum):
    """Reliability of the image subscriptions."""

    BEST_EFFORT = "best_effort"  # sensor-data QoS
    RELIABLE = "reliable"


@dataclass(frozen=True)
class NodeParameters:
    """Runtime configuration of the perception node (see docs/node.md).

    Args:
        image_topic: colour image topic (remap it, e.g. `image:=/camera/color/image_raw`).
        camera_info_topic: camera_info matching the colour image.
        depth_topic: depth image aligned to the colour image (16UC1 mm or 32FC1 m).
        use_depth: subscribe to `depth_topic` and publish 3-D centroids and markers.
        cameras: camera names for multi-camera use; empty for one camera on the topics above.
            Camera `NAME` uses `NAME/image`, `NAME/camera_info` and `NAME/depth`.
        image_transport: `raw` or `compressed` (then `<image_topic>/compressed` is used).
        qos_reliability: `best_effort` (sensor-data QoS, the default) or `reliable`.
        qos_depth: subscription queue depth; only the latest frame is processed anyway.
        sync_slop_s: largest stamp difference between an image and its camera_info / depth.
        sync_queue_size: messages kept per stream while matching stamps.
        clicked_point_topic: RViz2 "Publish Point" topic (geometry_msgs/PointStamped).
        model_path: UniPixel checkpoint directory or hub id; empty means no model is loaded;
            `tiny-random` builds a tiny model with random weights (tests, dry runs).
        device: `auto` (CUDA when available), `cpu` or `cuda`.
        backend: `eager`, `compile` or `tensorrt`.
        llm_weights: `bf16` (unquantized) or `int8` (weight-only, the decoder blocks' linears).
        sam_precision: SAM 2.1's tracking dtype: `auto` (bfloat16 on CUDA, float32 on CPU),
            `float32`, `bfloat16` or `float16`.
        max_objects: most objects tracked per camera.
        ring_capacity: recent frames kept per camera (the video context of queries).
        ring_stride: keep every n-th frame in that buffer.
        query_frames: frames a query uses when it does not say.
        max_query_chars: longest accepted query text.
        max_pending_requests: requests that may wait for the model; more are answered "busy".
        request_timeout_s: how long a service waits for its answer.
        overlay_alpha: opacity of the mask colours in the overlay image.
        diagnostics_period_s: period of the /diagnostics status.
    """

    image_topic: str = "image"
    camera_info_topic: str = "camera_info"
    depth_topic: str = "depth"
    use_depth: bool = False
    cameras: tuple[str, ...] = field(default_factory=tuple)
    image_transport: str = ImageTransport.RAW.value
    qos_reliability: str = QosReliability.BEST_EFFORT.value
    qos_depth: int = 1
    sync_slop_s: float = 0.05
    sync_queue_size: int = 10
    clicked_point_topic: str = "/clicked_point"
    model_path: str = ""
    device: str = Device.AUTO.value
    backend: str = BackendName.EAGER.value
    llm_weights: str = LlmWeights.BF16.value
    sam_precision: str = _TRACKER.sam_precision.value
    max_objects: int = _TRACKER.max_objects
    ring_capacity: int = _TRACKER.ring_capacity
    ring_stride: int = _TRACKER.ring_stride
    query_frames: int = _PERCEPTION.query_frames
    max_query_chars: int = _PERCEPTION.max_query_chars
    max_pending_requests: int = 4
    request_timeout_s: float = 120.0
    overlay_alpha: float = 0.5
    diagnostics_period_s: float = 1.0

    def __post_init__(self) -> None:
        choices: dict[str, type[Enum]] = {
            "image_transport": ImageTransport,
            "qos_reliability": QosReliability,
            "device": Device,
            "backend": BackendName,
            "llm_weights": LlmWeights,
            "sam_precision": SamPrecision,
        }
        for name, choice in choices.items():
            allowed = [c.value for c in choice]
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} is {getattr(self, name)!r}; use one of {allowed}")
        positive = (
            "qos_depth",
            "sync_queue_size",
            "max_objects",
            "ring_capacity",
            "ring_stride",
            "query_frames",
            "max_query_chars",
            "max_pending_requests",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} is {getattr(self, name)}; it must be at least 1")
        for name in ("sync_slop_s", "request_timeout_s", "diagnostics_period_s"):
            if not math.isfinite(getattr(self, name)) or getattr(self, name) <= 0:
                raise ConfigError(f"{name} is {getattr(self, name)}; it must be finite and > 0")
        if self.query_frames > self.ring_capacity:
            raise ConfigError(
                f"query_frames ({self.query_frames}) exceeds ring_capacity ({self.ring_capacity})"
            )
        if not 0.0 <= self.overlay_alpha <= 1.0:
            raise ConfigError(f"overlay_alpha is {self.overlay_alpha}; it must be in [0, 1]")
        if len(set(self.cameras)) != len(self.cameras) or any(not c for c in self.cameras):
            raise ConfigError(f"cameras must be unique, non-empty names: {list(self.cameras)}")

    @property
    def camera_names(self) -> tuple[str, ...]:
        """The cameras the node serves; "" is the single camera on the plain topic names."""
        return self.cameras or ("",)


_DESCRIPTIONS = {
    "image_topic": "Colour image topic (sensor_msgs/Image); remap rather than edit.",
    "camera_info_topic": "sensor_msgs/CameraInfo matching the colour image.",
    "depth_topic": "Depth aligned to the colour image: 16UC1 (mm) or 32FC1 (m).",
    "use_depth": "Subscribe to depth_topic; publish 3-D centroids and markers.",
    "cameras": "Camera names for multi-camera use (NAME/image, NAME/camera_info, NAME/depth).",
    "image_transport": "raw: sensor_msgs/Image; compressed: <image_topic>/compressed.",
    "qos_reliability": "best_effort (sensor-data QoS) or reliable, for image subscriptions.",
    "qos_depth": "Subscription queue depth; only the latest frame is processed.",
    "sync_slop_s": "Largest stamp difference between an image and its camera_info/depth, s.",
    "sync_queue_size": "Messages kept per stream while matching stamps.",
    "clicked_point_topic": "RViz2 Publish Point topic (geometry_msgs/PointStamped).",
    "model_path": "UniPixel checkpoint directory or hub id; empty: none; tiny-random: RANDOM.",
    "device": "auto (CUDA when available), cpu or cuda.",
    "backend": "Inference backend: eager, compile or tensorrt (falls back when unavailable).",
    "llm_weights": "LLM decoder weights: bf16 (unquantized) or int8 (weight-only, torchao).",
    "sam_precision": "SAM 2.1 dtype: auto (bf16 on CUDA, fp32 on CPU), float32, bfloat16, float16.",
    "max_objects": "Most objects tracked per camera.",
    "ring_capacity": "Recent frames kept per camera: the video context of a query.",
    "ring_stride": "Keep every n-th frame in the recent-frame buffer.",
    "query_frames": "Frames a query uses when it does not say.",
    "max_query_chars": "Longest query text accepted, in characters.",
    "max_pending_requests": "Requests that may wait for the model; more are answered busy.",
    "request_timeout_s": "How long a service call waits for its answer, seconds.",
    "overlay_alpha": "Opacity of mask colours in the overlay image, 0..1.",
    "diagnostics_period_s": "Period of the status published on /diagnostics, seconds.",
}


#: What a running node may change (`ros2 param set`): each is read where it is used, per
#: frame, request or timer tick, so a new value needs no rebuilt subscription, lane or model.
LIVE_PARAMETERS = frozenset(
    {
        "sync_slop_s",
        "query_frames",
        "max_query_chars",
        "max_pending_requests",
        "request_timeout_s",
        "overlay_alpha",
        "diagnostics_period_s",
    }
)
_RESTART = " Read-only: set it at start-up (a change needs a restart)."

_TOPICS = ("image_topic", "camera_info_topic", "depth_topic", "clicked_point_topic")


def declare_and_read(node: Node) -> NodeParameters:
    """Declare every parameter on ``node`` (with descriptions) and read them.

    Raises:
        ConfigError: a value has the wrong type, is empty (`[]` or null in YAML), is not a valid
            topic name where one is needed, or is outside its documented range.
    """
    values: dict[str, Any] = {}
    defaults = NodeParameters()
    for item in fields(NodeParameters):
        live = item.name in LIVE_PARAMETERS
        descriptor = ParameterDescriptor(
            description=_DESCRIPTIONS[item.name] + ("" if live else _RESTART), read_only=not live
        )
        # An empty list has no type of its own: `cameras` is declared by type.
        default = (
            Parameter.Type.STRING_ARRAY if item.name == "cameras" else getattr(defaults, item.name)
        )
        try:
            value = node.declare_parameter(item.name, default, descriptor).value
        except ParameterException as err:
            raise ConfigError(f"parameter {item.name}: {err}") from err
        if value is None and item.name != "cameras":
            raise ConfigError(f"parameter {item.name} has no value (an empty list or null)")
        if item.name in _TOPICS:
            try:
                validate_topic_name(value)
            except InvalidTopicNameException as err:
                raise ConfigError(f"parameter {item.name}: {value!r} is not a topic name") from err
        values[item.name] = value
    values["cameras"] = tuple(values["cameras"] or ())
    return NodeParameters(**values)


def image_qos(params: NodeParameters) -> QoSProfile:
    """QoS for image subscriptions: sensor-data QoS unless `qos_reliability` says reliable."""
    if params.qos_reliability == QosReliability.BEST_EFFORT.value:
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
