"""Progress display for engine builds, which take minutes on a Jetson.

Two forms, both tqdm bars that show the elapsed time:

- :class:`PhaseProgress` follows the phases TensorRT reports through ``IProgressMonitor``
  (TensorRT >= 10.0): one bar per phase, nested by parent phase.
- :class:`ElapsedSpinner` is a bar without a total, refreshed from a thread, for builds that
  report nothing (older TensorRT, torch-tensorrt compilation).

Neither imports TensorRT; the adapter that subclasses ``tensorrt.IProgressMonitor`` lives in
``trt_builder`` and forwards to :class:`PhaseProgress`.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import IO

from tqdm import tqdm

__all__ = ["ElapsedSpinner", "PhaseProgress"]


class PhaseProgress:
    """Nested tqdm bars for the phases of one build.

    TensorRT calls these methods from its own threads; a lock keeps the bars consistent.

    Args:
        title: shown before the top-level phase names, e.g. the part being built.
        stream: where the bars are written (``None``: stderr).
        enabled: ``False`` records phases without drawing (for logs-only runs).
    """

    def __init__(self, *, title: str, stream: IO[str] | None = None, enabled: bool = True) -> None:
        self._title = title
        self._stream = stream
        self._enabled = enabled
        self._bars: dict[str, tqdm] = {}
        self._depth: dict[str, int] = {}
        self._lock = threading.Lock()
        self.finished_phases: list[str] = []

    def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
        with self._lock:
            depth = self._depth.get(parent_phase, -1) + 1 if parent_phase else 0
            self._depth[phase_name] = depth
            label = f"{self._title}: {phase_name}" if depth == 0 else "  " * depth + phase_name
            self._bars[phase_name] = tqdm(
                total=num_steps,
                desc=label,
                position=depth,
                leave=depth == 0,
                file=self._stream,
                disable=not self._enabled,
                bar_format="{desc}: {n_fmt}/{total_fmt} [{elapsed}]",
            )

    def step_complete(self, phase_name: str, step: int) -> bool:
        """Record a finished step; returns ``True`` (never asks TensorRT to cancel)."""
        with self._lock:
            bar = self._bars.get(phase_name)
            if bar is not None:
                bar.n = step + 1
                bar.refresh()
        return True

    def phase_finish(self, phase_name: str) -> None:
        with self._lock:
            bar = self._bars.pop(phase_name, None)
            self._depth.pop(phase_name, None)
            if bar is not None:
                bar.close()
            self.finished_phases.append(phase_name)

    def close(self) -> None:
        """Close bars left open (a build that failed mid-phase)."""
        with self._lock:
            for bar in self._bars.values():
                bar.close()
            self._bars.clear()
            self._depth.clear()


class ElapsedSpinner:
    """A context manager that shows ``<title> [elapsed]`` until the block ends.

    Args:
        title: what is running, e.g. ``"building sam2_image_encoder (fp16)"``.
        stream: where the bar is written (``None``: stderr).
        refresh_seconds: how often the elapsed time is redrawn.
        enabled: ``False`` draws nothing.
    """

    def __init__(
        self,
        *,
        title: str,
        stream: IO[str] | None = None,
        refresh_seconds: float = 0.5,
        enabled: bool = True,
    ) -> None:
        self._title = title
        self._stream = stream
        self._refresh_seconds = refresh_seconds
        self._enabled = enabled
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: tqdm | None = None
        self._started: float | None = None
        self._stopped: float | None = None

    def __enter__(self) -> ElapsedSpinner:
        self._started = time.monotonic()
        self._bar = tqdm(
            desc=self._title,
            total=None,
            file=self._stream,
            disable=not self._enabled,
            bar_format="{desc} [{elapsed}]",
        )
        self._thread = threading.Thread(
            target=self._spin, name="engine-build-progress", daemon=True
        )
        self._thread.start()
        return self

    def _spin(self) -> None:
        while not self._stop.wait(self._refresh_seconds):
            if self._bar is not None:
                self._bar.refresh()

    @property
    def elapsed_seconds(self) -> float:
        """Seconds the block has run (so far, or in total once it ended)."""
        if self._started is None:
            return 0.0
        end = time.monotonic() if self._stopped is None else self._stopped
        return end - self._started

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopped = time.monotonic()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.refresh()
            self._bar.close()
