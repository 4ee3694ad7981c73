"""The ROS-free perception factory: the tiny model says it has random weights, in a typed field."""

from __future__ import annotations

import pytest

from unipixel_ros.errors import ConfigError
from unipixel_ros.model import TINY_RANDOM_MODEL
from unipixel_ros.perception.factory import Device, build_perception
from unipixel_ros.perception.live import PerceptionConfig


def test_the_tiny_model_is_built_eager_with_random_weights_and_a_warning() -> None:
    built = build_perception(
        model_path=TINY_RANDOM_MODEL, device="auto", backend="eager", config=PerceptionConfig()
    )
    assert built.random_weights is True
    assert built.description == "tiny model with RANDOM weights"
    assert built.backend == "llm eager, sam2 image encoder eager, sam2 tracking eager"
    assert built.backend_report.startswith("backend: ")
    assert len(built.warnings) == 1 and "RANDOM weights" in built.warnings[0]
    assert built.perception.config.cameras == ("",)


def test_an_unknown_device_is_a_config_error_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"device is 'gpu'; use one of \['auto', 'cpu', 'cuda'\]"):
        build_perception(
            model_path="/no/such/checkpoint",
            device="gpu",
            backend="eager",
            config=PerceptionConfig(),
        )


def test_device_cpu_resolves_to_itself() -> None:
    assert Device("cpu").resolve() == "cpu"
