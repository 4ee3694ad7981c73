"""The TensorRT backend: part -> cached ONNX export -> cached engine -> runner.

NOT VERIFIED ON THIS MACHINE (no TensorRT here): availability reporting and everything up to
the ONNX export are tested; building and running engines follow the TensorRT 10 API and are
exercised only where ``tensorrt`` imports.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import torch

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.protocol import Availability, PartRunner
from unipixel_ros.accel.engines.builder import TrtBuildSettings, build_cached_engine
from unipixel_ros.accel.engines.cache import EngineCache
from unipixel_ros.accel.engines.calibration import CalibrationSet
from unipixel_ros.accel.engines.key import DeviceIdentity, Precision
from unipixel_ros.accel.engines.onnx_export import export_onnx
from unipixel_ros.accel.engines.runtime import TrtEngineRunner, import_tensorrt
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.errors import EngineError

__all__ = ["TensorRTBackend"]

_LOG = logging.getLogger(__name__)


class TensorRTBackend:
    """Runs parts as TensorRT engines built on this GPU and kept in an :class:`EngineCache`.

    ONNX exports are cached too, under ``<cache>/onnx/<part>-<weights digest>.onnx``, so a
    restart with the same weights neither re-exports nor rebuilds.

    Args:
        cache: engine cache (default directory: ``engines/``).
        precision: engine precision; INT8 needs ``calibration`` for every part.
        settings: builder settings (workspace, optimisation level, progress display).
        allow_build: build missing or stale engines (minutes); when ``False`` they raise.
        force_rebuild: rebuild each engine this backend prepares, even when the cached one
            is valid.
        calibration: INT8 calibration batches per part name.
    """

    def __init__(
        self,
        *,
        cache: EngineCache,
        precision: Precision = Precision.FP16,
        settings: TrtBuildSettings | None = None,
        allow_build: bool = True,
        force_rebuild: bool = False,
        calibration: Mapping[str, CalibrationSet] | None = None,
    ) -> None:
        self._cache = cache
        self._precision = precision
        self._settings = settings or TrtBuildSettings()
        self._allow_build = allow_build
        self._force_rebuild = force_rebuild
        self._calibration = dict(calibration or {})

    @property
    def name(self) -> BackendName:
        return BackendName.TENSORRT

    def availability(self, device: torch.device) -> Availability:
        if device.type != "cuda":
            return Availability(False, f"TensorRT needs a CUDA device, got {device}")
        if not torch.cuda.is_available():
            return Availability(False, "TensorRT needs CUDA, torch.cuda.is_available() is False")
        try:
            trt = import_tensorrt()
        except EngineError as err:
            return Availability(False, str(err))
        identity = DeviceIdentity.current(device.index or 0)
        if not self._precision.supported_on(identity.compute_capability):
            return Availability(
                False,
                f"{self._precision.value} is not supported on {identity.gpu_name} "
                f"(compute capability {identity.compute_capability})",
            )
        return Availability(
            True, f"TensorRT {trt.__version__} {self._precision.value} on {identity.gpu_name}"
        )

    def onnx_path_for(self, part: AcceleratedPart) -> Path:
        """Where the ONNX export of ``part`` with its current weights is cached."""
        return self._cache.directory / "onnx" / f"{part.name}-{part.weights_digest()[:16]}.onnx"

    def prepare(self, part: AcceleratedPart, device: torch.device) -> PartRunner:
        """Export (if needed), build or load the engine, and return its runner.

        Raises:
            EngineError: export, build or load failed; or INT8 without calibration data.
        """
        calibration = self._calibration.get(part.name)
        if self._precision is Precision.INT8 and calibration is None:
            raise EngineError(f"int8 engine for {part.name} needs calibration data")
        onnx_path = self.onnx_path_for(part)
        if not onnx_path.is_file():
            _LOG.info("exporting %s to %s", part.name, onnx_path)
            export_onnx(part, onnx_path)
        engine_bytes = build_cached_engine(
            onnx_path,
            part=part.name,
            precision=self._precision,
            shape_profile=part.shape_profile,
            cache=self._cache,
            settings=self._settings,
            device_index=device.index or 0,
            calibration=calibration,
            force_rebuild=self._force_rebuild,
            allow_build=self._allow_build,
        )
        return TrtEngineRunner(
            engine_bytes=engine_bytes,
            input_names=part.input_names,
            output_names=part.output_names,
            device=device,
        )
