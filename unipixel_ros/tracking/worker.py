"""An inference thread (a lane) that takes the latest frame and interleaves queued requests.

The node runs two: the tracking lane (frames and the short SAM-only requests) and the reasoning
lane (language requests, no frames). Concurrency model of one lane:

- The lane's thread owns what its work touches; the tracking lane's thread alone touches the
  trackers. Another thread reaches them through `run` (ahead of the queue, blocking).
- Frames: `submit_frame` puts a frame in its source's slot of one (one slot per camera) and
  never blocks. A frame still waiting when a newer one of the same source arrives is dropped
  (drop-oldest) and counted in ``frames_dropped``. Frames are never queued, so memory does not
  grow when inference is slower than the cameras: at most one frame per source waits.
- Requests (queries, add/remove object, ...): `submit` puts a callable in a bounded FIFO and
  returns a `concurrent.futures.Future`; when ``max_pending_requests`` are already waiting it
  raises `BusyError` at once (back-pressure to the caller).
- Scheduling: when both a frame and a request wait, the worker alternates (frame, request,
  frame, ...), so a request waits at most one frame and tracking resumes right after each
  request. Of the waiting frames the one that has waited longest goes first. While a long
  request runs, arriving frames overwrite each other in their slots; only the newest of each
  source is processed afterwards.
- Errors: a frame that fails is counted in ``frame_errors`` and handed to ``on_frame_error``;
  the thread keeps running.
- CUDA: with a CUDA ``device`` every item runs on the lane's own CUDA stream, so one lane's
  kernels do not queue behind the other's. `run` orders the caller's current stream after the
  work it ran (an event), so results cross lanes safely. (Written for CUDA, not yet run on a
  GPU: docs/known-limits.md.)
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from typing import Any, Generic, NamedTuple, TypeVar

import torch

from unipixel_ros.errors import BusyError, ConfigError, NotReadyError

__all__ = ["InferenceWorker", "WorkerStats"]

logger = logging.getLogger(__name__)

FrameT = TypeVar("FrameT")
ResultT = TypeVar("ResultT")
T = TypeVar("T")


class WorkerStats(NamedTuple):
    """Counters since `InferenceWorker.start`, and what the lane does now.

    A frame counts as processed once the model has run on it, before its result is delivered;
    a delivery that fails counts as a frame error as well. ``running`` names the request in
    progress ("" when none) and ``running_s`` says for how long it has run.
    """

    frames_received: int
    frames_processed: int
    frames_dropped: int
    frame_errors: int
    requests_done: int
    requests_rejected: int
    requests_waiting: int
    running: str
    running_s: float


class InferenceWorker(Generic[FrameT, ResultT]):
    """The single inference thread (see the module docstring for the model).

    Args:
        process_frame: runs on the worker thread for each frame it takes (e.g.
            ``StreamingTracker.push_frame``); None for a lane that takes no frames.
        on_result: called on the worker thread with each frame result (e.g. to publish).
        on_frame_error: called on the worker thread with a frame and the exception its
            processing or delivery raised, after it is counted (it must not raise); None logs
            the first failure.
        max_pending_requests: capacity of the request queue.
        name: thread name.
    """

    def __init__(
        self,
        *,
        process_frame: Callable[[FrameT], ResultT] | None,
        on_result: Callable[[ResultT], None] | None = None,
        on_frame_error: Callable[[FrameT, Exception], None] | None = None,
        max_pending_requests: int = 4,
        name: str = "unipixel-inference",
    ) -> None:
        if max_pending_requests < 1:
            raise ConfigError(f"max_pending_requests must be >= 1, got {max_pending_requests}")
        self._process_frame = process_frame
        self._on_result = on_result
        self._on_frame_error = on_frame_error
        self._max_pending = max_pending_requests
        self._name = name
        self._cond = threading.Condition()
        # One slot per source; insertion order is waiting order (the first waited longest).
        self._slots: dict[Hashable, FrameT] = {}
        self._requests: deque[tuple[Callable[[], Any], Future[Any], str]] = deque()
        self._running: tuple[str, float] | None = None  # (request name, start time)
        self._stream: torch.cuda.Stream | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._last_was_request = False
        self._received = self._processed = self._dropped = self._errors = 0
        self._done = self._rejected = 0
        self.last_error: BaseException | None = None

    def use_device(self, device: torch.device) -> None:
        """Run the lane's work on ``device``: on CUDA, on a stream of its own (before `start`)."""
        if self._thread is not None:
            raise NotReadyError(f"worker {self._name!r} already started; set its device first")
        self._stream = torch.cuda.Stream(device) if device.type == "cuda" else None

    def start(self) -> None:
        """Start the thread (once)."""
        with self._cond:
            if self._thread is not None:
                raise NotReadyError(f"worker {self._name!r} was already started")
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop after the item in progress; pending requests fail with `NotReadyError`."""
        with self._cond:
            self._stopping = True
            pending = list(self._requests)
            self._requests.clear()
            self._slots.clear()
            self._cond.notify_all()
        for _, future, _ in pending:
            if future.set_running_or_notify_cancel():
                future.set_exception(NotReadyError(f"worker {self._name!r} stopped"))
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> InferenceWorker[FrameT, ResultT]:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def submit_frame(self, frame: FrameT, *, source: Hashable = "") -> None:
        """Hand over the newest frame of ``source``; drops that source's frame still waiting."""
        if self._process_frame is None:
            raise ConfigError(f"worker {self._name!r} takes no frames")
        with self._cond:
            self._received += 1
            if source in self._slots:
                del self._slots[source]  # re-inserted below: it now waits from here
                self._dropped += 1
            self._slots[source] = frame
            self._cond.notify()

    def submit(self, request: Callable[[], T], *, name: str = "request") -> Future[T]:
        """Queue ``request`` to run on the worker thread; `BusyError` when the queue is full.

        Args:
            request: the work.
            name: what the diagnostics call it while it runs.
        """
        future: Future[T] = Future()
        with self._cond:
            if self._stopping:
                raise NotReadyError(f"worker {self._name!r} is stopped")
            if len(self._requests) >= self._max_pending:
                self._rejected += 1
                raise BusyError(
                    f"{len(self._requests)} requests already wait (capacity "
                    f"{self._max_pending}); retry later"
                )
            self._requests.append((request, future, name))
            self._cond.notify()
        return future

    def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the worker thread ahead of the queued requests and return its result.

        For another lane's short steps on this lane's state (a snapshot, placing new objects);
        not counted against ``max_pending_requests``. Called from the worker thread itself, it
        runs at once.

        Raises:
            NotReadyError: the worker stopped before the work ran.
            Exception: whatever ``work`` raised.
        """
        if threading.current_thread() is self._thread:
            return work()
        future: Future[tuple[T, Any]] = Future()
        stream = self._stream

        def with_event() -> tuple[T, Any]:
            result = work()
            event = None
            if stream is not None:
                event = torch.cuda.Event()
                event.record(stream)
            return result, event

        with self._cond:
            if self._stopping:
                raise NotReadyError(f"worker {self._name!r} is stopped")
            self._requests.appendleft((with_event, future, ""))
            self._cond.notify()
        result, event = future.result()
        if stream is not None:  # the caller's stream waits for the work's kernels
            torch.cuda.current_stream(stream.device).wait_event(event)
        return result

    def set_max_pending_requests(self, max_pending_requests: int) -> None:
        """Change the capacity of the request queue; requests already waiting stay queued even
        when there are more of them than the new capacity (new ones are refused until fewer
        wait)."""
        if max_pending_requests < 1:
            raise ConfigError(f"max_pending_requests must be >= 1, got {max_pending_requests}")
        with self._cond:
            self._max_pending = max_pending_requests

    def stats(self) -> WorkerStats:
        with self._cond:
            return WorkerStats(
                frames_received=self._received,
                frames_processed=self._processed,
                frames_dropped=self._dropped,
                frame_errors=self._errors,
                requests_done=self._done,
                requests_rejected=self._rejected,
                requests_waiting=len(self._requests),
                running="" if self._running is None else self._running[0],
                running_s=0.0 if self._running is None else time.monotonic() - self._running[1],
            )

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._slots and not self._requests:
                    self._cond.wait()
                if self._stopping:
                    return
                take_frame = bool(self._slots) and (not self._requests or self._last_was_request)
                if take_frame:
                    frame = self._slots.pop(next(iter(self._slots)))
                else:
                    request, future, name = self._requests.popleft()
                    if name:
                        self._running = (name, time.monotonic())
                self._last_was_request = not take_frame
            with self._on_stream():
                if take_frame:
                    self._run_frame(frame)
                else:
                    self._run_request(request, future)
                    with self._cond:
                        self._running = None

    @contextlib.contextmanager
    def _on_stream(self) -> Iterator[None]:
        if self._stream is None:
            yield
            return
        with torch.cuda.stream(self._stream):
            yield

    def _run_frame(self, frame: FrameT) -> None:
        if self._process_frame is None:
            raise ConfigError(f"worker {self._name!r} takes no frames")
        try:
            result = self._process_frame(frame)
            # Counted before delivery, so anyone who has seen the result sees the count.
            with self._cond:
                self._processed += 1
            if self._on_result is not None:
                self._on_result(result)
        except Exception as err:  # the thread must survive a bad frame; the error is kept
            with self._cond:
                self._errors += 1
                first = self._errors == 1
            self.last_error = err
            if self._on_frame_error is not None:
                self._on_frame_error(frame, err)
            elif first:
                logger.warning(
                    "frame processing failed (further failures are counted)", exc_info=err
                )

    def _run_request(self, request: Callable[[], Any], future: Future[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(request())
        except Exception as err:  # delivered to the caller through the future
            future.set_exception(err)
        with self._cond:
            self._done += 1
