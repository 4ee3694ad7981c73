"""Replay a camera bag (MCAP or sqlite3) onto ROS topics frame by frame, like `ros2 bag play`.

`ros2 bag play` is the tool on a full ROS install; this replayer exists for the pip-only
install, where rosbag2_py is missing. Messages are published as the serialized CDR bytes stored
in the bag (rosbags writes the same bytes as rclpy's serialize_message), so nothing is
re-encoded. An evaluation needs every frame delivered and queries asked on the frame the spec
names: the replayer creates its publishers once, waits until the node has subscribed, and
yields after each frame (the colour image and its companions with the same stamp) is out.
:func:`play_bag` replays a whole bag through it in one call.

Pacing: with ``rate > 0`` messages keep their recorded spacing divided by ``rate``, measured
from the last :meth:`FrameReplayer.rebase` (call it after a deliberate pause, e.g. a query, so
the frames after it are not sent in a burst); with ``rate == 0`` nothing waits, and the caller
paces the replay (e.g. by waiting for the node's output of each frame).
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosbags.highlevel import AnyReader

from unipixel_ros.errors import BagError, ConfigError, NotReadyError
from unipixel_ros.stamps import stamp_to_ns

__all__ = ["FrameReplayer", "PlaybackStats", "PublishedFrame", "message_class", "play_bag"]

# Companion messages (camera_info, depth) belong to an image when their stamps differ by less.
DEFAULT_SLOP_S = 0.05
# play_bag waits this long for subscribers, then publishes anyway.
MATCH_TIMEOUT_S = 2.0


def message_class(type_name: str) -> Any:
    """The installed rclpy message class of a type name such as `sensor_msgs/msg/Image`.

    Raises:
        BagError: the name is malformed, or its package is not installed here.
    """
    try:
        package, kind, name = type_name.split("/")
        return getattr(importlib.import_module(f"{package}.{kind}"), name)
    except (ValueError, TypeError, ImportError, AttributeError) as err:
        raise BagError(f"bag message type {type_name} is not installed in this ROS prefix") from err


@dataclass(frozen=True, kw_only=True)
class PublishedFrame:
    """One colour frame that has been published with its companions.

    Args:
        index: Position among the bag's colour images, from 0.
        stamp_ns: The image's header stamp, nanoseconds.
        published_s: ``time.monotonic()`` right after the image was published.
        companions: Companion topics published for this stamp.
    """

    index: int
    stamp_ns: int
    published_s: float
    companions: tuple[str, ...]


@dataclass
class _PendingFrame:
    """An image that is out, waiting for its companions."""

    index: int
    stamp_ns: int
    published_s: float
    companions: set[str] = field(default_factory=set)


class FrameReplayer:
    """Publishes ``image_topic`` and ``companion_topics`` of ``bag`` from ``node``.

    Args:
        node: The node that owns the publishers (its executor need not spin).
        bag: rosbag2 directory or MCAP file.
        image_topic: The colour image topic; one frame per message.
        companion_topics: Topics whose messages join the image with the same stamp
            (camera_info, aligned depth).
        rate: Playback speed factor; 0 publishes without waiting.
        reliable: Reliable QoS for the publishers instead of best effort.
        slop_s: Largest stamp difference between an image and its companions.
        remap: Recorded topic -> published topic, for topics not published under their name.

    Raises:
        BagError: the bag is missing or unreadable, lacks a topic, or has a type not installed.
    """

    def __init__(
        self,
        *,
        node: Node,
        bag: Path,
        image_topic: str,
        companion_topics: Sequence[str] = (),
        rate: float = 1.0,
        reliable: bool = True,
        slop_s: float = DEFAULT_SLOP_S,
        remap: Mapping[str, str] | None = None,
    ) -> None:
        if rate < 0:
            raise ConfigError(f"rate must be >= 0 (0 = as fast as possible), got {rate}")
        self._node = node
        self._bag = bag
        self._image_topic = image_topic
        self._companions = tuple(companion_topics)
        self._rate = rate
        self._slop_ns = int(slop_s * 1e9)
        self._base: tuple[float, int] | None = None
        self._messages_published = 0
        if not bag.exists():
            raise BagError(f"no bag at {bag}")
        wanted = (image_topic, *self._companions)
        try:
            with AnyReader([bag]) as reader:
                types = {c.topic: c.msgtype for c in reader.connections if c.topic in wanted}
        except Exception as err:  # rosbags raises several unrelated types for corrupt files
            raise BagError(f"cannot open {bag}: {type(err).__name__}: {err}") from err
        missing = [topic for topic in wanted if topic not in types]
        if missing:
            raise BagError(f"bag {bag} lacks topics {missing}")
        qos = QoSProfile(
            depth=10,
            reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
        )
        names = dict(remap or {})
        self._publishers = {
            topic: node.create_publisher(message_class(msgtype), names.get(topic, topic), qos)
            for topic, msgtype in types.items()
        }

    @property
    def messages_published(self) -> int:
        """Messages published so far, on every topic."""
        return self._messages_published

    def wait_for_subscribers(self, *, timeout_s: float) -> None:
        """Block until every topic has a subscriber, so the first frame is not lost.

        Raises:
            NotReadyError: a topic still has no subscriber after ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            lonely = [t for t, p in self._publishers.items() if p.get_subscription_count() == 0]
            if not lonely:
                return
            if time.monotonic() > deadline:
                raise NotReadyError(f"nobody subscribed to {lonely} within {timeout_s} s")
            time.sleep(0.02)

    def rebase(self) -> None:
        """Restart the pacing clock: the next message goes out at once, later ones keep their
        recorded spacing from it."""
        self._base = None

    def frames(self) -> Iterator[PublishedFrame]:
        """Publish the bag in recorded order; yield each frame once it is complete.

        A frame is complete when a companion with a matching stamp has been published on every
        companion topic, or when the next image is due (a companion that never comes is not
        waited for).

        Raises:
            BagError: the bag turns out corrupt while it is read.
        """
        pending: _PendingFrame | None = None
        index = 0
        try:
            with AnyReader([self._bag]) as reader:
                connections = [c for c in reader.connections if c.topic in self._publishers]
                for connection, log_time, raw in reader.messages(connections=connections):
                    stamp = _header_stamp_ns(reader.deserialize(raw, connection.msgtype))
                    is_image = connection.topic == self._image_topic
                    if is_image and pending is not None:
                        yield self._finish(pending)
                        pending = None
                    self._wait_until_due(log_time)
                    self._publishers[connection.topic].publish(bytes(raw))
                    self._messages_published += 1
                    if is_image:
                        pending = _PendingFrame(index, stamp, time.monotonic())
                        index += 1
                    elif pending is not None and abs(stamp - pending.stamp_ns) <= self._slop_ns:
                        pending.companions.add(connection.topic)
                    if pending is not None and pending.companions >= set(self._companions):
                        yield self._finish(pending)
                        pending = None
        except BagError:
            raise
        except Exception as err:  # rosbags raises several unrelated types for corrupt files
            raise BagError(f"cannot replay {self._bag}: {type(err).__name__}: {err}") from err
        if pending is not None:
            yield self._finish(pending)

    def _finish(self, pending: _PendingFrame) -> PublishedFrame:
        return PublishedFrame(
            index=pending.index,
            stamp_ns=pending.stamp_ns,
            published_s=pending.published_s,
            companions=tuple(sorted(pending.companions)),
        )

    def _wait_until_due(self, log_time: int) -> None:
        if self._rate == 0:
            return
        if self._base is None:
            self._base = (time.monotonic(), log_time)
            return
        wall, bag_time = self._base
        delay = wall + (log_time - bag_time) / 1e9 / self._rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def close(self) -> None:
        """Destroy the publishers."""
        for publisher in self._publishers.values():
            self._node.destroy_publisher(publisher)
        self._publishers.clear()


