"""Choosing a backend: the fallback order, and the one mapping from name to backend.

The node picks a backend by name; :func:`resolve_backend` falls back along
``tensorrt -> compile -> eager`` when the chosen one cannot run here and returns one line that
says what was chosen and why, for the node to log once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.protocol import EagerBackend, InferenceBackend, PartRunner
from unipixel_ros.accel.backends.tensorrt import TensorRTBackend
from unipixel_ros.accel.backends.torch_compile import CompileBackend
from unipixel_ros.accel.engines.cache import EngineCache
from unipixel_ros.accel.engines.key import Precision
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.errors import ConfigError, EngineError

__all__ = [
    "FALLBACK_ORDER",
    "BackendChoice",
    "PreparedPart",
    "make_backends",
    "prepare_with_fallback",
    "resolve_backend",
]

FALLBACK_ORDER: tuple[BackendName, ...] = (
    BackendName.TENSORRT,
    BackendName.COMPILE,
    BackendName.EAGER,
)
"""Where :func:`resolve_backend` looks next when a backend is unavailable."""


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
