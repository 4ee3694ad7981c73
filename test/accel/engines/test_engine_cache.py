from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from engine_keys import ORIN, engine_key

from unipixel_ros.accel.engines.cache import EngineCache
from unipixel_ros.accel.engines.key import (
    DeviceIdentity,
    EngineKey,
    Precision,
    ShapeProfile,
    TensorShapeRange,
)
from unipixel_ros.errors import EngineError

# The cache stores and checks opaque bytes; these stand in for a serialised TensorRT engine.
ENGINE_BYTES = b"serialised-engine-\x00\x01\x02" * 64
PROFILE = ShapeProfile(
    (
        TensorShapeRange(
            name="frames", min=(1, 3, 768, 768), opt=(1, 3, 768, 768), max=(4, 3, 768, 768)
        ),
    )
)


def make_key(**overrides: object) -> EngineKey:
    defaults = {"part": "sam2_image_encoder", "model_sha256": "1" * 64, "shape_profile": PROFILE}
    return engine_key(**{**defaults, **overrides})


class CountingBuild:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        return self.data


def test_stored_engine_loads_back_with_the_same_key(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path / "engines")
    files = cache.store(make_key(), ENGINE_BYTES, build_seconds=12.5)
    assert files.engine.read_bytes() == ENGINE_BYTES
    assert cache.load(make_key()) == ENGINE_BYTES


