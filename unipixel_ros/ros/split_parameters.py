"""Parameters of the split deployment: the tracker's link to its reasoner, and the reasoner's own.

The tracker (`tracker_node`) declares every parameter of the single node (`parameters`) plus
`TrackerLinkParameters`; the reasoner (`reasoner_node`) declares `ReasonerParameters` only.
Both are read-only and read once at start-up, like the single node's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, TypeVar

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.exceptions import ParameterException
from rclpy.node import Node

from unipixel_ros.accel import BackendName
from unipixel_ros.errors import ConfigError
from unipixel_ros.perception.factory import Device
from unipixel_ros.ros.reason_encoding import FrameTransport, MaskEncoding

__all__ = [
    "DEFAULT_REASONER_ACTION",
    "REASONER_NODE_NAME",
    "ReasonerParameters",
    "TrackerLinkParameters",
    "declare_and_read_dataclass",
]

REASONER_NODE_NAME = "unipixel_reasoner"
DEFAULT_REASONER_ACTION = f"/{REASONER_NODE_NAME}/reason"


@dataclass(frozen=True)
class TrackerLinkParameters:
    """How a tracker reaches its reasoner (see docs/deployment.md).

    Args:
        reasoner_action: the reasoner's Reason action (absolute, so trackers in other
            namespaces share one reasoner).
        reasoner_frames: `jpeg` (default, small) or `raw` (bit-exact: the reasoner sees the
            tracker's pixels, so answers and masks equal the single node's).
        reasoner_jpeg_quality: JPEG quality of the frames sent, 1..100.
        reasoner_masks: how the reasoner returns masks (and memory masks go): `png` or `rle`.
        reasoner_connect_timeout_s: how long a request waits for the reasoner to appear on the
            graph before it fails (bounded by `request_timeout_s`).
        sam2_checkpoint: an original SAM 2.1 `.pt` to track with instead of the SAM 2.1 inside
            `model_path` (whose config.json still names the architecture); empty for none.
    """

    reasoner_action: str = DEFAULT_REASONER_ACTION
    reasoner_frames: str = FrameTransport.JPEG.value
    reasoner_jpeg_quality: int = 90
    reasoner_masks: str = MaskEncoding.PNG.value
    reasoner_connect_timeout_s: float = 5.0
    sam2_checkpoint: str = ""

    def __post_init__(self) -> None:
        _check_choices(self, {"reasoner_frames": FrameTransport, "reasoner_masks": MaskEncoding})
        if not 1 <= self.reasoner_jpeg_quality <= 100:
            raise ConfigError(
                f"reasoner_jpeg_quality is {self.reasoner_jpeg_quality}; it must be in 1..100"
            )
        if self.reasoner_connect_timeout_s <= 0:
            raise ConfigError(
                f"reasoner_connect_timeout_s is {self.reasoner_connect_timeout_s}; it must be > 0"
            )
        if not self.reasoner_action.startswith("/"):
            raise ConfigError(
                f"reasoner_action is {self.reasoner_action!r}; give an absolute name such as "
                f"{DEFAULT_REASONER_ACTION!r}"
            )

    @property
    def frame_transport(self) -> FrameTransport:
        return FrameTransport(self.reasoner_frames)

    @property
    def mask_encoding(self) -> MaskEncoding:
        return MaskEncoding(self.reasoner_masks)


@dataclass(frozen=True)
class ReasonerParameters:
    """Runtime configuration of the reasoner node.

    Args:
        model_path: UniPixel checkpoint directory or hub id; `tiny-random` builds the tiny
            model with random weights (tests); empty refuses every goal with "no model".
        device: `auto` (CUDA when available), `cpu` or `cuda`.
        backend: `eager`, `compile` or `tensorrt` (the LLM decode loop and SAM 2.1's encoder).
        max_pending_requests: goals that may wait; more are answered busy.
        diagnostics_period_s: period of the /diagnostics status.
    """

    model_path: str = ""
    device: str = Device.AUTO.value
    backend: str = BackendName.EAGER.value
    max_pending_requests: int = 4
    diagnostics_period_s: float = 1.0

    def __post_init__(self) -> None:
        _check_choices(self, {"device": Device, "backend": BackendName})
        if self.max_pending_requests < 1:
            raise ConfigError(
                f"max_pending_requests is {self.max_pending_requests}; it must be at least 1"
            )
        if self.diagnostics_period_s <= 0:
            raise ConfigError(
                f"diagnostics_period_s is {self.diagnostics_period_s}; it must be > 0"
            )


_DESCRIPTIONS = {
    "reasoner_action": "The reasoner's Reason action (absolute name).",
    "reasoner_frames": "Frames to the reasoner: jpeg (small) or raw (bit-exact).",
    "reasoner_jpeg_quality": "JPEG quality of the frames sent to the reasoner, 1..100.",
    "reasoner_masks": "Masks from the reasoner: png or rle (both lossless).",
    "reasoner_connect_timeout_s": "How long a request waits for the reasoner to appear, s.",
    "sam2_checkpoint": "SAM 2.1 .pt to track with instead of model_path's; empty: none.",
    "model_path": "UniPixel checkpoint directory or hub id; tiny-random: RANDOM weights.",
    "device": "auto (CUDA when available), cpu or cuda.",
    "backend": "Inference backend: eager, compile or tensorrt (falls back when unavailable).",
    "max_pending_requests": "Goals that may wait for the model; more are answered busy.",
    "diagnostics_period_s": "Period of the status published on /diagnostics, seconds.",
}

P = TypeVar("P")


def declare_and_read_dataclass(node: Node, kind: type[P]) -> P:
    """Declare the fields of ``kind`` (a parameter dataclass above) on ``node`` and read them.

    Raises:
        ConfigError: a value has the wrong type or is outside its documented range.
    """
    values: dict[str, Any] = {}
    defaults = kind()
    for item in fields(kind):  # type: ignore[arg-type]
        descriptor = ParameterDescriptor(description=_DESCRIPTIONS[item.name], read_only=True)
        try:
            value = node.declare_parameter(item.name, getattr(defaults, item.name), descriptor)
        except ParameterException as err:
            raise ConfigError(f"parameter {item.name}: {err}") from err
        values[item.name] = value.value
    return kind(**values)


def _check_choices(params: object, choices: dict[str, type[Enum]]) -> None:
    for name, choice in choices.items():
        allowed = [c.value for c in choice]
        if getattr(params, name) not in allowed:
            raise ConfigError(f"{name} is {getattr(params, name)!r}; use one of {allowed}")
