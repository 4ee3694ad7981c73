"""Read camera frames (image, intrinsics, depth, ground truth, camera pose) back from rosbag2.

Works on MCAP and sqlite3 bags alike, ours or recorded elsewhere, without rclpy.
"""

from __future__ import annotations

import bisect
import sqlite3
import struct
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rosbags.rosbag2 import Reader, ReaderError

from unipixel_ros.errors import BagError
from unipixel_ros.evaluation.bags.layout import BagTopics
from unipixel_ros.evaluation.bags.messages import (
    StampedTransform,
    camera_from_info,
    image_from_message,
    stamp_ns_of,
    transforms_from_message,
    typestore,
)
from unipixel_ros.synthetic.camera import PinholeCamera, RigidTransform

__all__ = ["BagFrame", "bag_topic_counts", "read_bag_frames"]

# A frame still missing a part is given up on after this many newer colour frames arrive.
_MAX_PENDING_FRAMES = 5
# Errors the storage back ends raise on damaged files.
_STORAGE_ERRORS = (ReaderError, OSError, sqlite3.Error, struct.error, KeyError, ValueError)


@dataclass(frozen=True, kw_only=True, eq=False)
class BagFrame:
    """One colour frame with what the bag holds for the same header stamp.

    Args:
        index: Position among the frames read, from 0.
        stamp_ns: Header stamp, nanoseconds.
        frame_id: Header frame of the image (the optical frame).
        rgb: `np.ndarray` of shape `(height, width, 3)`, uint8 RGB.
        camera: Intrinsics from the matching (or latest) camera_info.
        depth_m: `np.ndarray` of shape `(height, width)`, float32 metres, NaN where the sensor
            gave no reading; None when the bag has no depth for this stamp.
        instance_labels: `np.ndarray` of shape `(height, width)`, uint16 object ids; None when
            the bag has no ground truth for this stamp.
        camera_pose: The optical frame in the fixed frame (latest TF at or before the stamp);
            None without a TF path.
    """

    index: int
    stamp_ns: int
    frame_id: str
    rgb: np.ndarray
    camera: PinholeCamera
    depth_m: np.ndarray | None
    instance_labels: np.ndarray | None
    camera_pose: RigidTransform | None


@dataclass
class _PendingFrame:
    color: Any = None
    info: Any = None
    depth: Any = None
    labels: Any = None


@dataclass
class _TransformHistory:
    """TF edges seen so far: static ones, and dynamic ones per child in stamp order."""

    static: dict[str, StampedTransform] = field(default_factory=dict)
    dynamic: dict[str, list[StampedTransform]] = field(default_factory=dict)

    def add(self, edge: StampedTransform, *, static: bool) -> None:
        if static:
            self.static[edge.child_frame] = edge
            return
        history = self.dynamic.setdefault(edge.child_frame, [])
        stamps = [item.stamp_ns for item in history]
        history.insert(bisect.bisect_right(stamps, edge.stamp_ns), edge)

    def _edge(self, child: str, stamp_ns: int) -> StampedTransform | None:
        if child in self.static:
            return self.static[child]
        history = self.dynamic.get(child, [])
        position = bisect.bisect_right([item.stamp_ns for item in history], stamp_ns)
        return history[position - 1] if position > 0 else None

    def lookup(self, fixed_frame: str, frame: str, stamp_ns: int) -> RigidTransform | None:
        """The pose of ``frame`` in ``fixed_frame`` at ``stamp_ns``, or None without a path."""
        pose = RigidTransform()
        current = frame
        for _ in range(64):
            if current == fixed_frame:
                return pose
            edge = self._edge(current, stamp_ns)
            if edge is None:
                return None
            pose = edge.transform @ pose
            current = edge.parent_frame
        return None


def bag_topic_counts(path: Path | str) -> dict[str, int]:
    """Message count per topic of a bag.

    Raises:
        BagError: The bag is missing or unreadable.
    """
    with _open_reader(Path(path)) as reader:
        return {topic: info.msgcount for topic, info in reader.topics.items()}


def read_bag_frames(
    path: Path | str,
    *,
    topics: BagTopics | None = None,
    fixed_frame: str = "table",
    require_depth: bool = False,
    require_ground_truth: bool = False,
) -> Iterator[BagFrame]:
    """Iterate the colour frames of a bag with their intrinsics, depth, labels and pose.

    Messages are matched by header stamp. A frame is yielded once every topic the bag has
    arrived for its stamp, or once ``_MAX_PENDING_FRAMES`` newer colour frames came first (then
    without the missing parts).

    Args:
        path: Bag directory (or a single .mcap / .db3 file).
        topics: Topic names; the RealSense-style defaults when None.
        fixed_frame: TF frame in which ``camera_pose`` is expressed.
        require_depth: Raise BagError when the bag has no depth topic.
        require_ground_truth: Raise BagError when the bag has no ground-truth topic.

    Raises:
        BagError: The bag is missing or corrupt, or lacks a required topic.
    """
    topics = topics or BagTopics()
    path = Path(path)
    with _open_reader(path) as reader:
        present = set(reader.topics)
        required = {topics.color, topics.color_info}
        if require_depth:
            required.add(topics.depth)
        if require_ground_truth:
            required.add(topics.ground_truth)
        missing = sorted(required - present)
        if missing:
            msg = f"bag {path} lacks topics {missing}; it has {sorted(present)}"
            raise BagError(msg)
        wanted = {
            topics.color,
            topics.color_info,
            topics.depth,
            topics.ground_truth,
            topics.tf,
            topics.tf_static,
        }
        connections = [c for c in reader.connections if c.topic in wanted]
        parts = {topics.color_info, topics.color} | ({topics.depth, topics.ground_truth} & present)
        assembler = _FrameAssembler(topics=topics, parts=parts, fixed_frame=fixed_frame)
        try:
            for topic, message in _messages(reader, connections, path):
                yield from assembler.add(topic, message)
            yield from assembler.flush()
        except BagError:
            raise
        except Exception as err:  # rosbags, zstd, sqlite and numpy each raise their own types
            raise BagError(f"bag {path} is corrupt: {type(err).__name__}: {err}") from err


