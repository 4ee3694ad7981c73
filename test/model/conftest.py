"""Model-test fixtures; the tiny UniPixel models themselves are in test/conftest.py."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def clip() -> np.ndarray:
    """Five 60x90 RGB frames with a bright square moving right."""
    frames = np.full((5, 60, 90, 3), 30, dtype=np.uint8)
    for t in range(5):
        frames[t, 20:40, 10 + 8 * t : 30 + 8 * t] = (220, 40, 40)
    return frames
