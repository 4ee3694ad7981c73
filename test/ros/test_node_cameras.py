"""Two cameras with compressed images: per-camera outputs and one query across both (PRIMA)."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PilImage
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage
from std_msgs.msg import Header
from unipixel_ros_interfaces.msg import ObjectMaskArray
from unipixel_ros_interfaces.srv import Query

from unipixel_ros.model import SEG_TOKEN
from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.evaluation.node_process import NodeProcess

pytestmark = pytest.mark.ros

CAMERAS = ("front", "wrist")
K = [80.0, 0.0, 40.0, 0.0, 80.0, 30.0, 0.0, 0.0, 1.0]


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    rgb = np.full((60, 80, 3), 70, dtype=np.uint8)
    rgb[15:45, 20:60] = colour
    buffer = io.BytesIO()
    PilImage.fromarray(rgb).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def graph(
    seg_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    log = tmp_path_factory.mktemp("node") / "node.log"
    node = NodeProcess(
        parameters={
            "model_path": str(seg_checkpoint),
            "cameras": "[front, wrist]",
            "image_transport": "compressed",
            "ring_capacity": 4,
            "query_frames": 2,
        },
        log_path=log,
    )
    client = UnipixelClient()
    lock = threading.Lock()
    masks: list[ObjectMaskArray] = []

    def keep(msg: ObjectMaskArray) -> None:
        with lock:
            masks.append(msg)

    client.node.create_subscription(ObjectMaskArray, "/unipixel/masks", keep, 50)
    try:
        client.wait_until_ready(timeout_s=120.0)
        yield {"client": client, "masks": masks, "lock": lock, "log": log}
    finally:
        client.close()
        assert node.stop() == 0, log.read_text()


def _send(client: UnipixelClient, rounds: int) -> None:
    qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
    publishers = {
        name: (
            client.node.create_publisher(CompressedImage, f"/{name}/image/compressed", qos),
            client.node.create_publisher(CameraInfo, f"/{name}/camera_info", qos),
        )
        for name in CAMERAS
    }
    for step in range(rounds):
        for name, (image, info) in publishers.items():
            header = Header(frame_id=f"{name}_optical")
            header.stamp.sec, header.stamp.nanosec = 10 + step, 0
            colour = (220, 40, 40) if name == "front" else (40, 40, 220)
            image.publish(CompressedImage(header=header, format="jpeg", data=_jpeg(colour)))
            info.publish(CameraInfo(header=header, width=80, height=60, k=K))
        time.sleep(0.1)


def _frames_of_both_cameras_arrive(graph: dict[str, Any]) -> set[str]:
    """Send frames until the node has tracked a frame of each camera; the frame ids seen."""
    deadline = time.monotonic() + 60
    seen: set[str] = set()
    while seen != {"front_optical", "wrist_optical"} and time.monotonic() < deadline:
        _send(graph["client"], 2)
        with graph["lock"]:
            seen = {m.header.frame_id for m in graph["masks"]}
    return seen


def test_compressed_frames_of_each_camera_come_out_with_their_own_frame_id(graph) -> None:
    client = graph["client"]
    seen = _frames_of_both_cameras_arrive(graph)
    assert seen == {"front_optical", "wrist_optical"}
    status = client.wait_for_status(lambda s: int(s["frames_received"]) > 0, timeout_s=30)
    assert status["last_encoding"] == "compressed/jpeg" and status["last_size"] == "80x60"


def test_one_query_over_both_cameras_says_which_camera_each_mask_belongs_to(graph) -> None:
    client = graph["client"]
    _frames_of_both_cameras_arrive(graph)
    response = client.call(
        "query", Query.Request(text="Which object is red?", cameras=list(CAMERAS))
    )
    assert response.success, response.message
    assert list(response.answer.cameras) == list(CAMERAS)
    assert response.answer.answer == f"[0] {SEG_TOKEN}" and response.answer.num_frames == 2
    assert response.objects, "the steered answer names one object"
    for obj in response.objects:
        assert obj.camera in CAMERAS
        assert obj.header.frame_id == f"{obj.camera}_optical"
        assert (obj.mask.width, obj.mask.height) == (80, 60)