class _FrameAssembler:
    """Groups messages by header stamp into frames, oldest first."""

    def __init__(self, *, topics: BagTopics, parts: set[str], fixed_frame: str) -> None:
        self._topics = topics
        self._parts = parts
        self._fixed_frame = fixed_frame
        self._pending: OrderedDict[int, _PendingFrame] = OrderedDict()
        self._transforms = _TransformHistory()
        self._latest_info: Any = None
        self._index = 0

    def add(self, topic: str, message: Any) -> Iterator[BagFrame]:
        topics = self._topics
        if topic in (topics.tf, topics.tf_static):
            for edge in transforms_from_message(message):
                self._transforms.add(edge, static=topic == topics.tf_static)
            return
        pending = self._pending.setdefault(stamp_ns_of(message), _PendingFrame())
        if topic == topics.color:
            pending.color = message
        elif topic == topics.color_info:
            pending.info = message
            self._latest_info = message
        elif topic == topics.depth:
            pending.depth = message
        else:
            pending.labels = message
        colour_frames = sum(1 for item in self._pending.values() if item.color is not None)
        while self._pending:
            stamp, oldest = next(iter(self._pending.items()))
            if not (self._complete(oldest) or colour_frames > _MAX_PENDING_FRAMES):
                break
            del self._pending[stamp]
            if oldest.color is not None:
                colour_frames -= 1
                yield from self._emit(stamp, oldest)

    def flush(self) -> Iterator[BagFrame]:
        for stamp, pending in sorted(self._pending.items()):
            yield from self._emit(stamp, pending)
        self._pending.clear()

    def _complete(self, pending: _PendingFrame) -> bool:
        topics = self._topics
        have = {
            topics.color: pending.color,
            topics.color_info: pending.info,
            topics.depth: pending.depth,
            topics.ground_truth: pending.labels,
        }
        return all(have[part] is not None for part in self._parts)

    def _emit(self, stamp_ns: int, pending: _PendingFrame) -> Iterator[BagFrame]:
        if pending.color is None:
            return
        info = pending.info if pending.info is not None else self._latest_info
        if info is None:
            return
        depth = None
        if pending.depth is not None:
            raw = image_from_message(pending.depth)
            if raw.dtype == np.uint16:
                depth = np.where(raw == 0, np.nan, raw.astype(np.float32) / 1000.0)
            else:
                depth = np.where(raw > 0, raw, np.nan)
            depth = depth.astype(np.float32)
        frame_id = pending.color.header.frame_id
        yield BagFrame(
            index=self._index,
            stamp_ns=stamp_ns,
            frame_id=frame_id,
            rgb=image_from_message(pending.color),
            camera=camera_from_info(info),
            depth_m=depth,
            instance_labels=None
            if pending.labels is None
            else image_from_message(pending.labels).astype(np.uint16),
            camera_pose=self._transforms.lookup(self._fixed_frame, frame_id, stamp_ns),
        )
        self._index += 1


@contextmanager
def _open_reader(path: Path) -> Iterator[Reader]:
    """Open a bag with `rosbags`, translating its errors to BagError."""
    if not path.exists():
        msg = f"bag {path} does not exist"
        raise BagError(msg)
    try:
        reader = Reader(path)
        reader.open()
    except Exception as err:  # rosbags, zstd, sqlite, yaml and numpy each raise their own types
        msg = f"cannot open bag {path} (corrupt?): {type(err).__name__}: {err}"
        raise BagError(msg) from err
    try:
        yield reader
    finally:
        reader.close()


def _messages(reader: Reader, connections: list[Any], path: Path) -> Iterator[tuple[str, Any]]:
    """(topic, deserialised message) in log-time order; storage errors become BagError."""
    if not connections:
        return
    stream = reader.messages(connections=connections)
    while True:
        try:
            connection, _, raw = next(stream)
            message = typestore().deserialize_cdr(raw, connection.msgtype)
        except StopIteration:
            return
        except _STORAGE_ERRORS as err:
            msg = f"bag {path} is corrupt: {type(err).__name__}: {err}"
            raise BagError(msg) from err
        yield connection.topic, message
