from __future__ import annotations

import pytest
import torch

from unipixel_ros.accel.engines.calibration import CalibrationSet
from unipixel_ros.accel.engines.key import ShapeProfile, TensorShapeRange
from unipixel_ros.errors import ConfigError

PROFILE = ShapeProfile(
    (TensorShapeRange(name="frames", min=(1, 3, 64, 64), opt=(1, 3, 64, 64), max=(4, 3, 64, 64)),)
)


def frames(seed: int, count: int = 3) -> list[dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    return [{"frames": torch.randn(1, 3, 64, 64, generator=generator)} for _ in range(count)]


def test_calibration_hash_changes_when_a_frame_changes() -> None:
    first = CalibrationSet(frames(0))
    same = CalibrationSet(frames(0))
    changed_batches = frames(0)
    changed_batches[2]["frames"][0, 0, 0, 0] += 1.0
    assert first.sha256 == same.sha256
    assert CalibrationSet(changed_batches).sha256 != first.sha256


def test_calibration_set_fits_the_profile() -> None:
    CalibrationSet(frames(0)).check_against(PROFILE)
    wrong = CalibrationSet([{"frames": torch.zeros(1, 3, 32, 32)}])
    with pytest.raises(ConfigError, match=r"frames of shape \(1, 3, 32, 32\) is outside"):
        wrong.check_against(PROFILE)
    with pytest.raises(ConfigError, match="differ from the engine inputs"):
        CalibrationSet([{"images": torch.zeros(1, 3, 64, 64)}]).check_against(PROFILE)


def test_calibration_batches_must_agree_in_shape() -> None:
    batches = [*frames(0), {"frames": torch.zeros(2, 3, 64, 64)}]
    with pytest.raises(ConfigError, match=r"batch 3: frames is \(2, 3, 64, 64\)"):
        CalibrationSet(batches)


def test_empty_calibration_set_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least one batch"):
        CalibrationSet([])
