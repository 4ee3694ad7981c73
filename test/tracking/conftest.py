"""Fixtures for tracking tests: a tiny SAM 2.1 and random camera frames."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tracking_support import HEIGHT, WIDTH, set_object_score

from unipixel_ros.sam import Sam2Config, Sam2Model, build_sam2


@pytest.fixture
def model() -> Sam2Model:
    torch.manual_seed(0)
    tiny = build_sam2(Sam2Config.tiny())
    # Keep the learned weights (scores vary per frame) but make presence the common case.
    set_object_score(tiny, 3.0, keep_weights=True)
    return tiny


@pytest.fixture
def frames() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(12, HEIGHT, WIDTH, 3), dtype=np.uint8)
