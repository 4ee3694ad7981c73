"""Faults injected into a live node (tiny random model, own process) over a real graph.

- a request that fails inside the inference worker with a non-Unipixel exception (there is no
  CUDA here to run out of memory; a Describe at the stamp of an older ring frame makes the
  worker raise ValueError today, which goes through the same `except Exception` path as
  torch.cuda.OutOfMemoryError would): the request gets an error, tracking continues;
- the camera stops and restarts: tracking resumes with the same objects;
- a bag loops (stamps jump backwards): every replayed frame is processed again;
- RViz clicks without a transform, behind the camera or NaN: a clear log line, no crash;
- 100 concurrent requests: each must get an answer, the surplus an explicit "busy ... retry
  later", and the node must keep tracking (no deadlock).
"""

from __future__ import annotations

import threading
import time

import pytest
from geometry_msgs.msg import Point, PointStamped
from live_node import LIVE_PARAMETERS, OPTICAL_FRAME, TOPICS, stamp_of
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sample_data import SAMPLE_BAG
from std_msgs.msg import Header
from unipixel_ros_interfaces.msg import ObjectPrompt
from unipixel_ros_interfaces.srv import AddObjects, Describe, Query, RemoveObjects, ResetMemory

from unipixel_ros.ros.evaluation.frame_replay import play_bag

pytestmark = pytest.mark.ros

BAG = SAMPLE_BAG
BAG_TOPICS = {
    "/camera/color/image_raw": TOPICS["image"],
    "/camera/color/camera_info": TOPICS["camera_info"],
}
BAG_STAMPS = {1700000000000000000 + 100_000_000 * i for i in range(4)}


def _point(x: float = 40.0, y: float = 30.0) -> ObjectPrompt:
    return ObjectPrompt(label="fault", points=[Point(x=x, y=y)], point_labels=[1])


def _fill_ring(live) -> list[int]:
    """Reset, then process ring_capacity frames one by one; returns their stamps."""
    assert live.client.call("reset_memory", ResetMemory.Request()).success
    return [
        stamp_of(live.camera.send_processed(live.masks))
        for _ in range(LIVE_PARAMETERS["ring_capacity"])
    ]


def _describe_at(stamp_ns: int) -> Describe.Request:
    request = Describe.Request(prompt=_point(), question="what is it?")
    request.stamp.sec, request.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    return request


