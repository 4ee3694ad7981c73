"""The frame-by-frame replayer `unipixel-ros eval` drives: every frame delivered, recorded
spacing kept, pauses not turned into bursts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sample_data import SAMPLE_BAG
from sensor_msgs.msg import CameraInfo, Image

from unipixel_ros.errors import BagError, ConfigError, NotReadyError
from unipixel_ros.evaluation.scoring.queries import load_query_spec
from unipixel_ros.ros.evaluation.frame_replay import FrameReplayer, play_bag

pytestmark = pytest.mark.ros

BAG = SAMPLE_BAG
IMAGE = "/camera/color/image_raw"
INFO = "/camera/color/camera_info"
STAMPS = load_query_spec(BAG / "queries.json").stamps_ns


class _Camera:
    """A subscriber to the replayed topics, spun in its own thread."""

    def __init__(self) -> None:
        self.node = Node("replay_listener")
        self.images: list[int] = []
        self.infos: list[int] = []
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.node.create_subscription(Image, IMAGE, lambda m: self.images.append(_ns(m)), qos)
        self.node.create_subscription(CameraInfo, INFO, lambda m: self.infos.append(_ns(m)), qos)
        self._executor = SingleThreadedExecutor()
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._executor.spin, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and min(len(self.images), len(self.infos)) < count:
            time.sleep(0.01)

    def close(self) -> None:
        self._executor.shutdown()
        self.node.destroy_node()


def _ns(msg) -> int:
    return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec


@pytest.fixture
def publisher_node() -> Iterator[Node]:
    if not rclpy.ok():
        rclpy.init()
    node = Node("replay_publisher")
    yield node
    node.destroy_node()


@pytest.fixture
def camera(publisher_node: Node) -> Iterator[_Camera]:
    camera = _Camera()
    yield camera
    camera.close()


def _replayer(node: Node, rate: float, companions: tuple[str, ...] = (INFO,)) -> FrameReplayer:
    return FrameReplayer(
        node=node, bag=BAG, image_topic=IMAGE, companion_topics=companions, rate=rate
    )


def test_every_frame_arrives_with_its_camera_info_in_order(publisher_node, camera) -> None:
    replayer = _replayer(publisher_node, rate=0.0)
    replayer.wait_for_subscribers(timeout_s=10.0)
    frames = list(replayer.frames())
    replayer.close()
    assert [f.stamp_ns for f in frames] == list(STAMPS)
    assert [f.index for f in frames] == [0, 1, 2, 3]
    assert all(f.companions == (INFO,) for f in frames)
    camera.wait_for(len(STAMPS))
    assert camera.images == list(STAMPS) and camera.infos == list(STAMPS)


def test_play_bag_publishes_every_message_of_its_topics_through_the_replayer(
    publisher_node, camera
) -> None:
    stats = play_bag(publisher_node, BAG, topics=(IMAGE, INFO), rate=0.0, reliable=True)
    assert stats.messages == 2 * len(STAMPS) and stats.topics == (IMAGE, INFO)
    camera.wait_for(len(STAMPS))
    assert camera.images == list(STAMPS) and camera.infos == list(STAMPS)


def test_recorded_spacing_is_kept_and_a_rebase_avoids_a_burst(publisher_node, camera) -> None:
    replayer = _replayer(publisher_node, rate=1.0)
    replayer.wait_for_subscribers(timeout_s=10.0)
    frames = replayer.frames()
    # Lower bounds from a clock read before the pacing starts: a slow publish (a busy CPU) can
    # only make frames later, never earlier.
    started = time.monotonic()
    next(frames)
    assert next(frames).published_s - started >= 0.1  # the bag is 10 Hz
    time.sleep(0.5)  # e.g. a query being answered
    replayer.rebase()
    resumed = time.monotonic()
    third, fourth = next(frames), next(frames)
    assert third.published_s - resumed < 0.08  # at once, though the recording says it is late
    assert fourth.published_s - resumed >= 0.1  # no burst: the recorded spacing again
    replayer.close()


def test_a_topic_the_bag_lacks_is_a_bag_error(publisher_node) -> None:
    with pytest.raises(BagError, match=r"lacks topics \['/camera/depth'\]"):
        _replayer(publisher_node, rate=0.0, companions=(INFO, "/camera/depth"))


def test_a_negative_rate_is_refused(publisher_node) -> None:
    with pytest.raises(ConfigError, match="rate must be >= 0"):
        _replayer(publisher_node, rate=-1.0)


def test_waiting_for_a_subscriber_that_never_comes_times_out(publisher_node) -> None:
    replayer = FrameReplayer(node=publisher_node, bag=BAG, image_topic="/ground_truth/instances")
    with pytest.raises(NotReadyError, match="nobody subscribed to"):
        replayer.wait_for_subscribers(timeout_s=0.2)
    replayer.close()
