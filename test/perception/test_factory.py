"""The ROS-free perception factory: the tiny model says it has random weights, in a typed field."""

from __future__ import annotations

import pytest

from unipixel_ros.errors import ConfigError
from unipixel_ros.model import TINY_RANDOM_MODEL
from unipixel_ros.perception.config import PerceptionConfig
from unipixel_ros.perception.factory import Device, build_perception


def test_the_tiny_model_is_built_eager_with_random_weights_and_a_warning() -> None:
    built = build_perception(
        model_path=TINY_RANDOM_MODEL, device="auto", backend="eager", config=PerceptionConfig()
    )
    assert built.random_weights is True
    assert built.description == "tiny model with RANDOM weights"
    assert built.backend == (
        "llm eager, vision tower eager, sam2 image encoder eager, sam2 tracking eager"
    )
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


def test_int8_llm_weights_quantize_the_tiny_models_decoder_and_say_so() -> None:
    pytest.importorskip("torchao", reason="llm_weights int8 needs torchao (requirements.txt)")
    from unipixel_ros.accel.parts.llm_weights import quantizable_linears, quantized_llm_weights

    built = build_perception(
        model_path=TINY_RANDOM_MODEL,
        device="auto",
        backend="eager",
        config=PerceptionConfig(),
        llm_weights="int8",
    )
    model = built.perception.predictor.model
    assert quantized_llm_weights(model) == len(quantizable_linears(model)) > 0
    assert built.backend.startswith("llm eager int8 weights, vision tower eager")
    assert "LLM weights int8" in built.backend_report


def test_unknown_llm_weights_are_a_config_error_naming_the_choices() -> None:
    with pytest.raises(
        ConfigError, match=r"llm_weights is 'fp8'; expected one of \['bf16', 'int8'\]"
    ):
        build_perception(
            model_path=TINY_RANDOM_MODEL,
            device="auto",
            backend="eager",
            config=PerceptionConfig(),
            llm_weights="fp8",
        )
