"""Swappable inference backends (eager, torch.compile, TensorRT) and the fallback resolver.

A backend turns an :class:`AcceleratedPart` into a callable with the same tensor contract.
The node picks one by name; :func:`resolve_backend` falls back along
``tensorrt -> compile -> eager`` when the chosen one cannot run here and returns one line that
says what was chosen and why, for the node to log once.
"""

from __future__ import annotations

import enum
import importlib.util
import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch

from unipixel_ros.accel.engines.cache import EngineCache
from unipixel_ros.accel.engines.key import Precision
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.errors import ConfigError, EngineError

__all__ = [
    "FALLBACK_ORDER",
    "Availability",
    "BackendChoice",
    "BackendName",
    "CompileBackend",
    "EagerBackend",
    "InferenceBackend",
    "PartRunner",
    "PreparedPart",
    "make_backends",
    "prepare_with_fallback",
    "resolve_backend",
]

_LOG = logging.getLogger(__name__)

PartRunner = Callable[..., tuple[torch.Tensor, ...]]
"""A prepared part: takes the part's inputs positionally, returns its outputs as a tuple."""


class BackendName(enum.Enum):
    """The backends a node parameter can name."""

    EAGER = "eager"
    COMPILE = "compile"
    TENSORRT = "tensorrt"

    @classmethod
    def parse(cls, requested: BackendName | str) -> BackendName:
        """``requested`` as a name, e.g. straight from a node parameter.

        Raises:
            ConfigError: it names no backend.
        """
        try:
            return cls(requested)
        except ValueError as err:
            choices = [name.value for name in cls]
            raise ConfigError(f"unknown backend {requested!r}; expected one of {choices}") from err


