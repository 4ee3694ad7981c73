"""The node in its own process, driven over a real rclpy graph from this (second) process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from action_msgs.msg import GoalStatus
from node_graph import running_node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from unipixel_ros_interfaces.action import Ask
from unipixel_ros_interfaces.srv import AddObjects, Describe, Query, RemoveObjects, ResetMemory

from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.evaluation.node_process import NodeProcess
from unipixel_ros.ros.image_conversion import rgb_to_image

pytestmark = pytest.mark.ros

NO_MODEL = "no model is loaded: set the parameter model_path"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UnipixelClient]:
    with running_node(
        log_path=tmp_path_factory.mktemp("node") / "node.log",
        ready_timeout_s=60.0,
        parameters={"diagnostics_period_s": 0.2},
        remappings={"image": "/test_camera/image_raw", "camera_info": "/test_camera/camera_info"},
    ) as client:
        yield client


def _publish_until(client: UnipixelClient, msg: Image, condition, *, timeout_s: float = 30.0):
    """Publish ``msg`` with a matching camera_info until the node's status meets ``condition``."""
    qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT)
    images = client.node.create_publisher(Image, "/test_camera/image_raw", qos)
    infos = client.node.create_publisher(CameraInfo, "/test_camera/camera_info", qos)
    info = CameraInfo(header=msg.header, width=msg.width, height=msg.height)
    info.k = [50.0, 0.0, 32.0, 0.0, 50.0, 24.0, 0.0, 0.0, 1.0]
    deadline = time.monotonic() + timeout_s
    status: dict[str, str] = {}
    while time.monotonic() < deadline:
        images.publish(msg)
        infos.publish(info)
        status = client.status()
        if status and condition(status):
            break
        time.sleep(0.05)
    client.node.destroy_publisher(images)
    client.node.destroy_publisher(infos)
    return status


def test_node_receives_images_published_by_another_process(running) -> None:
    client = running
    image = rgb_to_image(np.zeros((48, 64, 3), dtype=np.uint8), Header(frame_id="camera_optical"))
    status = _publish_until(client, image, lambda s: int(s["frames_received"]) >= 3)
    assert int(status["frames_received"]) >= 3, status
    assert status["last_size"] == "64x48"
    assert status["last_encoding"] == "rgb8"
    assert status["model_loaded"] == "False"


def test_malformed_image_is_counted_and_the_node_keeps_running(running) -> None:
    client = running
    bad = Image(height=4, width=4, encoding="rgb8", step=12, data=b"\x00" * 7)
    bad.header.frame_id = "camera_optical"
    before = int(client.wait_for_status(lambda s: True, timeout_s=10)["frames_rejected"])
    status = _publish_until(client, bad, lambda s: int(s["frames_rejected"]) > before)
    assert int(status["frames_rejected"]) > before, status
    assert "data has 7 bytes" in status["last_error"]
    assert client.call("reset_memory", ResetMemory.Request(), timeout_s=30).message.startswith(
        NO_MODEL
    )


@pytest.mark.parametrize(
    ("service", "request_"),
    [
        ("query", Query.Request(text="which cup is graspable?")),
        ("add_objects", AddObjects.Request()),
        ("remove_objects", RemoveObjects.Request(object_ids=[1])),
        ("reset_memory", ResetMemory.Request()),
        ("describe", Describe.Request(question="what is it?")),
    ],
)
def test_every_service_says_no_model_is_loaded(running, service: str, request_) -> None:
    client = running
    response = client.call(service, request_, timeout_s=30)
    assert response.success is False
    assert response.message.startswith(NO_MODEL)


def test_ask_action_is_aborted_with_the_no_model_error(running) -> None:
    client = running
    status, result = client.ask(Ask.Goal(text="what is on the table?"), timeout_s=30)
    assert status == GoalStatus.STATUS_ABORTED
    assert result.success is False
    assert result.message.startswith(NO_MODEL)


def test_invalid_parameter_stops_the_node_with_a_clear_message(tmp_path: Path) -> None:
    log = tmp_path / "node.log"
    node = NodeProcess(parameters={"qos_reliability": "sometimes"}, log_path=log)
    code = node.process.wait(timeout=60)
    node.stop()
    assert code == 2
    assert (
        "qos_reliability is 'sometimes'; use one of ['best_effort', 'reliable']" in log.read_text()
    )
