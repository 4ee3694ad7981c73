"""The diagnostics status builder: level, message and the key/values the node publishes."""

from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticStatus

from unipixel_ros.ros.input_monitor import InputSnapshot
from unipixel_ros.ros.node_status import NO_MODEL, ModelStatus, perception_status
from unipixel_ros.tracking.worker import WorkerStats

SEEN = InputSnapshot(
    frames_received=5,
    frames_rejected=1,
    rate_hz=10.0,
    seconds_since_last_frame=0.1,
    last_width=64,
    last_height=48,
    last_encoding="rgb8",
    last_error="",
)
TINY = ModelStatus(
    loaded=True,
    description="tiny model with RANDOM weights",
    backend="llm eager, sam2 image encoder eager, sam2 tracking eager",
    random_weights=True,
)


def _values(status: DiagnosticStatus) -> dict[str, str]:
    return {pair.key: pair.value for pair in status.values}


def _stats(*, frames_processed: int, frame_errors: int = 0, **lane: object) -> WorkerStats:
    fields: dict[str, object] = {
        "frames_received": 5,
        "frames_dropped": 1,
        "requests_done": 0,
        "requests_rejected": 0,
        "requests_waiting": 0,
        "running": "",
        "running_s": 0.0,
    }
    fields.update(lane)
    return WorkerStats(frames_processed=frames_processed, frame_errors=frame_errors, **fields)


def test_status_shows_both_lanes_and_the_request_the_reasoning_lane_runs() -> None:
    status = perception_status(
        name="unipixel: perception",
        model=TINY,
        seen=SEEN,
        stats=_stats(frames_processed=30, requests_done=1, requests_waiting=1),
        reasoning=_stats(
            frames_processed=0, requests_done=2, requests_waiting=3, running="ask", running_s=2.25
        ),
        frames_while_reasoning=27,
        latencies_s=[0.01],
        objects_tracked=1,
        camera_info_received=True,
    )
    values = _values(status)
    assert values["reasoning_now"] == "ask (2.2 s)"
    assert (values["tracking_requests_waiting"], values["reasoning_requests_waiting"]) == ("1", "3")
    assert (values["frames_while_reasoning"], values["requests_done"]) == ("27", "3")


def test_status_reports_the_worker_counters_including_frame_errors() -> None:
    stats = _stats(frames_processed=3, frame_errors=1, requests_done=2)
    status = perception_status(
        name="unipixel: perception",
        model=TINY,
        seen=SEEN,
        stats=stats,
        reasoning=_stats(frames_processed=0),
        frames_while_reasoning=0,
        latencies_s=[0.01, 0.02, 0.03],
        objects_tracked=4,
        camera_info_received=True,
    )
    values = _values(status)
    assert (status.level, status.message) == (DiagnosticStatus.OK, "running")
    assert status.hardware_id == "tiny model with RANDOM weights"
    assert (values["frames_processed"], values["frames_dropped"]) == ("3", "1")
    assert (values["frame_errors"], values["objects_tracked"]) == ("1", "4")
    assert (values["latency_p50_ms"], values["random_weights"]) == ("20.0", "True")


def test_status_without_a_model_warns_and_reports_zero_counters() -> None:
    status = perception_status(
        name="unipixel: perception",
        model=NO_MODEL,
        seen=SEEN,
        stats=None,
        reasoning=None,
        frames_while_reasoning=0,
        latencies_s=[],
        objects_tracked=0,
        camera_info_received=False,
    )
    values = _values(status)
    assert (status.level, status.message) == (DiagnosticStatus.WARN, "no model loaded")
    assert (values["model_loaded"], values["random_weights"], values["backend"]) == (
        "False",
        "False",
        "none",
    )
    assert (values["frames_dropped"], values["frame_errors"], values["latency_p95_ms"]) == (
        "0",
        "0",
        "0.0",
    )
