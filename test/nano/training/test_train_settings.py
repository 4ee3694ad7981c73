"""``TrainSettings``: the stage schedule and its checks."""

from __future__ import annotations

import pytest

from unipixel_ros.errors import ConfigError
from unipixel_ros.nano import Stage, TrainSettings


def test_stages_follow_sam_then_ref_then_seg_then_joint() -> None:
    settings = TrainSettings(steps=10, stage_fractions=(0.1, 0.2, 0.3, 0.4))
    stages = [settings.stage_of(step) for step in range(10)]
    assert stages == [Stage.SAM] + [Stage.REF] * 2 + [Stage.SEG] * 3 + [Stage.JOINT] * 4


def test_train_settings_reject_stage_shares_that_do_not_sum_to_one() -> None:
    with pytest.raises(ConfigError, match="summing to 1"):
        TrainSettings(stage_fractions=(0.5, 0.5, 0.5, 0.5))
    with pytest.raises(ConfigError, match="4 shares"):
        TrainSettings(stage_fractions=(0.5, 0.5))