def _header_stamp_ns(message: Any) -> int:
    header = getattr(message, "header", None)
    if header is None:
        raise BagError(f"{type(message).__name__} has no header; cannot match it to a frame")
    return stamp_to_ns(header.stamp)


@dataclass(frozen=True)
class PlaybackStats:
    """What a replay published."""

    messages: int
    duration_s: float
    topics: tuple[str, ...]


def play_bag(
    node: Node,
    bag: Path,
    *,
    topics: Sequence[str],
    remap: Mapping[str, str] | None = None,
    rate: float = 1.0,
    reliable: bool = False,
) -> PlaybackStats:
    """Publish ``topics`` of ``bag`` from ``node`` in recorded order, through a
    :class:`FrameReplayer`.

    Args:
        node: The node that owns the publishers (its executor need not spin).
        bag: rosbag2 directory or MCAP file.
        topics: Recorded topics: the colour image topic first, then its companions.
        remap: Recorded topic -> published topic.
        rate: Playback speed factor; 0 publishes as fast as possible.
        reliable: Reliable QoS for the publishers instead of best effort (sensor data).

    Before the first message it waits up to MATCH_TIMEOUT_S for every publisher to match a
    subscriber, so the first messages are not sent before discovery has finished.

    Raises:
        BagError: the bag is missing, unreadable, lacks a topic, or has a type not installed.
    """
    image_topic, *companions = topics
    replayer = FrameReplayer(
        node=node,
        bag=bag,
        image_topic=image_topic,
        companion_topics=companions,
        rate=rate,
        reliable=reliable,
        remap=remap,
    )
    try:
        with contextlib.suppress(NotReadyError):
            replayer.wait_for_subscribers(timeout_s=MATCH_TIMEOUT_S)
        started = time.monotonic()
        for _frame in replayer.frames():
            pass
        duration = time.monotonic() - started
    finally:
        replayer.close()
    return PlaybackStats(
        messages=replayer.messages_published, duration_s=duration, topics=tuple(topics)
    )
