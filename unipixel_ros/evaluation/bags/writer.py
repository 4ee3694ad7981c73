"""Write camera frames to rosbag2 (MCAP or sqlite3) with `rosbags`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from rosbags.interfaces import (
    Connection,
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)
from rosbags.rosbag2 import CompressionFormat, CompressionMode, Writer, WriterError

from unipixel_ros.errors import BadInputError, BagError, ConfigError
from unipixel_ros.evaluation.bags.layout import OPTICAL_FRAME, BagStorage, BagTopics
from unipixel_ros.evaluation.bags.messages import (
    CAMERA_INFO_TYPE,
    IMAGE_TYPE,
    TF_TYPE,
    StampedTransform,
    camera_info_message,
    image_message,
    tf_message,
    typestore,
)
from unipixel_ros.synthetic.camera import PinholeCamera

__all__ = ["CameraBagWriter", "WrittenBag"]

_LOG = logging.getLogger(__name__)


def _qos(*, depth: int, durability: QosDurability) -> Qos:
    unset = QosTime(sec=0, nsec=0)
    return Qos(
        history=QosHistory.KEEP_LAST,
        depth=depth,
        reliability=QosReliability.RELIABLE,
        durability=durability,
        deadline=unset,
        lifespan=unset,
        liveliness=QosLiveliness.AUTOMATIC,
        liveliness_lease_duration=unset,
        avoid_ros_namespace_conventions=False,
    )


# Reliable publishers match both reliable and sensor-data (best-effort) subscribers on replay;
# /tf_static is latched as tf2 expects.
_STREAM_QOS = _qos(depth=10, durability=QosDurability.VOLATILE)
_STATIC_QOS = _qos(depth=1, durability=QosDurability.TRANSIENT_LOCAL)


@dataclass(frozen=True, kw_only=True)
class WrittenBag:
    """Where a bag went.

    Args:
        path: The bag directory (holds metadata.yaml and the storage file).
        queries_path: The query spec inside it, or None when none was written.
        frame_count: Colour frames written.
        storage: Storage plugin used.
    """

    path: Path
    queries_path: Path | None
    frame_count: int
    storage: BagStorage


class CameraBagWriter:
    """Writes RGB(-D) camera frames, ground truth and TF to a new rosbag2 directory.

    Use as a context manager. Each message's log time equals its header stamp; topics appear in
    the bag when first written.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        storage: BagStorage = BagStorage.MCAP,
        topics: BagTopics | None = None,
        optical_frame: str = OPTICAL_FRAME,
        compress: bool = False,
    ) -> None:
        """Args:
        path: Bag directory to create; must not exist.
        storage: MCAP or sqlite3.
        topics: Topic names; the RealSense-style defaults when None.
        optical_frame: frame_id of every image and camera_info header.
        compress: zstd chunk compression (MCAP only; `ros2 bag play` reads it natively).
        """
        if compress and storage is not BagStorage.MCAP:
            msg = f"compression needs MCAP storage, got {storage.value}"
            raise ConfigError(msg)
        self.compress = compress
        self.path = Path(path)
        self.storage = storage
        self.topics = topics or BagTopics()
        self.optical_frame = optical_frame
        self.frame_count = 0
        self._writer: Writer | None = None
        self._connections: dict[str, Connection] = {}

    def __enter__(self) -> CameraBagWriter:
        try:
            writer = Writer(
                self.path, version=Writer.VERSION_LATEST, storage_plugin=self.storage.plugin
            )
            if self.compress:
                writer.set_compression(CompressionMode.STORAGE, CompressionFormat.ZSTD)
            writer.open()
        except (WriterError, OSError) as err:
            msg = f"cannot create bag {self.path}: {err}"
            raise BagError(msg) from err
        self._writer = writer
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            writer.close()
        except (WriterError, OSError) as err:
            if exc is None:
                msg = f"cannot finish bag {self.path}: {err}"
                raise BagError(msg) from err
            _LOG.warning("closing bag %s after an error failed too: %s", self.path, err)

    def write_static_transforms(self, transforms: list[StampedTransform]) -> None:
        """Publish fixed TF edges once on the static topic (latched on replay)."""
        stamp_ns = min(edge.stamp_ns for edge in transforms)
        self._write(self.topics.tf_static, TF_TYPE, tf_message(transforms), stamp_ns, _STATIC_QOS)

    def write_frame(
        self,
        *,
        stamp_ns: int,
        rgb: np.ndarray,
        camera: PinholeCamera,
        depth_mm: np.ndarray | None = None,
        instance_labels: np.ndarray | None = None,
        transforms: list[StampedTransform] | None = None,
    ) -> None:
        """Write one frame; every message carries ``stamp_ns`` and the optical frame.

        Args:
            stamp_ns: Header stamp and log time, nanoseconds.
            rgb: `np.ndarray` of shape `(height, width, 3)`, uint8 RGB.
            camera: Intrinsics matching ``rgb``'s size.
            depth_mm: `np.ndarray` of shape `(height, width)`, uint16 millimetres aligned to
                ``rgb``, 0 = no reading; omitted when None.
            instance_labels: `np.ndarray` of shape `(height, width)`, uint16 object ids;
                omitted when None.
            transforms: Dynamic TF edges of this instant, written first; omitted when None.
        """
        size = (camera.height, camera.width)
        for name, array in (("depth_mm", depth_mm), ("instance_labels", instance_labels)):
            if array is not None and array.shape != size:
                msg = f"{name} must have shape {size} like the camera, got {array.shape}"
                raise BadInputError(msg)
        if rgb.shape[:2] != size:
            msg = f"rgb must have shape {(*size, 3)} like the camera, got {rgb.shape}"
            raise BadInputError(msg)
        frame = self.optical_frame
        if transforms:
            self._write(self.topics.tf, TF_TYPE, tf_message(transforms), stamp_ns, _STREAM_QOS)
        info = camera_info_message(camera, stamp_ns=stamp_ns, frame_id=frame)
        color = image_message(rgb, encoding="rgb8", stamp_ns=stamp_ns, frame_id=frame)
        self._write(self.topics.color, IMAGE_TYPE, color, stamp_ns, _STREAM_QOS)
        self._write(self.topics.color_info, CAMERA_INFO_TYPE, info, stamp_ns, _STREAM_QOS)
        if depth_mm is not None:
            depth = image_message(depth_mm, encoding="16UC1", stamp_ns=stamp_ns, frame_id=frame)
            self._write(self.topics.depth, IMAGE_TYPE, depth, stamp_ns, _STREAM_QOS)
            self._write(self.topics.depth_info, CAMERA_INFO_TYPE, info, stamp_ns, _STREAM_QOS)
        if instance_labels is not None:
            labels = image_message(
                instance_labels, encoding="mono16", stamp_ns=stamp_ns, frame_id=frame
            )
            self._write(self.topics.ground_truth, IMAGE_TYPE, labels, stamp_ns, _STREAM_QOS)
        self.frame_count += 1

    def _write(self, topic: str, msgtype: str, message: Any, stamp_ns: int, qos: Qos) -> None:
        if self._writer is None:
            msg = f"bag {self.path} is not open; use CameraBagWriter as a context manager"
            raise BagError(msg)
        connection = self._connections.get(topic)
        if connection is None:
            connection = self._writer.add_connection(
                topic, msgtype, typestore=typestore(), offered_qos_profiles=[qos]
            )
            self._connections[topic] = connection
        self._writer.write(connection, stamp_ns, bytes(typestore().serialize_cdr(message, msgtype)))
