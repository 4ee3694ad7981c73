"""The node's /diagnostics status: level, message and key/values from its counters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

from unipixel_ros.ros.input_monitor import STALE_AFTER_S, InputSnapshot
from unipixel_ros.tracking.worker import WorkerStats

__all__ = ["NO_MODEL", "ModelStatus", "perception_status"]


@dataclass(frozen=True, kw_only=True)
class ModelStatus:
    """What the diagnostics say about the model.

    Args:
        loaded: whether a model is loaded.
        description: the model in a few words (the status' ``hardware_id``).
        backend: the backend of each part.
        random_weights: True for the tiny model with random weights (answers mean nothing).
    """

    loaded: bool
    description: str
    backend: str
    random_weights: bool


NO_MODEL = ModelStatus(loaded=False, description="none", backend="none", random_weights=False)


def perception_status(
    *,
    name: str,
    model: ModelStatus,
    seen: InputSnapshot,
    stats: WorkerStats | None,
    reasoning: WorkerStats | None,
    frames_while_reasoning: int,
    latencies_s: Sequence[float],
    objects_tracked: int,
    camera_info_received: bool,
) -> DiagnosticStatus:
    """The status ``name`` (e.g. ``unipixel: perception``).

    Args:
        name: status name.
        model: the loaded model, or `NO_MODEL`.
        seen: the input counters.
        stats: the tracking lane's counters; None without a model.
        reasoning: the reasoning lane's counters; None without a model.
        frames_while_reasoning: frames the tracking lane processed while a language request
            ran on the reasoning lane.
        latencies_s: image received to outputs published of recent frames, seconds.
        objects_tracked: objects in the latest frame, summed over cameras.
        camera_info_received: whether every camera has delivered its camera_info.
    """
    lanes = [s for s in (stats, reasoning) if s is not None]
    latencies = np.array(latencies_s, dtype=np.float64) * 1000.0
    p50, p95 = np.percentile(latencies, [50, 95]) if latencies.size else (0.0, 0.0)
    status = DiagnosticStatus(name=name)
    status.hardware_id = model.description
    if not model.loaded:
        status.level, status.message = DiagnosticStatus.WARN, "no model loaded"
    elif seen.frames_received == 0:
        status.level, status.message = DiagnosticStatus.WARN, "waiting for images"
    elif seen.rate_hz == 0.0 and seen.seconds_since_last_frame > STALE_AFTER_S:
        status.level = DiagnosticStatus.WARN
        status.message = f"no image for {seen.seconds_since_last_frame:.0f} s"
    else:
        status.level, status.message = DiagnosticStatus.OK, "running"
    pairs = {
        "frames_received": seen.frames_received,
        "frames_rejected": seen.frames_rejected,
        "frames_processed": stats.frames_processed if stats else 0,
        "frames_dropped": stats.frames_dropped if stats else 0,
        "frame_errors": stats.frame_errors if stats else 0,
        "input_rate_hz": f"{seen.rate_hz:.2f}",
        "seconds_since_last_frame": f"{seen.seconds_since_last_frame:.1f}",
        "latency_p50_ms": f"{p50:.1f}",
        "latency_p95_ms": f"{p95:.1f}",
        "objects_tracked": objects_tracked,
        "requests_done": sum(s.requests_done for s in lanes),
        "requests_rejected_busy": sum(s.requests_rejected for s in lanes),
        "tracking_requests_waiting": stats.requests_waiting if stats else 0,
        "reasoning_requests_waiting": reasoning.requests_waiting if reasoning else 0,
        "reasoning_now": _running(reasoning),
        "frames_while_reasoning": frames_while_reasoning,
        "last_size": f"{seen.last_width}x{seen.last_height}",
        "last_encoding": seen.last_encoding,
        "last_error": seen.last_error,
        "camera_info_received": camera_info_received,
        "backend": model.backend,
        "model_loaded": model.loaded,
        "random_weights": model.random_weights,
    }
    status.values = [KeyValue(key=k, value=str(v)) for k, v in pairs.items()]
    return status


def _running(lane: WorkerStats | None) -> str:
    if lane is None or not lane.running:
        return "idle"
    return f"{lane.running} ({lane.running_s:.1f} s)"
