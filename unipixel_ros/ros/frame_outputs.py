"""The tracking lane's outputs: each tracked frame's masks, label image, overlay and markers.

`FrameOutputs.publish` runs on the inference worker thread; the figures it keeps (latency,
objects per camera) are read by the diagnostics timer.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence

from rclpy.node import Node
from sensor_msgs.msg import Image
from unipixel_ros_interfaces.msg import ObjectMaskArray
from visualization_msgs.msg import MarkerArray

from unipixel_ros.perception.records import FrameOutput, ObjectView
from unipixel_ros.ros.camera_inputs import CameraFrame
from unipixel_ros.ros.image_conversion import labels_to_mono16, rgb_to_image
from unipixel_ros.ros.result_messages import marker_array, object_mask_message
from unipixel_ros.tracking import ObjectState
from unipixel_ros.visualization.overlay import OverlayObject, draw_overlay, label_image
from unipixel_ros.visualization.overlay_style import OverlayStyle

__all__ = ["LATENCY_WINDOW", "FrameOutputs"]

LATENCY_WINDOW = 200


class _CameraPublishers:
    """The per-camera image and marker publishers, and the camera's overlay drawing state."""

    def __init__(self, node: Node, name: str) -> None:
        prefix = f"{name}/" if name else ""
        self.style = OverlayStyle()
        self.overlay = node.create_publisher(Image, f"~/{prefix}overlay", 2)
        self.labels = node.create_publisher(Image, f"~/{prefix}label_image", 2)
        self.markers = node.create_publisher(MarkerArray, f"~/{prefix}markers", 2)


class FrameOutputs:
    """Publishes what tracking found in each frame, and keeps the figures of the last frames.

    Args:
        node: the node that owns the publishers.
        cameras: camera names ("" for the single camera on the plain topics).
        overlay_alpha: opacity of the mask colours in the overlay image, 0..1.
        random_weights: the model's weights are random; every overlay is stamped so.
    """

    def __init__(
        self,
        *,
        node: Node,
        cameras: Sequence[str],
        overlay_alpha: float,
        random_weights: bool = False,
    ) -> None:
        self._masks = node.create_publisher(ObjectMaskArray, "~/masks", 10)
        self._cameras = {name: _CameraPublishers(node, name) for name in cameras}
        self._overlay_alpha = overlay_alpha
        self._random_weights = random_weights
        self._lock = threading.Lock()
        self._latencies_s: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._objects = dict.fromkeys(cameras, 0)

    def set_caption(self, query_id: str, text: str) -> None:
        """Caption every camera's overlay with this answer from its next frame on (it fades
        after a few seconds of frame stamps)."""
        for io in self._cameras.values():
            io.style.show_answer(query_id, text)

    def set_overlay_alpha(self, alpha: float) -> None:
        """Blend masks with opacity ``alpha`` (0..1, checked by the caller) from the next frame on.

        A float attribute swaps atomically; `publish` reads it once per frame.
        """
        self._overlay_alpha = alpha

    def latencies_s(self) -> list[float]:
        """Image received to outputs published, seconds, of the last `LATENCY_WINDOW` frames."""
        with self._lock:
            return list(self._latencies_s)

    def objects_tracked(self) -> int:
        """Objects in the latest frame of each camera, summed over cameras."""
        with self._lock:
            return sum(self._objects.values())

    def publish(self, frame: CameraFrame, output: FrameOutput) -> None:
        io = self._cameras[frame.camera]
        objects = [
            object_mask_message(view, frame.header, depth_m=frame.depth_m, k=frame.k)
            for view in output.objects
        ]
        with self._lock:
            self._objects[frame.camera] = len(objects)
        self._masks.publish(ObjectMaskArray(header=frame.header, objects=objects))
        wants_labels = io.labels.get_subscription_count() > 0
        wants_overlay = io.overlay.get_subscription_count() > 0
        if wants_labels or wants_overlay:
            labels = label_image({v.object_id: v.mask for v in output.objects}, frame.rgb.shape[:2])
            if wants_labels:
                io.labels.publish(labels_to_mono16(labels, frame.header))
            if wants_overlay:
                pixels = draw_overlay(
                    frame.rgb,
                    [_overlay_object(view) for view in output.objects],
                    style=io.style,
                    stamp_ns=output.stamp_ns,
                    alpha=self._overlay_alpha,
                    random_weights=self._random_weights,
                )
                io.overlay.publish(rgb_to_image(pixels, frame.header))
        if frame.depth_m is not None:
            io.markers.publish(marker_array(objects, frame.header))
        with self._lock:
            self._latencies_s.append(time.monotonic() - frame.received)


def _overlay_object(view: ObjectView) -> OverlayObject:
    return OverlayObject(
        object_id=view.object_id,
        label=view.label,
        score=view.score,
        lost=view.state is ObjectState.LOST,
        mask=view.mask,
    )
