from __future__ import annotations

from pathlib import Path

import pytest
from engine_keys import engine_key

from unipixel_ros.accel.engines.key import (
    DeviceIdentity,
    EngineKey,
    Precision,
    ShapeProfile,
    TensorShapeRange,
    hash_model_files,
)
from unipixel_ros.errors import ConfigError, EngineError

PROFILE = ShapeProfile(
    (
        TensorShapeRange(name="point_coords", min=(1, 1, 2), opt=(1, 2, 2), max=(8, 8, 2)),
        TensorShapeRange.static("image_embed", (1, 256, 48, 48)),
    )
)


def make_key(**overrides: object) -> EngineKey:
    defaults = {"part": "sam2_mask_decoder", "model_sha256": "a" * 64, "shape_profile": PROFILE}
    return engine_key(**{**defaults, **overrides})


def test_engine_key_round_trips_through_json() -> None:
    key = make_key(precision=Precision.INT8, calibration_sha256="b" * 64)
    assert EngineKey.from_json(key.to_json()) == key
    assert EngineKey.from_json(key.to_json()).digest == key.digest


def test_engine_key_digest_ignores_profile_input_order() -> None:
    reordered = ShapeProfile(tuple(reversed(PROFILE.ranges)))
    assert make_key(shape_profile=reordered).digest == make_key().digest


def test_engine_key_lists_every_mismatched_field() -> None:
    other = make_key(
        tensorrt_version="10.0.1",
        device=DeviceIdentity(gpu_name="NVIDIA H100 80GB HBM3", compute_capability=(9, 0)),
    )
    mismatched = make_key().mismatched_fields(other)
    assert set(mismatched) == {"tensorrt_version", "gpu_name", "compute_capability"}
    assert mismatched["tensorrt_version"] == ("10.3.0", "10.0.1")


def test_int8_key_requires_calibration_hash() -> None:
    with pytest.raises(ConfigError, match="calibration_sha256 is required for int8"):
        make_key(precision=Precision.INT8)
    with pytest.raises(ConfigError, match="got precision fp16"):
        make_key(calibration_sha256="b" * 64)


def test_engine_key_rejects_part_names_unsafe_for_files() -> None:
    with pytest.raises(ConfigError, match=r"part name '\.\./x'"):
        make_key(part="../x")


def test_malformed_key_json_raises_engine_error() -> None:
    data = make_key().to_json()
    del data["gpu_name"]
    with pytest.raises(EngineError, match="malformed engine key"):
        EngineKey.from_json(data)


def test_shape_range_checks_min_opt_max_order() -> None:
    with pytest.raises(ConfigError, match="min <= opt <= max"):
        TensorShapeRange(name="x", min=(1, 4), opt=(1, 2), max=(1, 8))
    with pytest.raises(ConfigError, match="ranks differ"):
        TensorShapeRange(name="x", min=(1,), opt=(1, 2), max=(1, 8))


def test_shape_range_admits_only_shapes_inside_it() -> None:
    points = PROFILE["point_coords"]
    assert points.admits((3, 8, 2))
    assert not points.admits((9, 1, 2))
    assert not points.admits((1, 1))


def test_shape_profile_rejects_duplicate_inputs() -> None:
    with pytest.raises(ConfigError, match=r"more than once: \['x'\]"):
        ShapeProfile((TensorShapeRange.static("x", (1,)), TensorShapeRange.static("x", (2,))))


def test_precision_support_follows_compute_capability() -> None:
    assert Precision.BF16.supported_on((8, 7))
    assert not Precision.BF16.supported_on((7, 5))
    assert Precision.FP16.supported_on((7, 5))


def test_device_slug_is_file_name_safe() -> None:
    device = DeviceIdentity(gpu_name="NVIDIA GeForce RTX 4090", compute_capability=(8, 9))
    assert device.slug == "nvidia-geforce-rtx-4090-sm89"


def test_file_hash_depends_on_content_not_name(tmp_path: Path) -> None:
    first = tmp_path / "a.onnx"
    first.write_bytes(b"graph-1")
    renamed = tmp_path / "b.onnx"
    renamed.write_bytes(b"graph-1")
    changed = tmp_path / "c.onnx"
    changed.write_bytes(b"graph-2")
    assert hash_model_files(first) == hash_model_files(renamed)
    assert hash_model_files(first) != hash_model_files(changed)


def test_directory_hash_covers_file_names_and_bytes(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "graph.onnx").write_bytes(b"g")
    (model / "weights.bin").write_bytes(b"w")
    before = hash_model_files(model)
    (model / "weights.bin").rename(model / "weights2.bin")
    assert hash_model_files(model) != before


def test_hashing_a_missing_model_raises(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="does not exist"):
        hash_model_files(tmp_path / "absent.onnx")
