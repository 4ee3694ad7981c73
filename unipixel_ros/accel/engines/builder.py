"""Build TensorRT engines from ONNX files into the engine cache.

NOT VERIFIED ON THIS MACHINE: TensorRT cannot be installed where this project is developed and
tested. The code follows the TensorRT 10 Python API: ``Builder``, ``OnnxParser``,
``IBuilderConfig.set_memory_pool_limit``, ``BuilderFlag.FP16 / BF16 / INT8``, one optimisation
profile for the dynamic dims, a timing cache read from and written back to the cache directory,
``IProgressMonitor`` for progress, and ``IInt8EntropyCalibrator2`` for INT8 (deprecated by
NVIDIA since TensorRT 10.1 in favour of explicit quantisation, still supported in 10.x).
What is proved here is everything around it: the ONNX graphs (onnxruntime parity tests), the
cache and sidecar logic, the key, the calibration set and the progress display.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import torch

from unipixel_ros.accel.engines.cache import EngineCache
from unipixel_ros.accel.engines.calibration import CalibrationSet
from unipixel_ros.accel.engines.key import (
    DeviceIdentity,
    EngineKey,
    Precision,
    ShapeProfile,
    hash_model_files,
)
from unipixel_ros.accel.engines.progress import ElapsedSpinner, PhaseProgress
from unipixel_ros.accel.engines.runtime import import_tensorrt
from unipixel_ros.errors import ConfigError, EngineError

__all__ = ["TrtBuildSettings", "build_cached_engine", "build_engine", "engine_key_for"]

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class TrtBuildSettings:
    """How to build; none of these change what the engine computes, so none is in the key.

    Args:
        workspace_bytes: cap on the scratch memory TensorRT may use while building and
            running (``MemoryPoolType.WORKSPACE``). On an 8 GB Jetson keep it at 1-2 GiB.
        optimization_level: ``builder_optimization_level`` 0-5; 3 is TensorRT's default,
            lower builds faster with slower kernels.
        show_progress: draw progress bars with elapsed time on stderr.
        progress_stream: where bars go (``None``: stderr).
    """

    workspace_bytes: int = 2 << 30
    optimization_level: int = 3
    show_progress: bool = True
    progress_stream: IO[str] | None = None

    def __post_init__(self) -> None:
        if self.workspace_bytes < 1 << 20:
            raise ConfigError(f"workspace_bytes must be >= 1 MiB, got {self.workspace_bytes}")
        if not 0 <= self.optimization_level <= 5:
            raise ConfigError(f"optimization_level must be 0..5, got {self.optimization_level}")

    def to_json(self) -> dict[str, Any]:
        """What the sidecar records under ``builder_settings``."""
        return {
            "workspace_bytes": self.workspace_bytes,
            "optimization_level": self.optimization_level,
        }


def engine_key_for(
    onnx_path: Path,
    *,
    part: str,
    precision: Precision,
    shape_profile: ShapeProfile,
    device: DeviceIdentity,
    tensorrt_version: str,
    calibration: CalibrationSet | None = None,
) -> EngineKey:
    """The cache key of an engine built from ``onnx_path`` (hashes the ONNX file).

    Raises:
        ConfigError: INT8 without calibration data (or calibration data for another
            precision), or a precision the GPU does not run natively.
    """
    if not precision.supported_on(device.compute_capability):
        major, minor = precision.min_compute_capability
        raise ConfigError(
            f"{precision.value} needs compute capability >= {major}.{minor}; "
            f"{device.gpu_name} is {device.compute_capability[0]}.{device.compute_capability[1]}"
        )
    if calibration is not None:
        calibration.check_against(shape_profile)
    return EngineKey(
        part=part,
        model_sha256=hash_model_files(onnx_path),
        tensorrt_version=tensorrt_version,
        device=device,
        precision=precision,
        shape_profile=shape_profile,
        calibration_sha256=None if calibration is None else calibration.sha256,
    )


def build_engine(
    onnx_path: Path,
    *,
    key: EngineKey,
    cache: EngineCache,
    settings: TrtBuildSettings,
    calibration: CalibrationSet | None = None,
) -> bytes:
    """Parse ``onnx_path`` and build a serialised engine for ``key``. Not verified here.

    Reads the timing cache for this TensorRT version and GPU from ``cache`` and writes the
    updated one back after the build, so later builds (other parts, other precisions) reuse
    the kernel timings.

    Raises:
        EngineError: TensorRT missing, the ONNX parse fails (parser errors listed), or the
            build fails.
    """
    trt = import_tensorrt()
    if str(trt.__version__) != key.tensorrt_version:
        raise EngineError(
            f"key wants TensorRT {key.tensorrt_version}, this process has {trt.__version__}"
        )
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    # TensorRT 10 networks are always explicit-batch; flag 0 keeps BuilderFlag precisions usable
    # (a STRONGLY_TYPED network would ignore them).
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = [str(parser.get_error(index)) for index in range(parser.num_errors)]
        raise EngineError(f"TensorRT could not parse {onnx_path}: {errors}")

    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, settings.workspace_bytes)
    config.builder_optimization_level = settings.optimization_level
    _set_precision(trt, config, key.precision)

    profile = builder.create_optimization_profile()
    for shape_range in key.shape_profile.ranges:
        profile.set_shape(shape_range.name, shape_range.min, shape_range.opt, shape_range.max)
    config.add_optimization_profile(profile)

    if key.precision is Precision.INT8:
        if calibration is None:
            raise EngineError(f"int8 build of {key.part} needs a calibration set")
        # A local reference keeps the Python calibrator alive until the build returns.
        calibrator = _make_entropy_calibrator(
            trt,
            calibration,
            cache_path=cache.directory / f"{key.part}-{key.device.slug}.int8calib",
        )
        config.int8_calibrator = calibrator
        config.set_calibration_profile(profile)

    timing_cache = config.create_timing_cache(
        cache.read_timing_cache(tensorrt_version=key.tensorrt_version, device=key.device)
    )
    config.set_timing_cache(timing_cache, ignore_mismatch=False)

    title = f"{key.part} ({key.precision.value})"
    progress = PhaseProgress(
        title=title, stream=settings.progress_stream, enabled=settings.show_progress
    )
    monitor = _make_progress_monitor(trt, progress)
    if monitor is not None:
        config.progress_monitor = monitor
    try:
        with ElapsedSpinner(
            title=f"building {title}",
            stream=settings.progress_stream,
            enabled=settings.show_progress and monitor is None,
        ) as spinner:
            serialized = builder.build_serialized_network(network, config)
    finally:
        progress.close()
    if serialized is None:
        raise EngineError(f"TensorRT failed to build {title}; see the TensorRT log above")
    _LOG.info("TensorRT built %s in %.1f s", title, spinner.elapsed_seconds)
    cache.write_timing_cache(
        bytes(config.get_timing_cache().serialize()),
        tensorrt_version=key.tensorrt_version,
        device=key.device,
    )
    return bytes(serialized)


def build_cached_engine(
    onnx_path: Path,
    *,
    part: str,
    precision: Precision,
    shape_profile: ShapeProfile,
    cache: EngineCache,
    settings: TrtBuildSettings,
    device_index: int = 0,
    calibration: CalibrationSet | None = None,
    force_rebuild: bool = False,
    allow_build: bool = True,
) -> bytes:
    """The engine for ``onnx_path`` on this GPU: from ``cache`` if valid, else built and cached.

    Not verified here (needs TensorRT and a GPU).

    Args:
        onnx_path: the exported part.
        part: part name (names the cache slot).
        precision: arithmetic precision; INT8 needs ``calibration``.
        shape_profile: input shape ranges.
        cache: where engines, sidecars and the timing cache live.
        settings: build settings.
        device_index: CUDA device to build for.
        calibration: INT8 calibration batches.
        force_rebuild: build even if a valid engine is cached.
        allow_build: raise instead of building when no valid engine is cached.
    """
    trt = import_tensorrt()
    key = engine_key_for(
        onnx_path,
        part=part,
        precision=precision,
        shape_profile=shape_profile,
        device=DeviceIdentity.current(device_index),
        tensorrt_version=str(trt.__version__),
        calibration=calibration,
    )

    def build() -> bytes:
        with torch.cuda.device(device_index):
            return build_engine(
                onnx_path, key=key, cache=cache, settings=settings, calibration=calibration
            )

    return cache.get_or_build(
        key,
        build,
        force_rebuild=force_rebuild,
        allow_build=allow_build,
        builder_settings=settings.to_json(),
    )


def _set_precision(trt: ModuleType, config: Any, precision: Precision) -> None:
    if precision is Precision.FP16:
        config.set_flag(trt.BuilderFlag.FP16)
    elif precision is Precision.BF16:
        config.set_flag(trt.BuilderFlag.BF16)
    elif precision is Precision.INT8:
        # Layers TensorRT cannot quantise fall back to FP16 rather than FP32.
        config.set_flag(trt.BuilderFlag.INT8)
        config.set_flag(trt.BuilderFlag.FP16)


def _make_progress_monitor(trt: ModuleType, progress: PhaseProgress) -> Any | None:
    """A ``tensorrt.IProgressMonitor`` forwarding to ``progress``; ``None`` before TRT 10."""
    base = getattr(trt, "IProgressMonitor", None)
    if base is None:
        return None

    class _Monitor(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()

        def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
            progress.phase_start(phase_name, parent_phase, num_steps)

        def step_complete(self, phase_name: str, step: int) -> bool:
            return progress.step_complete(phase_name, step)

        def phase_finish(self, phase_name: str) -> None:
            progress.phase_finish(phase_name)

    return _Monitor()


def _make_entropy_calibrator(
    trt: ModuleType, calibration: CalibrationSet, *, cache_path: Path
) -> Any:
    """A ``tensorrt.IInt8EntropyCalibrator2`` that feeds ``calibration`` from CUDA memory.

    The calibration table is kept at ``cache_path``; it is only reused while the calibration
    set's hash (part of the engine key, and stored next to the table) is unchanged.
    """
    base = trt.IInt8EntropyCalibrator2
    hash_path = cache_path.with_name(cache_path.name + ".sha256")

    class _Calibrator(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self._batches: Iterator[dict[str, torch.Tensor]] = (
                {name: tensor.cuda() for name, tensor in batch.items()}
                for batch in calibration.batches
            )
            self._current: dict[str, torch.Tensor] = {}

        def get_batch_size(self) -> int:
            # Explicit-batch networks carry the batch in the input shapes.
            return 1

        def get_batch(self, names: list[str]) -> list[int] | None:
            self._current = next(self._batches, {})
            if not self._current:
                return None
            return [self._current[name].data_ptr() for name in names]

        def read_calibration_cache(self) -> bytes | None:
            if hash_path.is_file() and hash_path.read_text() == calibration.sha256:
                return cache_path.read_bytes() if cache_path.is_file() else None
            return None

        def write_calibration_cache(self, cache: Any) -> None:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            cache_path.write_bytes(bytes(cache))
            hash_path.write_text(calibration.sha256)

    return _Calibrator()
