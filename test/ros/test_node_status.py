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


def test_status_reports_the_worker_counters_including_frame_errors() -> None:
    stats = WorkerStats(
        frames_received=5,
        frames_processed=3,
        frames_dropped=1,
        frame_errors=1,
        requests_done=2,
        requests_rejected=0,
    )
    status = perception_status(
        name="unipixel: perception",
        model=TINY,
        seen=SEEN,
        stats=stats,
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
