"""Replay a rosbag2 file (MCAP or sqlite3) onto ROS topics, like `ros2 bag play`.

`ros2 bag play` is the tool on a full ROS install; this player exists for the pip-only install,
where rosbag2_py is missing. Messages are published as the serialized CDR bytes stored in the
bag (rosbags writes the same bytes as rclpy's serialize_message), so nothing is re-encoded.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosbags.highlevel import AnyReader

from unipixel_ros.errors import BagError

__all__ = ["PlaybackStats", "message_class", "play_bag"]

MATCH_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class PlaybackStats:
    """What a replay published."""

    messages: int
    duration_s: float
    topics: tuple[str, ...]


def message_class(type_name: str) -> Any:
    """The installed rclpy message class of a type name such as `sensor_msgs/msg/Image`."""
    package, kind, name = type_name.split("/")
    try:
        return getattr(importlib.import_module(f"{package}.{kind}"), name)
    except (ImportError, AttributeError) as err:
        raise BagError(f"bag message type {type_name} is not installed in this ROS prefix") from err


def play_bag(
    node: Node,
    bag: Path,
    *,
    remap: Mapping[str, str] | None = None,
    topics: tuple[str, ...] | None = None,
    rate: float = 1.0,
    reliable: bool = False,
    on_message: Callable[[str, int], None] | None = None,
) -> PlaybackStats:
    """Publish every message of ``bag`` from ``node``, in recorded order.

    Args:
        node: the node that owns the publishers (its executor need not spin).
        bag: rosbag2 directory or MCAP file.
        remap: recorded topic -> published topic.
        topics: only these recorded topics; None for all.
        rate: playback speed factor; 0 publishes as fast as possible.
        reliable: reliable QoS for the publishers instead of best effort (sensor data).
        on_message: called with (recorded topic, log time in ns) after each publish.

    Before the first message it waits up to MATCH_TIMEOUT_S for every publisher to match a
    subscriber, so the first messages are not sent before discovery has finished.

    Raises:
        BagError: the bag is missing, unreadable, or has a type not installed here.
    """
    remap = dict(remap or {})
    qos = QoSProfile(
        depth=10,
        reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
    )
    if not bag.exists():
        raise BagError(f"no bag at {bag}")
    published = 0
    try:
        with AnyReader([bag]) as reader:
            connections = [c for c in reader.connections if topics is None or c.topic in topics]
            if not connections:
                raise BagError(f"bag {bag} has none of the topics {topics}")
            publishers = {
                c.topic: node.create_publisher(
                    message_class(c.msgtype), remap.get(c.topic, c.topic), qos
                )
                for c in connections
            }
            matched_by = time.monotonic() + MATCH_TIMEOUT_S
            while time.monotonic() < matched_by and not all(
                p.get_subscription_count() for p in publishers.values()
            ):
                time.sleep(0.02)
            wall_start = time.monotonic()
            bag_start: int | None = None
            for connection, log_time, raw in reader.messages(connections=connections):
                bag_start = log_time if bag_start is None else bag_start
                if rate > 0:
                    due = wall_start + (log_time - bag_start) / 1e9 / rate
                    delay = due - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                publishers[connection.topic].publish(bytes(raw))
                published += 1
                if on_message is not None:
                    on_message(connection.topic, log_time)
            duration = time.monotonic() - wall_start
            for publisher in publishers.values():
                node.destroy_publisher(publisher)
    except BagError:
        raise
    except Exception as err:  # rosbags raises several unrelated types for corrupt files
        raise BagError(f"cannot replay {bag}: {err}") from err
    return PlaybackStats(
        messages=published, duration_s=duration, topics=tuple(c.topic for c in connections)
    )
