"""Live parameters of a running node, changed from this (second) process over the graph.

The node runs in its own process with a tiny checkpoint whose answer is always "[0] <|seg|>";
this process calls its SetParameters / SetParametersAtomically / GetParameters /
DescribeParameters services, as `ros2 param` does, and checks that an accepted value changes
what the node does next and that a refused one changes nothing.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Point
from node_graph import running_node
from parameter_client import ParameterClient
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from topic_inbox import TopicInbox
from unipixel_ros_interfaces.msg import ObjectMaskArray, ObjectPrompt
from unipixel_ros_interfaces.srv import AddObjects, Query

from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.image_conversion import rgb_to_image
from unipixel_ros.ros.parameters import REQUEST_QOS

pytestmark = pytest.mark.ros

TOPICS = {"image": "/live_camera/image_raw", "camera_info": "/live_camera/camera_info"}
WIDTH, HEIGHT = 96, 72
K = [80.0, 0.0, 48.0, 0.0, 80.0, 36.0, 0.0, 0.0, 1.0]
START = {"ring_capacity": 4, "query_frames": 2, "max_pending_requests": 3}
QUERY = "Please segment the red square."


def _stamp(msg: Any) -> int:
    return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec


class _Camera:
    """Publishes a red square on green with its camera_info; every frame has the same pixels."""

    def __init__(self, client: UnipixelClient) -> None:
        qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        self._image = client.node.create_publisher(Image, TOPICS["image"], qos)
        self._info = client.node.create_publisher(CameraInfo, TOPICS["camera_info"], qos)
        self._next = 3_000_000_000
        self.rgb = np.full((HEIGHT, WIDTH, 3), (40, 120, 60), dtype=np.uint8)  # no grey pixel
        self.rgb[20:50, 30:66] = (220, 30, 30)

    def send(self, *, info_later_s: float = 0.0) -> int:
        """Publish one frame; its camera_info is stamped ``info_later_s`` after the image."""
        self._next += 1_000_000_000  # far apart: each stamp pairs with its own info only
        self._image.publish(rgb_to_image(self.rgb, _header(self._next)))
        info_stamp = self._next + round(info_later_s * 1e9)
        self._info.publish(CameraInfo(header=_header(info_stamp), width=WIDTH, height=HEIGHT, k=K))
        return self._next


def _header(stamp_ns: int) -> Header:
    header = Header(frame_id="live_camera_optical_frame")
    header.stamp.sec, header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    return header


@pytest.fixture(scope="module")
def graph(
    seg_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    with running_node(
        log_path=tmp_path_factory.mktemp("node") / "node.log",
        ready_timeout_s=120.0,
        parameters={"model_path": str(seg_checkpoint), **START},
        remappings=TOPICS,
    ) as client:
        yield {
            "client": client,
            "parameters": ParameterClient(client),
            "camera": _Camera(client),
            "masks": TopicInbox(client, ObjectMaskArray, "/unipixel/masks"),
            "labels": TopicInbox(client, Image, "/unipixel/label_image"),
            "overlay": TopicInbox(client, Image, "/unipixel/overlay"),
            "diagnostics": TopicInbox(client, DiagnosticArray, "/diagnostics"),
        }


def _processed_frame(graph: dict[str, Any], **send: float) -> int:
    """Send frames until one comes back on ~/masks; returns its stamp."""
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline:
        stamp = graph["camera"].send(**send)
        try:
            graph["masks"].wait_for(lambda m, s=stamp: _stamp(m) == s, timeout_s=3.0)
            return stamp
        except AssertionError:
            continue
    raise AssertionError("no frame was processed in 60 s")


def _answer(future: Any, timeout_s: float = 120.0) -> Any:
    done = threading.Event()
    future.add_done_callback(lambda _f: done.set())
    assert done.wait(timeout_s), "no answer"
    return future.result()


def _accepted(results: list[Any]) -> None:
    assert all(r.successful for r in results), [r.reason for r in results]


def test_overlay_alpha_changes_the_next_overlay(graph) -> None:
    _processed_frame(graph)
    square = ObjectPrompt(label="square", points=[Point(x=48.0, y=35.0)], point_labels=[1])
    added = graph["client"].call("add_objects", AddObjects.Request(objects=[square]))
    assert added.success, added.message
    (object_id,) = added.object_ids
    camera = graph["camera"].rgb
    pixels, inside = {}, {}
    for alpha in (0.0, 1.0):
        _accepted(graph["parameters"].set(overlay_alpha=alpha))
        stamp = _processed_frame(graph)
        overlay = graph["overlay"].wait_for(lambda m, s=stamp: _stamp(m) == s, timeout_s=30.0)
        labels = graph["labels"].wait_for(lambda m, s=stamp: _stamp(m) == s, timeout_s=30.0)
        pixels[alpha] = np.frombuffer(bytes(overlay.data), np.uint8).reshape(HEIGHT, WIDTH, 3)
        ids = np.frombuffer(bytes(labels.data), np.uint16).reshape(HEIGHT, WIDTH)
        # The 2-pixel contour is drawn whatever the alpha: look 3 pixels inside the mask.
        mask = (ids == object_id).astype(np.uint8)
        inside[alpha] = cv2.erode(mask, np.ones((3, 3)), iterations=3).astype(bool)
    # The tag and the RANDOM WEIGHTS stamp are drawn whatever the alpha: the same pixels in
    # both overlays, unlike the image's. The rest of the object is the fill.
    drawn = np.all(pixels[0.0] == pixels[1.0], axis=2) & np.any(pixels[0.0] != camera, axis=2)
    fill = inside[0.0] & inside[1.0] & ~drawn
    assert fill.sum() > 30, "the added object has too small a mask to colour"
    # alpha 0: the object's pixels keep the image's colours; alpha 1: they take its colour.
    assert np.all(pixels[0.0][fill] == camera[fill])
    assert np.all(np.any(pixels[1.0][fill] != camera[fill], axis=1))


def test_query_frames_and_max_query_chars_change_the_next_query(graph) -> None:
    client, parameters = graph["client"], graph["parameters"]
    for _ in range(START["ring_capacity"]):
        _processed_frame(graph)
    request = Query.Request(text=QUERY, track=False)
    before = client.call("query", request)
    assert before.success and before.answer.num_frames == START["query_frames"], before.message
    _accepted(parameters.set(query_frames=4, max_query_chars=len(QUERY)))
    after = client.call("query", request)
    assert after.success and after.answer.num_frames == 4, after.message
    _accepted(parameters.set(max_query_chars=len(QUERY) - 1))
    refused = client.call("query", request)
    assert not refused.success
    assert (
        refused.message == f"the query has {len(QUERY)} characters; the limit is {len(QUERY) - 1}"
    )
    _accepted(parameters.set(query_frames=START["query_frames"], max_query_chars=2000))


def test_a_shorter_request_timeout_times_the_next_request_out(graph) -> None:
    client, parameters = graph["client"], graph["parameters"]
    _processed_frame(graph)
    _accepted(parameters.set(request_timeout_s=0.001))
    timed_out = client.call("query", Query.Request(text=QUERY, track=False))
    assert not timed_out.success and "timed out after 0.001 s" in timed_out.message
    _accepted(parameters.set(request_timeout_s=120.0))
    answered = client.call("query", Query.Request(text=QUERY, track=False))
    assert answered.success, answered.message


def test_a_smaller_max_pending_requests_answers_more_requests_busy(graph) -> None:
    client, parameters = graph["client"], graph["parameters"]
    _processed_frame(graph)
    queries = client.node.create_client(Query, "/unipixel/query", qos_profile=REQUEST_QOS)

    def burst(count: int) -> list[str]:
        """``count`` queries sent at once; the messages of those refused as busy."""
        sent = [queries.call_async(Query.Request(text=QUERY, track=False)) for _ in range(count)]
        answers = [_answer(future) for future in sent]
        return [a.message for a in answers if not a.success]

    try:
        _accepted(parameters.set(max_pending_requests=1))
        # One runs, at most one waits; with the capacity at start none of the three is busy.
        busy = burst(3)
        assert busy and all("(capacity 1)" in m for m in busy), busy
        _accepted(parameters.set(max_pending_requests=START["max_pending_requests"]))
        assert burst(START["max_pending_requests"]) == []
    finally:
        client.node.destroy_client(queries)


def test_a_wider_sync_slop_pairs_images_with_a_later_camera_info(graph) -> None:
    masks, parameters = graph["masks"], graph["parameters"]
    assert parameters.get("sync_slop_s") == [0.05]
    apart = graph["camera"].send(info_later_s=0.2)
    _processed_frame(graph)  # a later, paired frame: the one 0.2 s apart was not paired
    assert not [m for m in list(masks.messages) if _stamp(m) == apart]
    _accepted(parameters.set(sync_slop_s=0.5))
    try:
        _processed_frame(graph, info_later_s=0.2)
    finally:
        _accepted(parameters.set(sync_slop_s=0.05))


def test_a_shorter_diagnostics_period_speeds_up_the_status(graph) -> None:
    inbox, parameters = graph["diagnostics"], graph["parameters"]
    _accepted(parameters.set(diagnostics_period_s=0.1))
    since_ns = time.time_ns()
    try:
        inbox.wait_for(
            lambda _m: sum(_stamp(m) > since_ns for m in list(inbox.messages)) >= 8, timeout_s=30.0
        )
    finally:
        _accepted(parameters.set(diagnostics_period_s=1.0))
    stamps = [_stamp(m) for m in list(inbox.messages) if _stamp(m) > since_ns][:8]
    gaps_s = [(b - a) / 1e9 for a, b in itertools.pairwise(stamps)]
    # 1.0 s before; 0.1 s now (a loose bound: the CPU is shared with the model's threads).
    assert statistics.median(gaps_s) < 0.5, gaps_s


def test_bad_values_are_refused_with_a_reason_and_nothing_changes(graph) -> None:
    parameters = graph["parameters"]
    names = ("overlay_alpha", "query_frames", "request_timeout_s", "max_pending_requests")
    before = parameters.get(*names)
    batch = parameters.set_atomically(overlay_alpha=0.3, query_frames=0)
    assert not batch.successful and "query_frames" in batch.reason, batch.reason
    refusals = {
        "overlay_alpha": (1.5, "out of range"),
        "query_frames": (START["ring_capacity"] + 1, "out of range"),
        "request_timeout_s": (-1.0, "request_timeout_s is -1.0; it must be finite and > 0"),
        "max_pending_requests": (START["max_pending_requests"] + 1, "out of range"),
    }
    for name, (value, reason) in refusals.items():
        (result,) = parameters.set(**{name: value})
        assert not result.successful and reason in result.reason, (name, result.reason)
    (wrong_type,) = parameters.set(overlay_alpha="opaque")
    assert not wrong_type.successful and "Wrong parameter type" in wrong_type.reason
    assert parameters.get(*names) == before


def test_read_only_parameters_are_refused_and_describe_says_why(graph) -> None:
    parameters = graph["parameters"]
    for name, value in (("ring_capacity", 8), ("model_path", "/tmp/elsewhere")):
        (result,) = parameters.set(**{name: value})
        assert not result.successful and "read-only" in result.reason, result.reason
    assert parameters.get("ring_capacity") == [START["ring_capacity"]]
    ring = parameters.describe("ring_capacity")
    assert ring.read_only and "needs a restart" in ring.description
    frames = parameters.describe("query_frames")
    assert not frames.read_only and frames.integer_range[0].to_value == START["ring_capacity"]
    alpha = parameters.describe("overlay_alpha")
    assert alpha.floating_point_range[0].to_value == 1.0 and "live" in alpha.additional_constraints
