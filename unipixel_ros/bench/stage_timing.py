"""Wall-clock timing of one pipeline stage: warm-up, CUDA synchronisation, median of repeats.

Used by ``unipixel-ros bench``. GPU work is asynchronous, so every timed call is bracketed by
``torch.cuda.synchronize`` on CUDA devices; the first calls (allocator growth, lazy kernel
selection, ``torch.compile`` tracing) are run as warm-up and not timed.
"""

from __future__ import annotations

import enum
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from unipixel_ros.errors import ConfigError

__all__ = [
    "StageResult",
    "StageTimer",
    "StageUnit",
    "Timing",
    "synchronize",
    "time_call",
    "time_pair",
]


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work on ``device`` (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass(frozen=True)
class Timing:
    """Repeated measurements of one call.

    Args:
        samples_ms: every timed repeat, in milliseconds, in the order they ran.
    """

    samples_ms: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.samples_ms:
            raise ConfigError("a Timing needs at least one sample")

    @property
    def median_ms(self) -> float:
        return float(statistics.median(self.samples_ms))

    @property
    def min_ms(self) -> float:
        return min(self.samples_ms)


def time_call(
    call: Callable[[], object],
    *,
    device: torch.device,
    repeats: int,
    warmup: int = 1,
    setup: Callable[[], object] | None = None,
) -> Timing:
    """Time ``call()`` ``repeats`` times after ``warmup`` untimed calls.

    Args:
        call: the work to time; its result is dropped.
        device: synchronised before and after every timed call when it is a CUDA device.
        repeats: timed calls (>= 1).
        warmup: untimed calls first (>= 0).
        setup: run before every call (warm-up and timed), outside the timed region, e.g. to
            reset a state the call consumes.

    Raises:
        ConfigError: ``repeats`` < 1 or ``warmup`` < 0.
    """
    if repeats < 1 or warmup < 0:
        raise ConfigError(f"need repeats >= 1 and warmup >= 0, got {repeats} and {warmup}")
    samples = []
    for index in range(warmup + repeats):
        if setup is not None:
            setup()
        synchronize(device)
        start = time.perf_counter()
        call()
        synchronize(device)
        if index >= warmup:
            samples.append(1000.0 * (time.perf_counter() - start))
    return Timing(tuple(samples))


def time_pair(
    ours: Callable[[], object],
    reference: Callable[[], object],
    *,
    device: torch.device,
    repeats: int,
    warmup: int = 1,
    reference_setup: Callable[[], object] | None = None,
) -> tuple[Timing, Timing]:
    """Time two paths interleaved (ours, reference, reference, ours, ...), so that both see
    the same machine load; on a shared machine this keeps their ratio meaningful.

    Args:
        ours: our path.
        reference: the reference path.
        device: synchronised around every timed call on CUDA.
        repeats: timed calls of each path (>= 1).
        warmup: untimed calls of each path first (>= 0).
        reference_setup: run before every reference call, outside the timed region.

    Returns:
        The timings of ``ours`` and of ``reference``.
    """
    if repeats < 1 or warmup < 0:
        raise ConfigError(f"need repeats >= 1 and warmup >= 0, got {repeats} and {warmup}")
    ours_ms: list[float] = []
    reference_ms: list[float] = []
    for index in range(warmup + repeats):
        order = ((ours, None, ours_ms), (reference, reference_setup, reference_ms))
        for call, setup, samples in order if index % 2 == 0 else order[::-1]:
            sample = time_call(call, device=device, repeats=1, warmup=0, setup=setup)
            if index >= warmup:
                samples.append(sample.samples_ms[0])
    return Timing(tuple(ours_ms)), Timing(tuple(reference_ms))


class StageUnit(enum.Enum):
    """What a stage's numbers measure."""

    MILLISECONDS = "ms"
    TOKENS_PER_SECOND = "tok/s"


@dataclass(frozen=True, kw_only=True)
class StageResult:
    """One row of the benchmark: our path and, where one exists, the reference path.

    Args:
        name: stable identifier, e.g. ``"sam2_image_encoder"``.
        ours: median of our path (``unit``).
        reference: median of the reference path, or ``None`` where there is none.
        unit: milliseconds (lower is better) or tokens per second (higher is better).
        detail: what was timed, in a few words (shapes, object count).
    """

    name: str
    ours: float
    reference: float | None
    unit: StageUnit
    detail: str

    @property
    def speedup(self) -> float | None:
        """How many times faster ours is than the reference (> 1: ours is faster)."""
        if self.reference is None or self.ours <= 0 or self.reference <= 0:
            return None
        if self.unit is StageUnit.TOKENS_PER_SECOND:
            return self.ours / self.reference
        return self.reference / self.ours

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ours": self.ours,
            "reference": self.reference,
            "unit": self.unit.value,
            "speedup": self.speedup,
            "detail": self.detail,
        }


@dataclass(frozen=True, kw_only=True)
class StageTimer:
    """Times every stage of ``unipixel-ros bench`` the same way: under ``torch.inference_mode``,
    median of ``repeats`` timed calls after ``warmup`` untimed ones, synchronised on CUDA.

    Args:
        device: where the timed work runs.
        repeats: timed calls per path (>= 1).
        warmup: untimed calls per path first (>= 0).
    """

    device: torch.device
    repeats: int
    warmup: int

    def median_ms(self, call: Callable[[], object]) -> float:
        """Median milliseconds of ``call()`` (see :func:`time_call`)."""
        with torch.inference_mode():
            timing = time_call(call, device=self.device, repeats=self.repeats, warmup=self.warmup)
        return timing.median_ms

    def pair_ms(
        self,
        ours: Callable[[], object],
        reference: Callable[[], object],
        reference_setup: Callable[[], object] | None = None,
    ) -> tuple[float, float]:
        """Medians of both paths in milliseconds, timed interleaved (see :func:`time_pair`)."""
        with torch.inference_mode():
            timings = time_pair(
                ours,
                reference,
                device=self.device,
                repeats=self.repeats,
                warmup=self.warmup,
                reference_setup=reference_setup,
            )
        return timings[0].median_ms, timings[1].median_ms

    def stage(
        self,
        name: str,
        ours: Callable[[], object],
        *,
        detail: str,
        reference: Callable[[], object] | None = None,
        reference_setup: Callable[[], object] | None = None,
    ) -> StageResult:
        """One row in milliseconds: ``ours`` alone, or next to ``reference`` timed interleaved.

        Args:
            name: the row's name.
            ours: our path.
            detail: what was timed, in a few words.
            reference: the reference path, if there is one.
            reference_setup: run before every reference call, outside the timed region.
        """
        if reference is None:
            ours_ms, reference_ms = self.median_ms(ours), None
        else:
            ours_ms, reference_ms = self.pair_ms(ours, reference, reference_setup)
        return StageResult(
            name=name,
            ours=ours_ms,
            reference=reference_ms,
            unit=StageUnit.MILLISECONDS,
            detail=detail,
        )
