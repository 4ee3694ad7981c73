"""Pair each camera image with its camera_info and, optionally, its aligned depth image.

message_filters' ApproximateTimeSynchronizer does it on a full ROS install. The pip-only install
lacks message_filters, so a small fallback pairs an image with the nearest-stamped message of
every other stream within ``slop_s``, once every other stream has delivered a message at or after
the image's stamp (so no better partner can still arrive, for streams that arrive in stamp
order). It keeps ``queue_size`` messages per stream. It is simpler than the ApproximateTime
policy (no inter-message bounds), and the node's start-up log line names which one runs.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from rclpy.callback_groups import CallbackGroup
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import QoSProfile

from unipixel_ros.stamps import stamp_to_seconds

try:
    import message_filters
except ImportError:  # pip-only install
    message_filters = None

__all__ = ["FrameSynchronizer", "stamp_seconds"]


def stamp_seconds(msg: Any) -> float:
    """The header stamp of ``msg`` in seconds."""
    return stamp_to_seconds(msg.header.stamp)


class FrameSynchronizer:
    """Calls ``callback(image, *others)`` with messages whose stamps agree within ``slop_s``.

    Args:
        node: the node that owns the subscriptions.
        streams: (message type, topic) pairs; the first is the image that drives processing.
        qos: QoS of every subscription.
        slop_s: largest stamp difference accepted within one set, seconds.
        queue_size: messages kept per stream while waiting for partners.
        callback: receives one message per stream, in the order of ``streams``.
        callback_group: group of the subscriptions.
    """

    def __init__(
        self,
        node: Node,
        *,
        streams: Sequence[tuple[type, str]],
        qos: QoSProfile,
        slop_s: float,
        queue_size: int,
        callback: Callable[..., None],
        callback_group: CallbackGroup,
    ) -> None:
        self._callback = callback
        self._slop_s = slop_s
        if message_filters is not None:
            self.implementation = "message_filters.ApproximateTimeSynchronizer"
            self._subscribers = [
                message_filters.Subscriber(
                    node, kind, topic, qos_profile=qos, callback_group=callback_group
                )
                for kind, topic in streams
            ]
            self._sync = message_filters.ApproximateTimeSynchronizer(
                self._subscribers, queue_size, slop_s
            )
            self._sync.registerCallback(callback)
            return
        self.implementation = "nearest-stamp fallback (message_filters not installed)"
        self._lock = threading.Lock()
        self._queues: list[deque[Any]] = [deque(maxlen=queue_size) for _ in streams]
        for index, (kind, topic) in enumerate(streams):
            node.create_subscription(
                kind,
                topic,
                lambda msg, i=index: self._arrived(i, msg),
                qos,
                callback_group=callback_group,
            )

    def set_slop_s(self, slop_s: float) -> None:
        """Match within ``slop_s`` seconds (> 0, checked by the caller) from the next message on.

        message_filters keeps its slop in the attribute ``slop`` that its ``add`` reads per
        message (written against its Python API; not run here, where it is not installed).
        """
        if message_filters is not None:
            self._sync.slop = Duration(seconds=slop_s)
            return
        with self._lock:
            self._slop_s = slop_s

    def _arrived(self, index: int, msg: Any) -> None:
        with self._lock:
            self._queues[index].append(msg)
            matched = self._match()
        if matched is not None:
            self._callback(*matched)

    def _match(self) -> list[Any] | None:
        """Take the newest settled image with a partner in every stream; drop older images."""
        images = self._queues[0]
        for image in reversed(images):
            stamp = stamp_seconds(image)
            partners = []
            for queue in self._queues[1:]:
                if not queue or stamp_seconds(queue[-1]) < stamp:
                    break  # a closer partner may still arrive
                best = min(queue, key=lambda m: abs(stamp_seconds(m) - stamp))
                if abs(stamp_seconds(best) - stamp) > self._slop_s:
                    break
                partners.append(best)
            else:
                while images and stamp_seconds(images[0]) <= stamp:
                    images.popleft()
                return [image, *partners]
        return None
