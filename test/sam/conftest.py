"""Fixtures for the SAM 2.1 tests: a tiny model and the package's build with its weights."""

from __future__ import annotations

import pytest
import torch
from sam_reference import TINY_HYDRA_OVERRIDES, hydra_build

from unipixel_ros.sam import Sam2Config, Sam2Model, build_sam2, package_key


@pytest.fixture
def tiny_config() -> Sam2Config:
    return Sam2Config.tiny()


@pytest.fixture
def tiny_model(tiny_config: Sam2Config) -> Sam2Model:
    torch.manual_seed(0)
    return build_sam2(tiny_config)


@pytest.fixture
def package_tiny_model(tiny_model: Sam2Model) -> torch.nn.Module:
    """The package's hydra build of the tiny config, carrying `tiny_model`'s weights."""
    package_model = hydra_build(TINY_HYDRA_OVERRIDES)
    weights = {package_key(k): v for k, v in tiny_model.state_dict().items()}
    package_model.load_state_dict(weights, strict=True)
    return package_model
