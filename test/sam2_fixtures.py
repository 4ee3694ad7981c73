"""Tiny SAM 2.1 fixtures with random weights, for the acceleration and benchmark tests."""

from __future__ import annotations

import pytest
import torch

from unipixel_ros.model.builder import set_object_score_bias
from unipixel_ros.sam import Sam2Config, Sam2Model, build_sam2

# Decoder bias that makes every object "present" (random weights otherwise predict absent and
# every mask would be the constant -1024, which would hide decoder differences).
PRESENT_BIAS = 8.0


def tiny_sam2(*, object_bias: float) -> Sam2Model:
    torch.manual_seed(0)
    model = build_sam2(Sam2Config.tiny())
    set_object_score_bias(model, object_bias)
    return model


@pytest.fixture(scope="module")
def sam2_present() -> Sam2Model:
    """Tiny SAM 2.1 whose object-score head says every object is present."""
    return tiny_sam2(object_bias=PRESENT_BIAS)


@pytest.fixture(scope="module")
def sam2_absent() -> Sam2Model:
    """Tiny SAM 2.1 whose object-score head says every object is absent."""
    return tiny_sam2(object_bias=-PRESENT_BIAS)
