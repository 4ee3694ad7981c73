"""TensorRT build/load/run. Runs only where `tensorrt` imports and CUDA is present; skips visibly
elsewhere (TensorRT cannot be installed on the machines this project is developed on)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch

pytest.importorskip("tensorrt", reason="TensorRT is not installed here; engine tests skipped")
if not torch.cuda.is_available():
    pytest.skip("TensorRT engine tests need a CUDA device", allow_module_level=True)

from unipixel_ros.accel.backends.protocol import EagerBackend
from unipixel_ros.accel.backends.tensorrt import TensorRTBackend
from unipixel_ros.accel.engines.builder import TrtBuildSettings
from unipixel_ros.accel.engines.cache import EngineCache
from unipixel_ros.accel.engines.key import Precision
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
from unipixel_ros.accel.parts.sam2.memory_encoder import memory_encoder_part
from unipixel_ros.errors import BadInputError
from unipixel_ros.sam import Sam2Model

CUDA = torch.device("cuda", 0)


def backend(cache_dir: Path, precision: Precision, **options: object) -> TensorRTBackend:
    return TensorRTBackend(
        cache=EngineCache(directory=cache_dir),
        precision=precision,
        settings=TrtBuildSettings(workspace_bytes=1 << 30, progress_stream=io.StringIO()),
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("precision", "tolerance"), [(Precision.FP32, 2e-2), (Precision.FP16, 1e-1)]
)
def test_memory_encoder_engine_matches_eager(
    sam2_present: Sam2Model, tmp_path: Path, precision: Precision, tolerance: float
) -> None:
    model = sam2_present.to(CUDA)
    part = memory_encoder_part(model, limits=Sam2PartLimits(max_objects=4), example_objects=2)
    runner = backend(tmp_path, precision).prepare(part, CUDA)
    for objects in (1, 4):
        inputs = memory_encoder_part(
            model, limits=Sam2PartLimits(max_objects=4), example_objects=objects
        ).example_inputs
        got = runner(*inputs)
        want = EagerBackend().prepare(part, CUDA)(*inputs)
        for g, w in zip(got, want, strict=True):
            assert float((g.float() - w.float()).abs().max()) <= tolerance


def test_second_prepare_loads_the_cached_engine_without_building(
    sam2_present: Sam2Model, tmp_path: Path
) -> None:
    model = sam2_present.to(CUDA)
    part = memory_encoder_part(model, limits=Sam2PartLimits(max_objects=2))
    backend(tmp_path, Precision.FP16).prepare(part, CUDA)
    engines = sorted(tmp_path.glob("*.engine"))
    stamp = engines[0].stat().st_mtime_ns
    backend(tmp_path, Precision.FP16, allow_build=False).prepare(part, CUDA)
    assert engines[0].stat().st_mtime_ns == stamp
    assert list(tmp_path.glob("timing-*.cache"))


def test_engine_runner_refuses_shapes_outside_its_profile(
    sam2_present: Sam2Model, tmp_path: Path
) -> None:
    model = sam2_present.to(CUDA)
    part = memory_encoder_part(model, limits=Sam2PartLimits(max_objects=2))
    runner = backend(tmp_path, Precision.FP16).prepare(part, CUDA)
    too_many = memory_encoder_part(
        model, limits=Sam2PartLimits(max_objects=3), example_objects=3
    ).example_inputs
    with pytest.raises(BadInputError, match="outside the engine's profile"):
        runner(*too_many)
