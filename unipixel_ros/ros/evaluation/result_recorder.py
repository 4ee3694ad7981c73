"""Record what the perception node publishes into an MCAP result bag, and keep the masks.

The recorder subscribes on a client's node (whose executor spins the callbacks) to the node's
``~/masks``, ``~/answers``, ``/diagnostics`` and, when asked, ``~/overlay``. Every message is
written with its receive time as log time (as ``ros2 bag record`` does) using the CDR bytes of
rclpy's ``serialize_message``, which `rosbags` stores unchanged. The masks of every frame are
also kept in memory, bit-packed, for scoring.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.serialization import serialize_message
from rosbags.rosbag2 import StoragePlugin, Writer, WriterError
from sensor_msgs.msg import Image
from unipixel_ros_interfaces.msg import Answer, ObjectMask, ObjectMaskArray

from unipixel_ros.errors import BadInputError, BagError
from unipixel_ros.evaluation.bags.interface_types import interface_typestore
from unipixel_ros.stamps import stamp_to_ns

__all__ = ["FrameMasks", "ResultRecorder", "mask_from_message"]

# Deep enough that a slow write never makes the middleware drop a result.
_QUEUE_DEPTH = 100


def mask_from_message(msg: ObjectMask) -> np.ndarray:
    """The object's mask as `np.ndarray` of shape `(height, width)`, bool.

    Raises:
        BadInputError: the mask image is not mono8 or its data does not fill it.
    """
    image = msg.mask
    if image.encoding != "mono8":
        raise BadInputError(
            f"object {msg.object_id}: mask encoding is {image.encoding!r}, not mono8"
        )
    data = np.frombuffer(bytes(image.data), dtype=np.uint8)
    if image.step < image.width or data.size < image.step * image.height:
        raise BadInputError(
            f"object {msg.object_id}: mask {image.width}x{image.height} with step {image.step} "
            f"needs {image.step * image.height} bytes, got {data.size}"
        )
    return data[: image.step * image.height].reshape(image.height, image.step)[:, : image.width] > 0


@dataclass(frozen=True, kw_only=True, eq=False)
class FrameMasks:
    """Every object's mask on one processed frame, bit-packed.

    Args:
        stamp_ns: Header stamp of the frame.
        received_s: ``time.monotonic()`` when the masks arrived.
        shape: (height, width) of the masks; (0, 0) when the frame had no objects.
        packed: Object id -> `np.packbits` of its `(height, width)` bool mask.
        labels: Object id -> the object's label.
        scores: Object id -> its SAM 2.1 object-score logit.
        lost: Ids of the objects the node reported lost on this frame.
    """

    stamp_ns: int
    received_s: float
    shape: tuple[int, int]
    packed: dict[int, np.ndarray]
    labels: dict[int, str]
    scores: dict[int, float] = field(default_factory=dict)
    lost: frozenset[int] = frozenset()

    def mask(self, object_id: int) -> np.ndarray | None:
        """The mask of ``object_id``, `(height, width)` bool; None when it is not on the frame."""
        bits = self.packed.get(object_id)
        if bits is None:
            return None
        count = self.shape[0] * self.shape[1]
        return np.unpackbits(bits, count=count).astype(bool).reshape(self.shape)

    def union(self, object_ids: Iterable[int], shape: tuple[int, int]) -> np.ndarray:
        """The union of the masks of ``object_ids``, `(height, width)` bool, of size ``shape``."""
        out = np.zeros(shape, dtype=bool)
        for object_id in object_ids:
            mask = self.mask(object_id)
            if mask is not None:
                out |= mask
        return out


class ResultRecorder:
    """Writes the node's outputs to ``bag`` and keeps each frame's masks.

    Args:
        node: The node that subscribes (its executor must spin).
        bag: Result bag directory to create (must not exist), MCAP storage.
        target: The perception node's fully qualified name.
        record_overlay: Also record ``~/overlay`` (subscribing makes the node draw it).

    Raises:
        BagError: the bag cannot be created.
    """

    def __init__(
        self, *, node: Node, bag: Path, target: str = "/unipixel", record_overlay: bool = False
    ) -> None:
        self._node = node
        self.bag = bag
        self._lock = threading.Condition()
        self._frames: dict[int, FrameMasks] = {}
        self._status: Any = None
        self._status_received_s = 0.0
        self._target = target.rstrip("/")
        store = interface_typestore()
        topics: list[tuple[str, type, str]] = [
            (
                f"{self._target}/masks",
                ObjectMaskArray,
                "unipixel_ros_interfaces/msg/ObjectMaskArray",
            ),
            (f"{self._target}/answers", Answer, "unipixel_ros_interfaces/msg/Answer"),
            ("/diagnostics", DiagnosticArray, "diagnostic_msgs/msg/DiagnosticArray"),
        ]
        if record_overlay:
            topics.append((f"{self._target}/overlay", Image, "sensor_msgs/msg/Image"))
        try:
            self._writer = Writer(bag, version=9, storage_plugin=StoragePlugin.MCAP)
            self._writer.open()
        except (WriterError, OSError) as err:
            raise BagError(f"cannot create the result bag {bag}: {err}") from err
        self._connections = {
            topic: self._writer.add_connection(topic, msgtype, typestore=store)
            for topic, _kind, msgtype in topics
        }
        self._subscriptions = [
            node.create_subscription(
                kind, topic, lambda msg, topic=topic: self._on_message(topic, msg), _QUEUE_DEPTH
            )
            for topic, kind, _msgtype in topics
        ]
        self._closed = False

    # ------------------------------------------------------------------ callbacks

    def _on_message(self, topic: str, msg: Any) -> None:
        received = time.monotonic()
        log_time = self._node.get_clock().now().nanoseconds
        raw = serialize_message(msg)
        frame = None
        if isinstance(msg, ObjectMaskArray):
            frame = _frame_masks(msg, received)
        with self._lock:
            if self._closed:
                return
            self._writer.write(self._connections[topic], log_time, raw)
            if frame is not None:
                self._frames[frame.stamp_ns] = frame
            elif isinstance(msg, DiagnosticArray):
                for status in msg.status:
                    if status.name.startswith(f"{self._target.lstrip('/')}: "):
                        self._status = status
                        self._status_received_s = received
            self._lock.notify_all()

    # ------------------------------------------------------------------ queries

    def frame(self, stamp_ns: int) -> FrameMasks | None:
        """The masks of the frame stamped ``stamp_ns``, None when none arrived."""
        with self._lock:
            return self._frames.get(stamp_ns)

    def wait_for_frame(self, stamp_ns: int, *, timeout_s: float) -> FrameMasks | None:
        """Block until the masks of frame ``stamp_ns`` arrive; None after ``timeout_s``."""
        with self._lock:
            self._lock.wait_for(lambda: stamp_ns in self._frames, timeout=timeout_s)
            return self._frames.get(stamp_ns)

    def wait_for_status_after(self, since_s: float, *, timeout_s: float) -> dict[str, str]:
        """The first diagnostics status received after ``time.monotonic()`` == ``since_s``
        (the latest one seen when ``timeout_s`` passes first; empty without any)."""
        with self._lock:
            self._lock.wait_for(lambda: self._status_received_s > since_s, timeout=timeout_s)
            return self._status_values()

    def _status_values(self) -> dict[str, str]:
        if self._status is None:
            return {}
        values = {kv.key: kv.value for kv in self._status.values}
        values["model"] = self._status.hardware_id
        return values

    def close(self) -> None:
        """Stop recording and finish the bag file."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for subscription in self._subscriptions:
            self._node.destroy_subscription(subscription)
        with self._lock:
            self._writer.close()


def _frame_masks(msg: ObjectMaskArray, received_s: float) -> FrameMasks:
    packed: dict[int, np.ndarray] = {}
    labels: dict[int, str] = {}
    scores: dict[int, float] = {}
    lost: set[int] = set()
    shape = (0, 0)
    for obj in msg.objects:
        mask = mask_from_message(obj)
        shape = (int(mask.shape[0]), int(mask.shape[1]))
        object_id = int(obj.object_id)
        packed[object_id] = np.packbits(mask.reshape(-1))
        labels[object_id] = obj.label
        scores[object_id] = float(obj.score)
        if obj.state == ObjectMask.STATE_LOST:
            lost.add(object_id)
    return FrameMasks(
        stamp_ns=stamp_to_ns(msg.header.stamp),
        received_s=received_s,
        shape=shape,
        packed=packed,
        labels=labels,
        scores=scores,
        lost=frozenset(lost),
    )