def test_sidecar_records_key_integrity_and_build_time(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    files = cache.store(
        make_key(), ENGINE_BYTES, build_seconds=3.25, builder_settings={"workspace_bytes": 1 << 30}
    )
    sidecar = json.loads(files.sidecar.read_text())
    assert sidecar["format_version"] == 1
    assert sidecar["key"] == make_key().to_json()
    assert sidecar["key_sha256"] == make_key().digest
    assert sidecar["engine_size_bytes"] == len(ENGINE_BYTES)
    assert sidecar["build_seconds"] == 3.25
    assert sidecar["builder_settings"] == {"workspace_bytes": 1 << 30}


def test_engine_from_older_tensorrt_is_refused_naming_the_field(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    cache.store(make_key(tensorrt_version="10.0.1"), ENGINE_BYTES, build_seconds=1.0)
    with pytest.raises(EngineError, match=r"tensorrt_version: need '10.3.0', engine has '10.0.1'"):
        cache.load(make_key())


def test_engine_from_another_gpu_is_refused_naming_each_field(tmp_path: Path) -> None:
    foreign_dir = tmp_path / "from_h100"
    h100 = DeviceIdentity(gpu_name="NVIDIA H100 80GB HBM3", compute_capability=(9, 0))
    foreign = EngineCache(directory=foreign_dir).store(
        make_key(device=h100), ENGINE_BYTES, build_seconds=1.0
    )
    with pytest.raises(
        EngineError,
        match=r"2 mismatched field\(s\): gpu_name: need 'Orin'.*"
        r"compute_capability: need \[8, 7\]",
    ):
        EngineCache.load_file(foreign.engine, make_key())


def test_engine_for_another_model_or_profile_is_stale(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    cache.store(make_key(model_sha256="2" * 64), ENGINE_BYTES, build_seconds=1.0)
    with pytest.raises(EngineError, match="model_sha256"):
        cache.load(make_key())
    wider = ShapeProfile(
        (
            TensorShapeRange(
                name="frames", min=(1, 3, 768, 768), opt=(2, 3, 768, 768), max=(8, 3, 768, 768)
            ),
        )
    )
    cache.store(make_key(shape_profile=wider), ENGINE_BYTES, build_seconds=1.0)
    with pytest.raises(EngineError, match="shape_profile"):
        cache.load(make_key())


def test_engine_without_sidecar_is_never_loaded(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    files = cache.store(make_key(), ENGINE_BYTES, build_seconds=1.0)
    files.sidecar.unlink()
    with pytest.raises(EngineError, match="has no sidecar"):
        cache.load(make_key())


def test_truncated_or_replaced_engine_bytes_are_refused(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    files = cache.store(make_key(), ENGINE_BYTES, build_seconds=1.0)
    files.engine.write_bytes(ENGINE_BYTES[:100])
    with pytest.raises(EngineError, match="truncated or replaced"):
        cache.load(make_key())
    files.engine.write_bytes(ENGINE_BYTES[::-1])
    with pytest.raises(EngineError, match="corrupted or replaced"):
        cache.load(make_key())


def test_hand_edited_sidecar_is_refused(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    files = cache.store(make_key(tensorrt_version="10.0.1"), ENGINE_BYTES, build_seconds=1.0)
    sidecar = json.loads(files.sidecar.read_text())
    sidecar["key"]["tensorrt_version"] = "10.3.0"
    files.sidecar.write_text(json.dumps(sidecar))
    with pytest.raises(EngineError, match="does not match its key"):
        cache.load(make_key())


def test_unknown_sidecar_format_is_refused(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    files = cache.store(make_key(), ENGINE_BYTES, build_seconds=1.0)
    sidecar = json.loads(files.sidecar.read_text())
    sidecar["format_version"] = 99
    files.sidecar.write_text(json.dumps(sidecar))
    with pytest.raises(EngineError, match="format_version 99, expected 1"):
        cache.load(make_key())


def test_get_or_build_builds_once_then_reuses(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    build = CountingBuild(ENGINE_BYTES)
    assert cache.get_or_build(make_key(), build) == ENGINE_BYTES
    assert cache.get_or_build(make_key(), build) == ENGINE_BYTES
    assert build.calls == 1


def test_get_or_build_rebuilds_a_stale_engine_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = EngineCache(directory=tmp_path)
    cache.store(make_key(tensorrt_version="10.0.1"), b"old-engine", build_seconds=1.0)
    build = CountingBuild(ENGINE_BYTES)
    with caplog.at_level(logging.WARNING, logger="unipixel_ros.accel.engines.cache"):
        assert cache.get_or_build(make_key(), build) == ENGINE_BYTES
    assert build.calls == 1
    assert "tensorrt_version" in caplog.text
    assert cache.load(make_key()) == ENGINE_BYTES


def test_force_rebuild_replaces_a_valid_engine(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    cache.store(make_key(), b"first-build", build_seconds=1.0)
    build = CountingBuild(ENGINE_BYTES)
    assert cache.get_or_build(make_key(), build, force_rebuild=True) == ENGINE_BYTES
    assert build.calls == 1
    assert cache.load(make_key()) == ENGINE_BYTES


def test_disallowed_build_raises_instead_of_building(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    build = CountingBuild(ENGINE_BYTES)
    with pytest.raises(EngineError, match="building is disabled"):
        cache.get_or_build(make_key(), build, allow_build=False)
    assert build.calls == 0


def test_empty_build_output_is_not_cached(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    with pytest.raises(EngineError, match="empty engine"):
        cache.get_or_build(make_key(), CountingBuild(b""))
    assert not cache.files_for(make_key()).sidecar.exists()


def test_precisions_and_gpus_get_separate_slots(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    h100 = DeviceIdentity(gpu_name="NVIDIA H100 80GB HBM3", compute_capability=(9, 0))
    paths = {
        cache.files_for(make_key()).engine,
        cache.files_for(make_key(precision=Precision.BF16)).engine,
        cache.files_for(make_key(device=h100)).engine,
    }
    assert len(paths) == 3


def test_timing_cache_round_trips_per_tensorrt_version_and_gpu(tmp_path: Path) -> None:
    cache = EngineCache(directory=tmp_path)
    assert cache.read_timing_cache(tensorrt_version="10.3.0", device=ORIN) == b""
    cache.write_timing_cache(b"timings", tensorrt_version="10.3.0", device=ORIN)
    assert cache.read_timing_cache(tensorrt_version="10.3.0", device=ORIN) == b"timings"
    assert cache.read_timing_cache(tensorrt_version="10.7.0", device=ORIN) == b""


def test_default_directory_is_engines_at_repo_root() -> None:
    directory = EngineCache().directory
    assert directory.name == "engines"
    assert (directory.parent / "unipixel_ros" / "errors.py").is_file()
