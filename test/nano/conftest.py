"""Small rendered scenes and the nano tokenizer for the nano tests (built once per session)."""

from __future__ import annotations

import pytest

from unipixel_ros.model import QwenTokenizer
from unipixel_ros.nano import SceneArrays, build_nano_tokenizer, render_scenes, scene_config


@pytest.fixture(scope="session")
def nano_tokenizer() -> QwenTokenizer:
    return build_nano_tokenizer()


@pytest.fixture(scope="session")
def small_scenes() -> SceneArrays:
    """Three 128x96 scenes of 8 frames (frame 0 and a window of later frames each)."""
    return render_scenes(range(700_000, 700_003), config=scene_config(frame_count=8))
