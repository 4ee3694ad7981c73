"""One camera's inputs: image, camera_info and depth subscriptions, their sync, QoS, conversion.

The callbacks only convert messages and hand the newest frame over; the inference worker keeps
one drop-oldest slot per camera (see unipixel_ros.tracking.worker).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from geometry_msgs.msg import Point
from rclpy.callback_groups import CallbackGroup
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header

from unipixel_ros.errors import BadInputError
from unipixel_ros.ros.camera_geometry import intrinsics_from_k
from unipixel_ros.ros.frame_sync import FrameSynchronizer
from unipixel_ros.ros.image_conversion import compressed_to_rgb, depth_to_metres, image_to_rgb
from unipixel_ros.ros.input_monitor import InputMonitor
from unipixel_ros.ros.parameters import ImageTransport, NodeParameters, image_qos
from unipixel_ros.ros.throttled_log import ThrottledLog

__all__ = ["CameraFrame", "CameraInput"]


@dataclass(frozen=True)
class CameraFrame:
    """A converted camera frame waiting for the worker.

    Args:
        camera: the camera's name ("" for the single camera on the plain topics).
        rgb: `np.ndarray` of shape `(height, width, 3)`, uint8 RGB.
        header: the colour image's header.
        k: `np.ndarray` of shape `(3, 3)`, float64 intrinsics; None when camera_info is unusable.
        depth_m: `np.ndarray` of shape `(height, width)`, float32 metres, aligned to ``rgb``;
            None without depth.
        received: `time.monotonic()` when the image arrived, seconds.
    """

    camera: str
    rgb: np.ndarray
    header: Header
    k: np.ndarray | None
    depth_m: np.ndarray | None
    received: float


class CameraInput:
    """The subscriptions of one camera and its latest metadata.

    Camera ``NAME`` uses ``NAME/image``, ``NAME/camera_info`` and ``NAME/depth``; the unnamed
    camera ("") uses the topic parameters.

    Args:
        node: the node that owns the subscriptions.
        name: camera name.
        params: the node's parameters (topics, transport, QoS, sync).
        callback_group: group of every subscription of this camera.
        monitor: counts accepted and rejected frames.
        log: throttled error lines.
        submit: receives each converted frame; None (no model) only converts and counts.
        on_pixel_click: receives rqt_image_view clicks on this camera's image.
    """

    def __init__(
        self,
        *,
        node: Node,
        name: str,
        params: NodeParameters,
        callback_group: CallbackGroup,
        monitor: InputMonitor,
        log: ThrottledLog,
        submit: Callable[[CameraFrame], None] | None,
        on_pixel_click: Callable[[CameraInput, Point], None],
    ) -> None:
        self.name = name
        self.frame_id = ""
        self.info: CameraInfo | None = None
        self.image_size = (0, 0)  # (width, height)
        self._monitor = monitor
        self._log = log
        self._submit = submit
        prefix = f"{name}/" if name else ""
        image_topic = f"{prefix}image" if name else params.image_topic
        info_topic = f"{prefix}camera_info" if name else params.camera_info_topic
        depth_topic = f"{prefix}depth" if name else params.depth_topic
        if params.image_transport == ImageTransport.COMPRESSED.value:
            image_type: type = CompressedImage
            image_topic = f"{image_topic}/compressed"
        else:
            image_type = Image
        streams: list[tuple[type, str]] = [(image_type, image_topic), (CameraInfo, info_topic)]
        if params.use_depth:
            streams.append((Image, depth_topic))
        self.sync = FrameSynchronizer(
            node,
            streams=streams,
            qos=image_qos(params),
            slop_s=params.sync_slop_s,
            queue_size=params.sync_queue_size,
            callback=self._on_frame,
            callback_group=callback_group,
        )
        # rqt_image_view publishes its clicks next to the image topic it shows.
        mouse_topic = (
            f"{node.resolve_topic_name(image_topic.removesuffix('/compressed'))}_mouse_left"
        )
        node.create_subscription(
            Point,
            mouse_topic,
            lambda msg: on_pixel_click(self, msg),
            10,
            callback_group=callback_group,
        )
        node.get_logger().info(
            f"camera {name or '(default)'}: {node.resolve_topic_name(image_topic)} + "
            f"{node.resolve_topic_name(info_topic)}"
            + (f" + {node.resolve_topic_name(depth_topic)}" if params.use_depth else "")
            + f" ({params.qos_reliability}, sync: {self.sync.implementation}); clicks on "
            f"{mouse_topic}"
        )

    def _on_frame(
        self, image: Image | CompressedImage, info: CameraInfo, depth: Image | None = None
    ) -> None:
        received = time.monotonic()
        try:
            if isinstance(image, CompressedImage):
                rgb, encoding = compressed_to_rgb(image), f"compressed/{image.format}"
            else:
                rgb, encoding = image_to_rgb(image), image.encoding
        except BadInputError as err:
            self._monitor.frame_rejected(str(err))
            self._log.error(
                "image", f"dropped an image from camera {self.name or '(default)'}: {err}"
            )
            return
        self._monitor.frame_accepted(width=rgb.shape[1], height=rgb.shape[0], encoding=encoding)
        self.frame_id, self.info = image.header.frame_id, info
        self.image_size = (rgb.shape[1], rgb.shape[0])
        k = depth_m = None
        try:
            k = intrinsics_from_k(info.k)
            if depth is not None:
                depth_m = depth_to_metres(depth)
                if depth_m.shape != rgb.shape[:2]:
                    raise BadInputError(
                        f"depth is {depth_m.shape[1]}x{depth_m.shape[0]} but the image is "
                        f"{rgb.shape[1]}x{rgb.shape[0]}: depth must be aligned to colour"
                    )
        except BadInputError as err:
            self._log.error("depth", f"no 3-D output for this frame: {err}")
            depth_m = None
        if self._submit is not None:
            self._submit(CameraFrame(self.name, rgb, image.header, k, depth_m, received))