def _log_has(live, text: str, *, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if text in live.log.read_text(errors="replace"):
            return True
        time.sleep(0.1)
    return False


def test_a_request_failing_inside_the_worker_gets_an_error_and_tracking_continues(live) -> None:
    stamps = _fill_ring(live)
    assert live.client.call("add_objects", AddObjects.Request(objects=[_point()])).success
    # The oldest ring frame is not among the last query_frames frames describe looks at.
    response = live.client.call("describe", _describe_at(stamps[0]))
    assert response.success is False and response.message
    before = live.alive_and_tracking()
    assert before.objects, "the tracked object was lost after the failed request"
    answer = live.client.call("query", Query.Request(text="what is there?", track=False))
    assert answer.success, answer.message


def test_describe_at_an_older_ring_frame_gets_a_clear_bad_input_message(live) -> None:
    stamps = _fill_ring(live)
    response = live.client.call("describe", _describe_at(stamps[0]))
    assert response.success or (
        "internal error" not in response.message and str(stamps[0]) in response.message
    ), response.message


def test_remove_objects_with_a_repeated_id_removes_it_once_or_nothing(live) -> None:
    _fill_ring(live)
    added = live.client.call("add_objects", AddObjects.Request(objects=[_point()]))
    (object_id,) = added.object_ids
    response = live.client.call(
        "remove_objects", RemoveObjects.Request(object_ids=[object_id, object_id])
    )
    assert "internal error" not in response.message, response.message
    tracked = [o.object_id for o in live.alive_and_tracking().objects]
    assert (object_id in tracked) != response.success, (response.message, tracked)


def test_tracking_resumes_with_the_same_objects_when_the_camera_restarts(live) -> None:
    _fill_ring(live)
    added = live.client.call("add_objects", AddObjects.Request(objects=[_point()]))
    assert added.success, added.message
    time.sleep(1.0)  # several diagnostics periods: the status has caught up
    received = int(live.client.status()["frames_received"])
    time.sleep(2.0)  # the camera is off
    quiet = live.client.status()
    assert int(quiet["frames_received"]) == received and quiet["model_loaded"] == "True"
    frame = live.alive_and_tracking()  # the camera is back
    assert [o.object_id for o in frame.objects] == list(added.object_ids)
    live.client.wait_for_status(lambda s: int(s["frames_received"]) > received, timeout_s=10)


def test_diagnostics_show_that_the_camera_stopped(live) -> None:
    for _ in range(10):
        live.camera.send()
        time.sleep(0.03)
    live.camera.send_processed(live.masks)
    time.sleep(3.0)
    status = live.client.wait_for_status(lambda s: True, timeout_s=5)
    assert float(status["input_rate_hz"]) == 0.0, status
    assert float(status["seconds_since_last_frame"]) >= 2.5, status


def test_a_looping_bag_whose_stamps_jump_back_is_tracked_on_every_loop(live) -> None:
    live.client.call("reset_memory", ResetMemory.Request())
    topics = tuple(BAG_TOPICS)
    for loop in range(2):
        live.masks.messages.clear()
        play_bag(live.client.node, BAG, remap=BAG_TOPICS, topics=topics, rate=2.0, reliable=True)
        seen = live.masks.wait_for(lambda m: stamp_of(m) in BAG_STAMPS, timeout_s=30)
        assert seen.header.frame_id, f"loop {loop}"
        if loop == 0:
            added = live.client.call("add_objects", AddObjects.Request(objects=[_point()]))
            assert added.success, added.message
    # After the loop the stamps jump forward again to the live camera's.
    frame = live.alive_and_tracking()
    assert list(added.object_ids) == [o.object_id for o in frame.objects]


@pytest.mark.parametrize(
    ("frame_id", "xyz", "error"),
    [
        ("map", (1.0, 0.0, 0.5), "click is in frame 'map'"),
        (OPTICAL_FRAME, (0.0, 0.0, -1.0), "behind the camera"),
        (OPTICAL_FRAME, (float("nan"), 0.0, 1.0), "click ignored"),
    ],
    ids=["no-transform", "behind", "nan"],
)
def test_an_rviz_click_that_cannot_be_projected_is_refused_clearly(
    live, frame_id: str, xyz: tuple[float, float, float], error: str
) -> None:
    live.alive_and_tracking()  # the node knows the camera frame and intrinsics
    clicks = live.client.node.create_publisher(PointStamped, "/clicked_point", 10)
    try:
        click = PointStamped(header=Header(frame_id=frame_id))
        click.point.x, click.point.y, click.point.z = xyz
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _log_has(live, error, timeout_s=0.3):
            clicks.publish(click)
        assert _log_has(live, error, timeout_s=1.0), live.log.read_text()[-2000:]
    finally:
        live.client.node.destroy_publisher(clicks)
    live.alive_and_tracking()


def test_a_hundred_concurrent_requests_all_get_an_answer_and_the_surplus_is_busy(live) -> None:
    live.client.call("reset_memory", ResetMemory.Request())
    live.alive_and_tracking()
    # A client that keeps every request (KEEP_ALL): any loss is then on the node's side.
    qos = QoSProfile(history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE)
    client = live.client.node.create_client(Query, "/unipixel/query", qos_profile=qos)
    assert client.wait_for_service(timeout_sec=10.0)
    answers = threading.Semaphore(0)
    futures = []
    for index in range(100):
        future = client.call_async(Query.Request(text=f"question {index}?", track=False))
        future.add_done_callback(lambda _f: answers.release())
        futures.append(future)
    answered = 0
    # Busy answers are immediate and queries take ~0.1 s: 10 s without any answer is a stall.
    while answered < 100 and answers.acquire(timeout=10.0):
        answered += 1
    assert answered == 100, f"only {answered} of 100 requests answered; the rest stalled"
    responses = [f.result() for f in futures]
    busy = [r for r in responses if not r.success and "retry later" in r.message]
    other = [r.message for r in responses if not r.success and r not in busy]
    assert other == [], other[:3]
    assert busy, "no request was refused as busy: the queue bound was never reached"
    status = live.client.wait_for_status(
        lambda s: int(s["requests_rejected_busy"]) >= len(busy), timeout_s=10
    )
    assert int(status["requests_rejected_busy"]) >= len(busy)
    live.alive_and_tracking()
