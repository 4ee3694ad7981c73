"""The tracking lane's outputs keep one objects figure per camera and report their total."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from std_msgs.msg import Header

from unipixel_ros.perception.records import FrameOutput, ObjectView
from unipixel_ros.ros.camera_inputs import CameraFrame
from unipixel_ros.ros.frame_outputs import FrameOutputs
from unipixel_ros.tracking import ObjectState


class _Publisher:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def publish(self, msg: Any) -> None:
        self.sent.append(msg)

    def get_subscription_count(self) -> int:
        return 0


class _Node:
    """Only what `FrameOutputs` needs of a node: publishers, by topic."""

    def __init__(self) -> None:
        self.publishers: dict[str, _Publisher] = {}

    def create_publisher(self, _type: type, topic: str, _depth: int) -> _Publisher:
        return self.publishers.setdefault(topic, _Publisher())


def _frame_with(outputs: FrameOutputs, camera: str, count: int) -> None:
    rgb = np.zeros((8, 8, 3), dtype=np.uint8)
    mask = np.zeros((8, 8), dtype=bool)
    mask[2:4, 2:4] = True
    views = tuple(
        ObjectView(
            object_id=i, label="cup", camera=camera, score=1.0, state=ObjectState.TRACKED, mask=mask
        )
        for i in range(count)
    )
    frame = CameraFrame(camera, rgb, Header(frame_id="optical"), None, None, time.monotonic())
    outputs.publish(frame, FrameOutput(camera=camera, frame_index=0, stamp_ns=0, objects=views))


def test_objects_tracked_is_the_total_over_cameras_not_the_last_camera_published() -> None:
    node = _Node()
    outputs = FrameOutputs(node=node, cameras=("left", "right"), overlay_alpha=0.5)
    _frame_with(outputs, "left", 2)
    _frame_with(outputs, "right", 1)
    assert outputs.objects_tracked() == 3
    _frame_with(outputs, "left", 0)
    assert outputs.objects_tracked() == 1
    assert len(node.publishers["~/masks"].sent) == 3
    assert len(outputs.latencies_s()) == 3
