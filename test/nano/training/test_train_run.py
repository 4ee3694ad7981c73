"""``train_nano``'s step budget."""

from __future__ import annotations

import pytest
import torch

from unipixel_ros.errors import ConfigError
from unipixel_ros.nano import steps_for_budget


def test_budget_turns_into_steps_per_device_type() -> None:
    assert steps_for_budget(2.0, torch.device("cpu")) == 2 * steps_for_budget(
        1.0, torch.device("cpu")
    )
    with pytest.raises(ConfigError, match="minutes_budget must be > 0"):
        steps_for_budget(0.0, torch.device("cpu"))
    with pytest.raises(ConfigError, match="no step rate for device type 'meta'"):
        steps_for_budget(1.0, torch.device("meta"))