FALLBACK_ORDER: tuple[BackendName, ...] = (
    BackendName.TENSORRT,
    BackendName.COMPILE,
    BackendName.EAGER,
)
"""Where :func:`resolve_backend` looks next when a backend is unavailable."""


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run on a device, and a short human-readable detail either way."""

    available: bool
    detail: str


@runtime_checkable
class InferenceBackend(Protocol):
    """What every backend provides."""

    @property
    def name(self) -> BackendName: ...

    def availability(self, device: torch.device) -> Availability:
        """Cheap check (no compilation) of whether this backend can run on ``device``."""
        ...

    def prepare(self, part: AcceleratedPart, device: torch.device) -> PartRunner:
        """A callable with ``part``'s tensor contract, running on ``device``.

        The module must already be on ``device`` in its inference dtype.
        """
        ...


class EagerBackend:
    """Plain PyTorch. Always available; the reference every other backend is tested against."""

    @property
    def name(self) -> BackendName:
        return BackendName.EAGER

    def availability(self, device: torch.device) -> Availability:
        return Availability(True, f"PyTorch eager on {device}")

    def prepare(self, part: AcceleratedPart, device: torch.device) -> PartRunner:
        part.module.eval()
        return _InferenceModeRunner(part.module)


class CompileBackend:
    """``torch.compile`` (TorchInductor).

    On CUDA, parts flagged ``cuda_graphs`` (the tracker step, the LLM decode step) compile with
    ``mode="reduce-overhead"``, which records CUDA graphs and replays them, removing the
    per-kernel launch cost that dominates these small-batch steps. A CUDA-graph replay writes
    its outputs into the same memory every time, so the runner clones them before returning.
    Other parts, and every part on CPU, use the default mode.

    Args:
        dynamic: passed to ``torch.compile``; ``None`` lets it detect dynamic dims after a
            recompile, ``False`` specialises on every new shape.
        fullgraph: fail instead of splitting the graph at unsupported Python (use in tests to
            prove a part compiles whole).
    """

    def __init__(self, *, dynamic: bool | None = None, fullgraph: bool = False) -> None:
        self._dynamic = dynamic
        self._fullgraph = fullgraph

    @property
    def name(self) -> BackendName:
        return BackendName.COMPILE

    def availability(self, device: torch.device) -> Availability:
        import torch._dynamo

        if not torch._dynamo.is_dynamo_supported():
            return Availability(False, "torch.compile is not supported on this Python/platform")
        if device.type == "cuda":
            if importlib.util.find_spec("triton") is None:
                return Availability(False, "torch.compile on CUDA needs triton, not installed")
            return Availability(True, f"torch.compile with CUDA graphs for step parts on {device}")
        if device.type == "cpu":
            compiler = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
            if compiler is None:
                return Availability(False, "torch.compile on CPU needs a C++ compiler, none found")
            return Availability(True, f"torch.compile (inductor C++ kernels via {compiler}) on cpu")
        return Availability(False, f"torch.compile is not set up for device type {device.type}")

    def mode_for(self, part: AcceleratedPart, device: torch.device) -> str:
        """The ``torch.compile`` mode used for ``part`` on ``device``."""
        return "reduce-overhead" if part.cuda_graphs and device.type == "cuda" else "default"

    def prepare(self, part: AcceleratedPart, device: torch.device) -> PartRunner:
        part.module.eval()
        mode = self.mode_for(part, device)
        compiled = torch.compile(
            part.module, mode=mode, dynamic=self._dynamic, fullgraph=self._fullgraph
        )
        _LOG.debug("compiled %s with mode=%s", part.name, mode)
        if mode == "reduce-overhead":
            return _CudaGraphRunner(compiled)
        return _InferenceModeRunner(compiled)


class _InferenceModeRunner:
    def __init__(self, module: Callable[..., tuple[torch.Tensor, ...]]) -> None:
        self._module = module

    def __call__(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with torch.inference_mode():
            return tuple(self._module(*inputs))


class _CudaGraphRunner:
    """Marks each call as a new CUDA-graph step and copies outputs out of the graph's pool."""

    def __init__(self, module: Callable[..., tuple[torch.Tensor, ...]]) -> None:
        self._module = module

    def __call__(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with torch.inference_mode():
            torch.compiler.cudagraph_mark_step_begin()
            return tuple(output.clone() for output in self._module(*inputs))


@dataclass(frozen=True)
class BackendChoice:
    """Result of :func:`resolve_backend`.

    Args:
        requested: the backend the caller asked for.
        backend: the backend to use, the requested one or a fallback.
        reason: one line for the log: what runs, and why when it is not the requested one.
    """

    requested: BackendName
    backend: InferenceBackend
    reason: str

    @property
    def fell_back(self) -> bool:
        return self.backend.name is not self.requested


def resolve_backend(
    requested: BackendName | str,
    *,
    device: torch.device,
    backends: Mapping[BackendName, InferenceBackend],
) -> BackendChoice:
    """Pick ``requested`` if it can run on ``device``, else the next in :data:`FALLBACK_ORDER`.

    Args:
        requested: a :class:`BackendName` or its value (``"eager"``, ``"compile"``,
            ``"tensorrt"``), e.g. straight from a node parameter.
        device: where the parts will run.
        backends: the one mapping from name to backend; must contain ``EAGER``.

    Raises:
        ConfigError: ``requested`` names no backend, or ``backends`` lacks ``EAGER`` or maps
            a name to a backend of another name.
    """
    wanted = BackendName.parse(requested)
    if BackendName.EAGER not in backends:
        raise ConfigError("the backend mapping must contain 'eager', the last fallback")
    for name, mapped in backends.items():
        if mapped.name is not name:
            raise ConfigError(f"backend mapping: {name.value!r} maps to a {mapped.name.value!r}")
    refusals: list[str] = []
    for name in FALLBACK_ORDER[FALLBACK_ORDER.index(wanted) :]:
        backend = backends.get(name)
        if backend is None:
            refusals.append(f"{name.value}: not configured")
            continue
        availability = backend.availability(device)
        if not availability.available:
            refusals.append(f"{name.value}: {availability.detail}")
            continue
        if not refusals:
            reason = f"backend {name.value}: {availability.detail}"
        else:
            reason = (
                f"backend {name.value} (requested {wanted.value}, unavailable: "
                f"{'; '.join(refusals)}): {availability.detail}"
            )
        return BackendChoice(wanted, backend, reason)
    raise ConfigError(f"no backend can run on {device}: {'; '.join(refusals)}")


@dataclass(frozen=True)
class PreparedPart:
    """Result of :func:`prepare_with_fallback`.

    Args:
        runner: the part, ready to call.
        backend: the backend that prepared it.
        reason: one line for the log: what runs, and why when it is not the requested one.
    """

    runner: PartRunner
    backend: BackendName
    reason: str


def prepare_with_fallback(
    part: AcceleratedPart,
    *,
    requested: BackendName | str,
    device: torch.device,
    backends: Mapping[BackendName, InferenceBackend],
) -> PreparedPart:
    """Prepare ``part`` on the requested backend, falling back when it is unavailable *or*
    fails to prepare (an engine that cannot be built or loaded, a refused export).

    Raises:
        ConfigError: as :func:`resolve_backend`.
        EngineError: even eager failed to prepare (never expected).
    """
    choice = resolve_backend(requested, device=device, backends=backends)
    failures: list[str] = []
    order = FALLBACK_ORDER[FALLBACK_ORDER.index(choice.backend.name) :]
    for name in order:
        backend = backends.get(name)
        if backend is None or not backend.availability(device).available:
            continue
        try:
            runner = backend.prepare(part, device)
        except EngineError as err:
            failures.append(f"{name.value} failed for {part.name}: {err}")
            continue
        if not failures:
            return PreparedPart(runner, name, choice.reason)
        return PreparedPart(
            runner, name, f"{choice.reason}; then {'; '.join(failures)}; using {name.value}"
        )
    raise EngineError(f"no backend could prepare {part.name}: {'; '.join(failures)}")


def make_backends(
    *,
    engine_cache: EngineCache | None = None,
    precision: Precision = Precision.FP16,
    allow_engine_build: bool = True,
    force_engine_rebuild: bool = False,
) -> dict[BackendName, InferenceBackend]:
    """The one mapping from backend name to backend, as the node and the CLI use it.

    Args:
        engine_cache: where TensorRT engines live (default ``engines/`` at the repo root).
        precision: TensorRT engine precision.
        allow_engine_build: build missing or stale engines at start-up.
        force_engine_rebuild: rebuild engines even when valid ones are cached.
    """
    from unipixel_ros.accel.backends.tensorrt import TensorRTBackend

    return {
        BackendName.EAGER: EagerBackend(),
        BackendName.COMPILE: CompileBackend(),
        BackendName.TENSORRT: TensorRTBackend(
            cache=engine_cache or EngineCache(),
            precision=precision,
            allow_build=allow_engine_build,
            force_rebuild=force_engine_rebuild,
        ),
    }
