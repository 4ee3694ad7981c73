from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from unipixel_ros.errors import BusyError, ConfigError, NotReadyError
from unipixel_ros.tracking import InferenceWorker

WAIT = 10.0  # seconds; only reached when the worker is broken


class _Recorder:
    """A frame processor that records what ran, in order, on the worker thread."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.frame_done = threading.Semaphore(0)

    def process(self, frame: int) -> int:
        self.log.append(f"frame {frame}")
        self.frame_done.release()
        return frame


def _blocking_request(recorder: _Recorder, name: str, gate: threading.Event, started=None):
    def run() -> str:
        if started is not None:
            started.set()
        assert gate.wait(WAIT)
        recorder.log.append(name)
        return name

    return run


def _hold(worker: InferenceWorker, recorder: _Recorder, name: str, gate: threading.Event) -> Future:
    """Submit a request ``name`` that waits for ``gate``, and return once it runs."""
    started = threading.Event()
    future = worker.submit(_blocking_request(recorder, name, gate, started))
    assert started.wait(WAIT)
    return future


def _occupy(worker: InferenceWorker, recorder: _Recorder, gate: threading.Event) -> list[Future]:
    """Hold the worker in a request named "running" and queue "q0" and "q1" behind it; all wait
    for ``gate``."""
    _hold(worker, recorder, "running", gate)
    return [worker.submit(_blocking_request(recorder, f"q{i}", gate)) for i in range(2)]


def test_worker_drops_frames_that_arrive_during_a_request_and_counts_them():
    recorder = _Recorder()
    gate = threading.Event()
    with InferenceWorker(process_frame=recorder.process) as worker:
        future = _hold(worker, recorder, "query", gate)
        for frame in range(5):
            worker.submit_frame(frame)
        gate.set()
        assert future.result(WAIT) == "query"
        assert recorder.frame_done.acquire(timeout=WAIT)
        stats = worker.stats()
    assert recorder.log == ["query", "frame 4"]
    assert (stats.frames_received, stats.frames_dropped, stats.frames_processed) == (5, 4, 1)


def test_worker_rejects_requests_beyond_its_queue_with_busy_error():
    recorder, gate = _Recorder(), threading.Event()
    with InferenceWorker(process_frame=recorder.process, max_pending_requests=2) as worker:
        queued = _occupy(worker, recorder, gate)
        with pytest.raises(BusyError, match=r"2 requests already wait \(capacity 2\)"):
            worker.submit(lambda: "too many")
        gate.set()
        assert [f.result(WAIT) for f in queued] == ["q0", "q1"]
        assert worker.stats().requests_rejected == 1


def test_worker_interleaves_requests_with_frames():
    recorder = _Recorder()
    gate = threading.Event()
    open_gate = threading.Event()
    open_gate.set()
    with InferenceWorker(process_frame=recorder.process, max_pending_requests=4) as worker:
        _hold(worker, recorder, "r0", gate)
        later = [worker.submit(_blocking_request(recorder, f"r{i}", open_gate)) for i in (1, 2)]
        worker.submit_frame(7)
        gate.set()
        for future in later:
            future.result(WAIT)
        assert recorder.frame_done.acquire(timeout=WAIT)
    assert recorder.log == ["r0", "frame 7", "r1", "r2"]


def test_request_errors_reach_the_caller_and_the_worker_keeps_running():
    recorder = _Recorder()
    with InferenceWorker(process_frame=recorder.process) as worker:

        def fail() -> None:
            raise ValueError("bad query")

        with pytest.raises(ValueError, match="bad query"):
            worker.submit(fail).result(WAIT)
        worker.submit_frame(1)
        assert recorder.frame_done.acquire(timeout=WAIT)


def test_frame_errors_are_counted_and_kept():
    def broken(frame: int) -> int:
        raise ValueError(f"cannot decode frame {frame}")

    done = threading.Event()
    with InferenceWorker(process_frame=broken) as worker:
        worker.submit_frame(3)
        # Frames and requests alternate, so the frame has run once two requests have.
        worker.submit(done.set)
        worker.submit(done.set).result(WAIT)
        stats = worker.stats()
    assert stats.frame_errors == 1 and stats.frames_processed == 0
    assert "cannot decode frame 3" in str(worker.last_error)


def test_a_delivered_result_is_already_counted_as_processed():
    seen: list[int] = []
    delivered = threading.Event()

    def deliver(_result: int) -> None:
        seen.append(worker.stats().frames_processed)
        delivered.set()

    worker: InferenceWorker[int, int] = InferenceWorker(
        process_frame=lambda frame: frame, on_result=deliver
    )
    with worker:
        worker.submit_frame(1)
        assert delivered.wait(WAIT)
    assert seen == [1]


def test_stopping_fails_pending_requests():
    recorder = _Recorder()
    gate = threading.Event()
    worker = InferenceWorker(process_frame=recorder.process)
    worker.start()
    _hold(worker, recorder, "running", gate)
    pending = worker.submit(lambda: "never")
    stopper = threading.Thread(target=worker.stop)
    stopper.start()
    with pytest.raises(NotReadyError, match="stopped"):
        pending.result(WAIT)
    gate.set()
    stopper.join(WAIT)
    with pytest.raises(NotReadyError, match="is stopped"):
        worker.submit(lambda: None)


def test_each_source_keeps_its_own_newest_frame_and_only_replaced_frames_count_as_dropped():
    recorder = _Recorder()
    gate = threading.Event()
    with InferenceWorker(process_frame=recorder.process) as worker:
        future = _hold(worker, recorder, "query", gate)
        worker.submit_frame(1, source="left")
        worker.submit_frame(2, source="right")
        worker.submit_frame(3, source="left")
        gate.set()
        assert future.result(WAIT) == "query"
        assert recorder.frame_done.acquire(timeout=WAIT)
        assert recorder.frame_done.acquire(timeout=WAIT)
    stats = worker.stats()  # after stop joined the thread: the last frame is counted
    # "right" has waited longest once "left" was replaced.
    assert recorder.log == ["query", "frame 2", "frame 3"]
    assert (stats.frames_received, stats.frames_dropped, stats.frames_processed) == (3, 1, 2)


def test_a_frame_error_is_counted_and_handed_to_the_error_hook_with_its_frame():
    failures: list[tuple[int, str]] = []
    reported = threading.Event()

    def broken(frame: int) -> int:
        raise ValueError(f"cannot decode frame {frame}")

    def on_error(frame: int, err: Exception) -> None:
        failures.append((frame, str(err)))
        reported.set()

    with InferenceWorker(process_frame=broken, on_frame_error=on_error) as worker:
        worker.submit_frame(5)
        assert reported.wait(WAIT)
        stats = worker.stats()
    assert failures == [(5, "cannot decode frame 5")]
    assert stats.frame_errors == 1 and stats.frames_processed == 0


def test_a_changed_queue_capacity_applies_to_the_next_requests_and_keeps_the_waiting_ones():
    recorder, gate = _Recorder(), threading.Event()
    with InferenceWorker(process_frame=recorder.process, max_pending_requests=3) as worker:
        queued = _occupy(worker, recorder, gate)
        worker.set_max_pending_requests(1)
        with pytest.raises(BusyError, match=r"2 requests already wait \(capacity 1\)"):
            worker.submit(_blocking_request(recorder, "refused", gate))
        worker.set_max_pending_requests(3)
        queued.append(worker.submit(_blocking_request(recorder, "q2", gate)))
        with pytest.raises(ConfigError, match="max_pending_requests must be >= 1, got 0"):
            worker.set_max_pending_requests(0)
        gate.set()
        assert [f.result(WAIT) for f in queued] == ["q0", "q1", "q2"]
    assert recorder.log == ["running", "q0", "q1", "q2"]
