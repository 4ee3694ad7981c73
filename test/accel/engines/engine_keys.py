"""Engine keys for the cache and key tests: an Orin device and a key builder with overrides."""

from __future__ import annotations

from unipixel_ros.accel.engines.key import DeviceIdentity, EngineKey, Precision

ORIN = DeviceIdentity(gpu_name="Orin", compute_capability=(8, 7))


def engine_key(**fields: object) -> EngineKey:
    """A TensorRT 10.3 FP16 key on Orin; ``fields`` give the rest and may replace any field."""
    merged: dict[str, object] = {
        "tensorrt_version": "10.3.0",
        "device": ORIN,
        "precision": Precision.FP16,
        **fields,
    }
    return EngineKey(**merged)  # type: ignore[arg-type]
