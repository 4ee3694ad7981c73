"""Inference backends (eager, torch.compile, TensorRT) and the fallback that picks one."""

from __future__ import annotations

from unipixel_ros.accel.backends.fallback import (
    FALLBACK_ORDER,
    BackendChoice,
    PreparedPart,
    make_backends,
    prepare_with_fallback,
    resolve_backend,
)
from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.protocol import (
    Availability,
    EagerBackend,
    InferenceBackend,
    InferenceModeRunner,
    PartRunner,
)
from unipixel_ros.accel.backends.tensorrt import TensorRTBackend
from unipixel_ros.accel.backends.torch_compile import CompileBackend

__all__ = [
    "FALLBACK_ORDER",
    "Availability",
    "BackendChoice",
    "BackendName",
    "CompileBackend",
    "EagerBackend",
    "InferenceBackend",
    "InferenceModeRunner",
    "PartRunner",
    "PreparedPart",
    "TensorRTBackend",
    "make_backends",
    "prepare_with_fallback",
    "resolve_backend",
]
