"""The backend of the tracker's per-frame tracking step (what the node's ``backend`` parameter
selects for SAM 2.1's memory attention, mask decoder and memory encoder).

With ``compile`` the whole step (`Sam2TrackingStep`) for all tracked objects is one compiled
graph per object-count bucket (1, 2, 4, 8, 16 by default: the tracker pads to the bucket and
masks the padding), with static shapes (``dynamic=False``) and ``fullgraph=True``; on CUDA with
``mode="reduce-overhead"``, so each bucket replays as a CUDA graph. Adding or removing an
object inside a bucket changes data, not shapes, and never recompiles. On CUDA every bucket is
compiled and run once at start-up (`resolve_tracking_step`), so no camera frame waits for a
compilation; on CPU (tests, development) a bucket compiles on its first use (about 15 s per
bucket for the tiny model on 2 cores). A dynamic object dim would need one compilation for all
buckets, but compiled ten times slower here (333 s against 34 s for two static buckets).

``eager`` keeps the package's ``track_step`` per memory layout (no batched step): eager masks
and logits stay exactly what they were. ``tensorrt`` has no tracking-step engine yet and uses
the compiled step (the reason says so).

NOT VERIFIED HERE: the CUDA-graph replay and every GPU timing (no GPU on the development
machine); on CPU the compiled step is checked against the eager one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.protocol import EagerBackend, InferenceBackend, PartRunner
from unipixel_ros.accel.backends.torch_compile import CompileBackend
from unipixel_ros.accel.parts.sam2.tracking_step import (
    Sam2TrackingStep,
    check_batchable,
    tracking_step_part,
)
from unipixel_ros.errors import BadInputError, ConfigError, UnipixelError
from unipixel_ros.sam import Sam2Model

__all__ = ["DEFAULT_BUCKETS", "BucketedTrackingStep", "TrackingStepChoice", "resolve_tracking_step"]

DEFAULT_BUCKETS = (1, 2, 4, 8, 16)


def buckets_up_to(max_objects: int, buckets: tuple[int, ...] = DEFAULT_BUCKETS) -> tuple[int, ...]:
    """The buckets a tracker of ``max_objects`` objects can use: those below it and the
    smallest one holding it (or the largest, then used in chunks)."""
    kept = tuple(b for b in sorted(buckets) if b < max_objects)
    holding = [b for b in sorted(buckets) if b >= max_objects]
    return (*kept, holding[0] if holding else max(buckets))


class BucketedTrackingStep:
    """One prepared `Sam2TrackingStep` runner per bucket (a `TrackingStepRunner`).

    Args:
        model: SAM 2.1 (eval mode, on its device).
        backend: what prepares each bucket (eager or compile).
        buckets: the object counts to prepare, ascending.
        warm_up: run each bucket once now (compiles it).
    """

    def __init__(
        self,
        *,
        model: Sam2Model,
        backend: InferenceBackend,
        buckets: tuple[int, ...] = DEFAULT_BUCKETS,
        warm_up: bool = True,
    ) -> None:
        if not buckets or min(buckets) < 1:
            raise ConfigError(f"tracking-step buckets must be positive, got {buckets}")
        module = Sam2TrackingStep(model=model).eval()
        self._buckets = tuple(sorted(set(buckets)))
        self._backend = backend.name
        self._runners: dict[int, PartRunner] = {}
        for bucket in self._buckets:
            # Inference tensors, as the tracker passes: a compiled graph guards on it.
            with torch.inference_mode():
                part = tracking_step_part(model, bucket=bucket, module=module)
            runner = backend.prepare(part, model.device)
            if warm_up:
                runner(*part.example_inputs)
            self._runners[bucket] = runner

    @property
    def buckets(self) -> tuple[int, ...]:
        return self._buckets

    @property
    def backend(self) -> BackendName:
        return self._backend

    def __call__(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        bucket = inputs[4].shape[0]
        runner = self._runners.get(bucket)
        if runner is None:
            raise BadInputError(f"no tracking step for {bucket} objects (buckets {self._buckets})")
        # Static strides too: the compiled graph guards on them (position encodings come
        # as strided views).
        return runner(*(x.contiguous() for x in inputs))


@dataclass(frozen=True)
class TrackingStepChoice:
    """The tracker's tracking step a backend name gives.

    Args:
        step: the bucketed step, warmed up; None for the package's eager ``track_step``.
        backend: what runs it.
        reason: one line for the log.
    """

    step: BucketedTrackingStep | None
    backend: BackendName
    reason: str


def resolve_tracking_step(
    requested: BackendName | str,
    *,
    model: Sam2Model,
    max_objects: int,
    buckets: tuple[int, ...] = DEFAULT_BUCKETS,
    warm_up: bool | None = None,
) -> TrackingStepChoice:
    """The tracking step for ``requested``: eager (the package's ``track_step``) or the
    compiled bucketed step, falling back to eager with the reason when it cannot be built.

    Only the buckets ``max_objects`` needs are prepared; with ``warm_up`` each is compiled
    here (else on its first use).

    Args:
        requested: ``eager``, ``compile`` or ``tensorrt``.
        model: SAM 2.1 (eval mode, on its device).
        max_objects: the tracker's object limit.
        buckets: the bucket sizes to choose from.
        warm_up: compile every bucket now; None: on CUDA only.

    Raises:
        ConfigError: ``requested`` names no backend.
    """
    wanted = BackendName.parse(requested)
    if wanted is BackendName.EAGER:
        return TrackingStepChoice(None, wanted, "SAM 2.1 tracking step: eager (package)")
    note = " (no TensorRT tracking-step engine: compiled instead)" * (
        wanted is BackendName.TENSORRT
    )
    backend = CompileBackend(dynamic=False, fullgraph=True)
    availability = backend.availability(model.device)
    if not availability.available:
        return TrackingStepChoice(
            None, BackendName.EAGER, f"SAM 2.1 tracking step: eager ({availability.detail})"
        )
    try:
        check_batchable(model)
        step = BucketedTrackingStep(
            model=model,
            backend=backend,
            buckets=buckets_up_to(max_objects, buckets),
            warm_up=model.device.type == "cuda" if warm_up is None else warm_up,
        )
    except (UnipixelError, RuntimeError) as err:  # a refused model, a failed compilation
        return TrackingStepChoice(
            None, BackendName.EAGER, f"SAM 2.1 tracking step: eager (compile failed: {err})"
        )
    return TrackingStepChoice(
        step,
        BackendName.COMPILE,
        f"SAM 2.1 tracking step: compiled per bucket {step.buckets} ({availability.detail}){note}",
    )


def eager_tracking_step(model: Sam2Model, buckets: tuple[int, ...]) -> BucketedTrackingStep:
    """The batched step without compilation (the reference the compiled one is checked on)."""
    return BucketedTrackingStep(model=model, backend=EagerBackend(), buckets=buckets, warm_up=False)
