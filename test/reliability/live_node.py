"""A live node for the graph tests of this folder: tiny random model, its own process.

`live` starts one node per session (fuzzed requests and faults share it; each test leaves it
tracking). Its teardown checks what every test here relies on: SIGINT ends the node with exit
code 0 and no traceback in its log.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from topic_inbox import TopicInbox
from unipixel_ros_interfaces.msg import ObjectMaskArray

from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.evaluation.node_process import NodeProcess
from unipixel_ros.ros.image_conversion import rgb_to_image

TOPICS = {"image": "/rel/camera/image_raw", "camera_info": "/rel/camera/camera_info"}
WIDTH, HEIGHT = 96, 72
K = [80.0, 0.0, 48.0, 0.0, 80.0, 36.0, 0.0, 0.0, 1.0]
OPTICAL_FRAME = "rel_camera_optical_frame"
# Small capacities keep every request fast on a 2-core CPU.
LIVE_PARAMETERS = {
    "model_path": "tiny-random",
    "ring_capacity": 6,
    "query_frames": 2,
    "max_objects": 6,
    "max_pending_requests": 4,
    "max_query_chars": 2000,
    "qos_reliability": "reliable",
    "qos_depth": 5,
    "diagnostics_period_s": 0.2,
}


def stamp_of(msg: Any) -> int:
    return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec


class Camera:
    """Publishes synthetic frames (a red box on grey) with camera_info, reliable QoS."""

    def __init__(self, client: UnipixelClient, topics: dict[str, str] = TOPICS) -> None:
        qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        self._image = client.node.create_publisher(Image, topics["image"], qos)
        self._info = client.node.create_publisher(CameraInfo, topics["camera_info"], qos)
        self.next_stamp_ns = 5_000_000_000

    def send(self, *, stamp_ns: int | None = None) -> int:
        """Publish one frame (at ``stamp_ns`` or the next stamp); returns its stamp."""
        if stamp_ns is None:
            self.next_stamp_ns += 33_000_000
            stamp_ns = self.next_stamp_ns
        header = Header(frame_id=OPTICAL_FRAME)
        header.stamp.sec, header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
        rgb = np.full((HEIGHT, WIDTH, 3), 90, dtype=np.uint8)
        left = 10 + (stamp_ns // 33_000_000) % 40
        rgb[20:50, left : left + 30] = (220, 30, 30)
        self._image.publish(rgb_to_image(rgb, header))
        self._info.publish(CameraInfo(header=header, width=WIDTH, height=HEIGHT, k=K))
        return stamp_ns

    def send_processed(self, masks: TopicInbox, *, stamp_ns: int | None = None) -> ObjectMaskArray:
        """Publish frames until one comes back on ~/masks (none is dropped when the node idles)."""
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            sent = self.send(stamp_ns=stamp_ns)
            try:
                return masks.wait_for(lambda m, s=sent: stamp_of(m) == s, timeout_s=5.0)
            except AssertionError:
                continue
        raise AssertionError("no frame was processed in 60 s")


@dataclass
class Live:
    """The running node and what talks to it."""

    node: NodeProcess
    client: UnipixelClient
    camera: Camera
    masks: TopicInbox
    log: Path

    def alive_and_tracking(self) -> ObjectMaskArray:
        """Assert the process runs and a new frame is processed; returns that frame's masks."""
        assert self.node.process.poll() is None, self.log.read_text()
        return self.camera.send_processed(self.masks)


def start_live(log: Path, **extra: object) -> Live:
    node = NodeProcess(parameters={**LIVE_PARAMETERS, **extra}, remappings=TOPICS, log_path=log)
    client = UnipixelClient(name="reliability_client")
    try:
        client.wait_until_ready(timeout_s=120.0)
    except Exception:
        client.close()
        node.stop()
        raise
    camera = Camera(client)
    masks = TopicInbox(client, ObjectMaskArray, "/unipixel/masks")
    live = Live(node=node, client=client, camera=camera, masks=masks, log=log)
    live.alive_and_tracking()
    return live


def stop_live(live: Live, *, timeout_s: float = 30.0) -> tuple[int, str]:
    live.client.close()
    code = live.node.stop(timeout_s=timeout_s)
    return code, live.log.read_text(errors="replace")
