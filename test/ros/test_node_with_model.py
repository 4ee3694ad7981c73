"""The node with a (steered, tiny) UniPixel checkpoint in its own process, over a real graph.

The checkpoint is a tiny model whose weights are set so that its greedy answer is always
"[0] <|seg|>" (see `steered_predictor` in test/conftest.py); masks come from its random SAM 2.1.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from action_msgs.msg import GoalStatus
from geometry_msgs.msg import Point, PointStamped
from node_graph import running_node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sample_data import SAMPLE_BAG
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from topic_inbox import TopicInbox
from unipixel_ros_interfaces.action import Ask
from unipixel_ros_interfaces.msg import ObjectMaskArray, ObjectPrompt
from unipixel_ros_interfaces.srv import AddObjects, Describe, Query, RemoveObjects, ResetMemory
from visualization_msgs.msg import Marker, MarkerArray

from unipixel_ros.model import SEG_TOKEN
from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.evaluation.frame_replay import play_bag
from unipixel_ros.ros.image_conversion import rgb_to_image

pytestmark = pytest.mark.ros

BAG = SAMPLE_BAG
BAG_STAMPS = {1700000000000000000 + 100_000_000 * i for i in range(4)}
TOPICS = {
    "image": "/camera/color/image_raw",
    "camera_info": "/camera/color/camera_info",
    "depth": "/camera/aligned_depth_to_color/image_raw",
}
WIDTH, HEIGHT = 128, 96
K = [100.0, 0.0, 64.0, 0.0, 100.0, 48.0, 0.0, 0.0, 1.0]
PLANE_M = 0.8


class _Camera:
    """Publishes synthetic frames: a red square on grey, a flat depth plane at PLANE_M."""

    def __init__(self, client: UnipixelClient) -> None:
        qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        node = client.node
        self._image = node.create_publisher(Image, TOPICS["image"], qos)
        self._info = node.create_publisher(CameraInfo, TOPICS["camera_info"], qos)
        self._depth = node.create_publisher(Image, TOPICS["depth"], qos)
        self._next = 2_000_000_000

    def send(self, *, depth_m: float = PLANE_M) -> int:
        """Publish one frame; returns its stamp in ns."""
        self._next += 50_000_000
        header = Header(frame_id="camera_color_optical_frame")
        header.stamp.sec, header.stamp.nanosec = divmod(self._next, 1_000_000_000)
        rgb = np.full((HEIGHT, WIDTH, 3), 90, dtype=np.uint8)
        rgb[30:66, 40:88] = (220, 30, 30)
        depth = np.full((HEIGHT, WIDTH), depth_m, dtype=np.float32)
        depth_msg = Image(header=header, height=HEIGHT, width=WIDTH, encoding="32FC1")
        depth_msg.step, depth_msg.data = WIDTH * 4, depth.tobytes()
        info = CameraInfo(header=header, width=WIDTH, height=HEIGHT, k=K)
        self._image.publish(rgb_to_image(rgb, header))
        self._info.publish(info)
        self._depth.publish(depth_msg)
        return self._next


def _stamp(msg: Any) -> int:
    return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec


def _frames_reach_the_node(graph: dict[str, Any]) -> None:
    """Send frames until the node has processed one, then wait for the last one sent.

    Each test sends the frames it needs: the first frames can go out before the node's
    subscriptions have matched, and no frame of ours is left waiting in the node afterwards.
    """
    camera, masks = graph["camera"], graph["masks"]
    stamps: list[int] = []
    deadline = time.monotonic() + 60
    while True:
        stamps.append(camera.send())
        try:
            masks.wait_for(lambda m: _stamp(m) in stamps, timeout_s=2.0)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
    masks.wait_for(lambda m: _stamp(m) == stamps[-1], timeout_s=60)


def _wait_for_a_subscriber(publisher: Any) -> None:
    """Until the node's subscription has matched (a click sent before it would be lost)."""
    started = time.monotonic()
    while time.monotonic() - started < 10.0:
        if publisher.get_subscription_count():
            break
        time.sleep(0.02)


def _an_object_is_tracked(graph: dict[str, Any]) -> None:
    """Frames reach the node, and it tracks one more object: a click on the red square."""
    _frames_reach_the_node(graph)
    square = ObjectPrompt(label="square", points=[Point(x=64.0, y=48.0)], point_labels=[1])
    added = graph["client"].call("add_objects", AddObjects.Request(objects=[square]))
    assert added.success, added.message


