"""The node tracks at camera rate while it reasons: a graph test with the node in its own process.

The checkpoint is a UniPixel of a real (small) configuration, 6 text layers of width 256, whose
weights are set by hand (`unipixel_ros.bench.steering`) so that its greedy answer is 160 tokens long
and ends in "[0] <|seg|>": the query takes seconds of real generation while a camera publishes
at about 15 Hz from this process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from node_graph import running_node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from topic_inbox import TopicInbox
from unipixel_ros_interfaces.msg import ObjectMaskArray
from unipixel_ros_interfaces.srv import Query

from unipixel_ros.bench.steering import long_seg_answer, steer_answer
from unipixel_ros.model import (
    SEG_TOKEN,
    PredictorSettings,
    QwenVideoSpec,
    build_tiny_tokenizer,
    build_unipixel,
    save_unipixel,
)
from unipixel_ros.model.builder import TINY_SAM2_CONFIG_NAME, set_object_score_bias, small_config
from unipixel_ros.ros.image_conversion import rgb_to_image
from unipixel_ros.stamps import ns_to_sec_nanosec, stamp_to_ns

pytestmark = [pytest.mark.ros, pytest.mark.slow]

TOPICS = {"image": "/lanes/image_raw", "camera_info": "/lanes/camera_info"}
WIDTH, HEIGHT = 96, 64
FILLER_TOKENS = 160
CAMERA_PERIOD_S = 0.066  # the camera's frame period (~15 Hz)


@pytest.fixture(scope="module")
def long_answer_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tokenizer = build_tiny_tokenizer()
    torch.manual_seed(1)  # seed 0's random SAM 2.1 leaves the square's mask empty
    config = small_config(
        tokenizer,
        hidden_size=256,
        num_layers=6,
        vision_width=32,
        rope_theta=1e6,
        sam2_config=TINY_SAM2_CONFIG_NAME,
        sam2_image_size=64,
        tie_word_embeddings=False,
    )
    model = build_unipixel(config).eval()
    set_object_score_bias(model.sam2, 10.0)
    steer_answer(model, tokenizer, long_seg_answer(tokenizer, FILLER_TOKENS))
    directory = save_unipixel(model, tokenizer, tmp_path_factory.mktemp("long_answer"))
    video = QwenVideoSpec(sample_frames=4, min_pixels=56 * 56, pixels_per_frame_budget=56 * 56)
    PredictorSettings(video=video, max_new_tokens=FILLER_TOKENS + 16).save(directory)
    return directory


class _Camera:
    """Publishes frames (a red square on grey) at the camera's rate from its own thread."""

    def __init__(self, node: Any) -> None:
        qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        self._image = node.create_publisher(Image, TOPICS["image"], qos)
        self._info = node.create_publisher(CameraInfo, TOPICS["camera_info"], qos)
        self._lock = threading.Lock()
        self.sent: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Camera:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def last_sent(self) -> int:
        with self._lock:
            return self.sent[-1] if self.sent else 0

    def _run(self) -> None:
        stamp = 5_000_000_000
        rgb = np.full((HEIGHT, WIDTH, 3), 90, dtype=np.uint8)
        rgb[20:44, 30:62] = (220, 30, 30)
        k = [80.0, 0.0, 48.0, 0.0, 80.0, 32.0, 0.0, 0.0, 1.0]
        while not self._stop.wait(CAMERA_PERIOD_S):
            stamp += 66_000_000
            header = Header(frame_id="camera_color_optical_frame")
            header.stamp.sec, header.stamp.nanosec = ns_to_sec_nanosec(stamp)
            self._info.publish(CameraInfo(header=header, width=WIDTH, height=HEIGHT, k=k))
            self._image.publish(rgb_to_image(rgb, header))
            with self._lock:
                self.sent.append(stamp)


@pytest.fixture(scope="module")
def graph(long_answer_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    log = tmp_path_factory.mktemp("node") / "node.log"
    with running_node(
        log_path=log,
        ready_timeout_s=120.0,
        parameters={
            "model_path": str(long_answer_checkpoint),
            "use_depth": False,
            "ring_capacity": 8,
            "query_frames": 8,
            "request_timeout_s": 120.0,
            "diagnostics_period_s": 0.2,
        },
        remappings=TOPICS,
    ) as client:
        yield client, TopicInbox(client, ObjectMaskArray, "/unipixel/masks")


def test_masks_keep_coming_while_a_query_generates_and_its_object_lands_on_the_newest_frame(
    graph,
) -> None:
    client, masks = graph
    with _Camera(client.node) as camera:
        masks.wait_for(lambda m: True, timeout_s=60)  # frames reach the node
        # The ring fills: 8 frames tracked before the query.
        while len({stamp_to_ns(m.header.stamp) for m in masks.messages}) < 8:
            newer = camera.last_sent()
            masks.wait_for(lambda m, newer=newer: stamp_to_ns(m.header.stamp) >= newer)
        asked_after = camera.last_sent()
        started = time.monotonic()
        response = client.call(
            "query", Query.Request(text="Please segment the red square."), timeout_s=120
        )
        query_s = time.monotonic() - started
        answered_before = camera.last_sent()
        assert response.success, response.message
        assert response.answer.answer.endswith(SEG_TOKEN), response.answer.answer
        (object_id,) = [m.object_id for m in response.objects]
        during = sorted(
            {
                stamp_to_ns(m.header.stamp)
                for m in masks.messages
                if asked_after < stamp_to_ns(m.header.stamp) < answered_before
            }
        )
        sent_during = [s for s in camera.sent if asked_after < s < answered_before]
        # Tracking went on: most frames sent during the query were tracked during it.
        assert query_s > 1.0, f"the query took {query_s:.2f} s; too short to show anything"
        assert len(during) >= max(3, len(sent_during) // 3), (len(during), len(sent_during))
        newest = masks.wait_for(
            lambda m: (
                stamp_to_ns(m.header.stamp) > answered_before
                and object_id in [o.object_id for o in m.objects]
            ),
            timeout_s=30,
        )
        assert next(o for o in newest.objects if o.object_id == object_id).mask.data
    status = client.wait_for_status(
        lambda s: s.get("reasoning_now") == "idle" and int(s["frames_while_reasoning"]) > 0,
        timeout_s=30,
    )
    assert int(status["frames_while_reasoning"]) >= len(during) - 2