@pytest.fixture(scope="module")
def graph(
    seg_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    log = tmp_path_factory.mktemp("node") / "node.log"
    with running_node(
        log_path=log,
        ready_timeout_s=120.0,
        parameters={
            "model_path": str(seg_checkpoint),
            "use_depth": True,
            "ring_capacity": 4,
            "query_frames": 3,
            "diagnostics_period_s": 0.2,
        },
        remappings=TOPICS,
    ) as client:
        yield {
            "client": client,
            "camera": _Camera(client),
            "masks": TopicInbox(client, ObjectMaskArray, "/unipixel/masks"),
            "labels": TopicInbox(client, Image, "/unipixel/label_image"),
            "overlay": TopicInbox(client, Image, "/unipixel/overlay"),
            "markers": TopicInbox(client, MarkerArray, "/unipixel/markers"),
            "log": log,
        }


def test_a_replayed_bag_then_a_language_query_gives_an_answer_and_masks(graph) -> None:
    client = graph["client"]
    play_bag(client.node, BAG, remap=TOPICS, topics=tuple(TOPICS.values()), reliable=True)
    client.wait_for_status(lambda s: int(s["frames_processed"]) >= 1, timeout_s=60)
    graph["masks"].wait_for(lambda m: _stamp(m) in BAG_STAMPS, timeout_s=60)
    response = client.call("query", Query.Request(text="Please segment the red cup."))
    assert response.success, response.message
    answer = response.answer
    assert answer.answer == f"[0] {SEG_TOKEN}"
    assert answer.query == "Please segment the red cup." and answer.query_id.startswith("q")
    assert _stamp(answer) in BAG_STAMPS
    assert answer.header.frame_id == "camera_color_optical_frame"
    assert 1 <= answer.num_frames <= 3 and answer.tokens_generated >= 2
    assert len(response.objects) == 1
    obj = response.objects[0]
    assert list(answer.object_ids) == [obj.object_id]
    assert (obj.mask.encoding, obj.mask.width, obj.mask.height) == ("mono8", WIDTH, HEIGHT)
    assert obj.label == "Please segment the red cup."


def test_a_click_creates_an_object_whose_mask_follows_on_later_frames(graph) -> None:
    client, camera, masks = graph["client"], graph["camera"], graph["masks"]
    _frames_reach_the_node(graph)
    camera.send()
    client.wait_for_status(lambda s: int(s["frames_processed"]) >= 2, timeout_s=60)
    clicks = client.node.create_publisher(Point, f"{TOPICS['image']}_mouse_left", 10)
    _wait_for_a_subscriber(clicks)
    clicks.publish(Point(x=60.0, y=45.0))
    stamps: list[int] = []

    def clicked_on_a_later_frame(msg: ObjectMaskArray) -> bool:
        return _stamp(msg) in stamps and any(o.label == "rqt_image_view click" for o in msg.objects)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stamps.append(camera.send())
        try:
            found = masks.wait_for(clicked_on_a_later_frame, timeout_s=0.3)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError("the clicked object never appeared in /unipixel/masks")
    clicked = next(o for o in found.objects if o.label == "rqt_image_view click")
    assert clicked.mask.width == WIDTH and _stamp(clicked) == _stamp(found)


def test_every_output_carries_the_stamp_and_frame_of_its_input_image(graph) -> None:
    camera = graph["camera"]
    _frames_reach_the_node(graph)
    stamp = camera.send()
    for inbox in ("masks", "labels", "overlay", "markers"):
        if inbox == "markers":
            msg = graph[inbox].wait_for(
                lambda m: m.markers and _stamp(m.markers[0]) == stamp, timeout_s=60
            )
            assert msg.markers[0].header.frame_id == "camera_color_optical_frame"
            continue
        msg = graph[inbox].wait_for(lambda m: _stamp(m) == stamp, timeout_s=60)
        assert msg.header.frame_id == "camera_color_optical_frame"
    labels = graph["labels"].wait_for(lambda m: _stamp(m) == stamp)
    overlay = graph["overlay"].wait_for(lambda m: _stamp(m) == stamp)
    assert (labels.encoding, overlay.encoding) == ("mono16", "rgb8")
    assert (overlay.width, overlay.height) == (WIDTH, HEIGHT)


def test_markers_sit_where_the_mask_pixels_are_in_3d(graph) -> None:
    camera, masks, markers = graph["camera"], graph["masks"], graph["markers"]
    _an_object_is_tracked(graph)
    stamp = camera.send()
    frame = masks.wait_for(lambda m: _stamp(m) == stamp and m.objects, timeout_s=60)
    visible = [o for o in frame.objects if o.centroid_valid]
    assert visible, "no object with a 3-D centroid"
    fx, cx, fy, cy = K[0], K[2], K[4], K[5]
    for obj in visible:
        mask = np.frombuffer(bytes(obj.mask.data), np.uint8).reshape(HEIGHT, WIDTH) > 0
        rows, cols = np.nonzero(mask)
        # Every pixel lies on the plane z = PLANE_M, so the centroid back-projects the mean pixel
        # (up to the 5-95 percentile trimming of outliers).
        assert obj.centroid.z == pytest.approx(PLANE_M, abs=1e-5)
        assert obj.centroid.x == pytest.approx((cols.mean() - cx) * PLANE_M / fx, abs=0.02)
        assert obj.centroid.y == pytest.approx((rows.mean() - cy) * PLANE_M / fy, abs=0.02)
    array = markers.wait_for(lambda m: m.markers and _stamp(m.markers[0]) == stamp)
    cubes = {m.id // 2: m for m in array.markers if m.type == Marker.CUBE}
    for obj in visible:
        cube = cubes[obj.object_id]
        assert (cube.pose.position.x, cube.pose.position.z) == pytest.approx(
            (obj.centroid.x, obj.centroid.z)
        )


def test_missing_depth_gives_masks_without_centroids_and_the_node_keeps_going(graph) -> None:
    camera, masks = graph["camera"], graph["masks"]
    _an_object_is_tracked(graph)
    stamp = camera.send(depth_m=float("nan"))
    frame = masks.wait_for(lambda m: _stamp(m) == stamp, timeout_s=60)
    assert frame.objects and not any(o.centroid_valid for o in frame.objects)


def test_the_ask_action_streams_the_answer_as_feedback(graph) -> None:
    client = graph["client"]
    _frames_reach_the_node(graph)
    graph["camera"].send()
    feedback: list[str] = []
    status, result = client.ask(
        Ask.Goal(text="Where is the red square?", track=False),
        on_feedback=lambda f: feedback.append(f.partial_answer),
    )
    assert status == GoalStatus.STATUS_SUCCEEDED and result.success, result.message
    assert result.answer.answer == f"[0] {SEG_TOKEN}"
    # Feedback and result travel on different topics: the last feedback may arrive after it.
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline and (not feedback or feedback[-1] != result.answer.answer):
        time.sleep(0.02)
    assert feedback and feedback[-1] == result.answer.answer


def test_describe_a_tracked_object_by_id(graph) -> None:
    client = graph["client"]
    _frames_reach_the_node(graph)
    added = client.call(
        "add_objects",
        AddObjects.Request(
            objects=[ObjectPrompt(label="square", points=[Point(x=64.0, y=48.0)], point_labels=[1])]
        ),
    )
    assert added.success, added.message
    (object_id,) = added.object_ids
    for _ in range(2):
        graph["camera"].send()
    response = client.call(
        "describe", Describe.Request(use_object_id=True, object_id=object_id, question="")
    )
    assert response.success, response.message
    assert list(response.answer.object_ids) == [object_id]


@pytest.mark.parametrize(
    ("service", "request_", "error"),
    [
        (
            "add_objects",
            AddObjects.Request(
                objects=[ObjectPrompt(points=[Point(x=500.0, y=5.0)], point_labels=[1])]
            ),
            "lies outside the 128x96 image",
        ),
        ("add_objects", AddObjects.Request(objects=[ObjectPrompt()]), "needs points or a box"),
        ("remove_objects", RemoveObjects.Request(object_ids=[999]), "unknown object ids [999]"),
        ("query", Query.Request(text="  "), "the query text is empty"),
        ("query", Query.Request(text="x" * 2001), "the limit is 2000"),
        ("query", Query.Request(text="hi", cameras=["left"]), "unknown camera 'left'"),
        (
            "describe",
            Describe.Request(use_object_id=True, object_id=777),
            "object 777 is not tracked",
        ),
    ],
)
def test_bad_requests_get_clear_errors_and_the_node_keeps_running(
    graph, service: str, request_: Any, error: str
) -> None:
    _frames_reach_the_node(graph)  # a prompt is checked against the latest frame's size
    response = graph["client"].call(service, request_)
    assert response.success is False
    assert error in response.message


def test_a_malformed_image_is_rejected_and_counted(graph) -> None:
    client = graph["client"]
    client.wait_for_status(lambda s: "frames_rejected" in s, timeout_s=60)  # the first status
    before = int(client.status()["frames_rejected"])
    bad = client.node.create_publisher(Image, TOPICS["image"], 5)
    info = client.node.create_publisher(CameraInfo, TOPICS["camera_info"], 5)
    depth = client.node.create_publisher(Image, TOPICS["depth"], 5)
    header = Header(frame_id="camera_color_optical_frame")
    header.stamp.sec = 99
    depth_msg = Image(header=header, height=2, width=2, encoding="32FC1", step=8, data=b"\0" * 16)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and int(client.status()["frames_rejected"]) <= before:
        bad.publish(
            Image(header=header, height=2, width=2, encoding="8UC3", step=6, data=b"0" * 12)
        )
        info.publish(CameraInfo(header=header, width=2, height=2, k=K))
        depth.publish(depth_msg)
        time.sleep(0.05)
    status = client.status()
    assert int(status["frames_rejected"]) > before
    assert "unsupported colour encoding '8UC3'" in status["last_error"]


def test_a_query_after_a_reset_and_before_any_new_frame_says_so(graph) -> None:
    client = graph["client"]
    _frames_reach_the_node(graph)  # and none is left waiting to arrive after the reset
    assert client.call("reset_memory", ResetMemory.Request()).success
    response = client.call("query", Query.Request(text="what is there?"))
    assert response.success is False
    assert "no frame from camera '' has arrived yet" in response.message


def test_an_rviz_click_in_the_camera_frame_adds_an_object_and_other_frames_are_explained(
    graph,
) -> None:
    client, camera, masks = graph["client"], graph["camera"], graph["masks"]
    clicks = client.node.create_publisher(PointStamped, "/clicked_point", 10)
    _frames_reach_the_node(graph)  # the click is projected with the latest frame's intrinsics
    _wait_for_a_subscriber(clicks)
    camera.send()
    click = PointStamped()
    click.header.frame_id = "camera_color_optical_frame"
    # (0.0, 0.0, 0.8) projects to the principal point (64, 48), inside the red square.
    click.point.z = PLANE_M
    stamps: list[int] = []
    deadline = time.monotonic() + 60
    found = None
    clicks.publish(click)  # once: every click that arrives adds an object
    while found is None and time.monotonic() < deadline:
        stamps.append(camera.send())
        try:
            found = masks.wait_for(
                lambda m: _stamp(m) in stamps and any(o.label == "RViz click" for o in m.objects),
                timeout_s=0.3,
            )
        except AssertionError:
            continue
    assert found is not None, "the RViz click never became an object"
    elsewhere = PointStamped()
    elsewhere.header.frame_id = "world"
    clicks.publish(elsewhere)
    deadline = time.monotonic() + 30
    expected = "tf2_ros is not installed here: only clicks in the camera frame are accepted"
    while expected not in graph["log"].read_text() and time.monotonic() < deadline:
        camera.send()
        time.sleep(0.1)
    assert expected in graph["log"].read_text()


def test_the_overlay_outlines_the_tracked_objects_and_captions_the_last_answer(graph) -> None:
    client, camera = graph["client"], graph["camera"]
    _an_object_is_tracked(graph)
    response = client.call("query", Query.Request(text="Please segment the red cup."))
    assert response.success, response.message
    stamp = camera.send()
    msg = graph["overlay"].wait_for(lambda m: _stamp(m) == stamp, timeout_s=60)
    pixels = np.frombuffer(bytes(msg.data), np.uint8).reshape(HEIGHT, msg.step)[:, : 3 * WIDTH]
    overlay = pixels.reshape(HEIGHT, WIDTH, 3).astype(int)
    # The caption's band darkens the bottom rows of the grey (90) image, with white text.
    assert overlay[HEIGHT - 2].mean() < 60
    assert (overlay[HEIGHT - 16 :] > 200).all(axis=-1).any()
    # Objects are drawn in colours of the palette, none the image had (grey, red).
    drawn = {tuple(p) for p in overlay[: HEIGHT // 2].reshape(-1, 3)}
    assert drawn - {(90, 90, 90), (220, 30, 30)}
    # A checkpoint's weights are not random: no stamp.
    assert not (overlay == (200, 0, 0)).all(axis=-1).any()
