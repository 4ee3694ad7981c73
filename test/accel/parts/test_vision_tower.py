"""The compiled vision tower matches eager (features within 1e-5, a query's tokens identical)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.parts.vision_tower import compiled_vision_tower, resolve_vision_tower
from unipixel_ros.errors import ConfigError
from unipixel_ros.model import UniPixelModel, UniPixelPredictor, prepare_qwen_video

TOLERANCE = {"atol": 1e-5, "rtol": 1e-5}


@pytest.mark.slow
def test_the_compiled_vision_tower_matches_eager_features_tokens_and_masks_of_a_query() -> None:
    # One patch grid: each grid compiles for about a minute on the 2-core CPU.
    clip = np.full((5, 60, 90, 3), 30, dtype=np.uint8)
    clip[:, 20:40, 10:30] = (220, 40, 40)
    predictor = UniPixelPredictor.tiny(seed=0)
    model = predictor.model
    video = prepare_qwen_video(list(clip[:4]), spec=predictor.settings.video)
    question = "Please segment the red square."
    with torch.inference_mode():
        eager_features = model.encode_video(video.pixel_values, video.grid_thw)
    forced = predictor.segment(clip, question, response="[0] <|seg|>")
    free = predictor.segment(clip, question)
    model.use_vision_tower(compiled_vision_tower())
    with torch.inference_mode():
        features = model.encode_video(video.pixel_values, video.grid_thw)
    torch.testing.assert_close(features.embeds, eager_features.embeds, **TOLERANCE)
    torch.testing.assert_close(features.merger_inputs, eager_features.merger_inputs, **TOLERANCE)
    assert free.text and predictor.segment(clip, question).text == free.text
    got = predictor.segment(clip, question, response="[0] <|seg|>")
    assert len(got.tracks) == len(forced.tracks) == 1
    for ours, theirs in zip(got.tracks, forced.tracks, strict=True):
        assert all(np.array_equal(a, b) for a, b in zip(ours.masks, theirs.masks, strict=True))


def test_backends_choose_the_vision_tower_and_say_why(_untied_model: UniPixelModel) -> None:
    eager = resolve_vision_tower("eager", model=_untied_model)
    assert eager.tower is None and eager.backend is BackendName.EAGER
    compiled = resolve_vision_tower("tensorrt", model=_untied_model)
    assert compiled.backend is BackendName.COMPILE and compiled.tower is not None
    assert "no TensorRT engine for the vision tower" in compiled.reason
    with pytest.raises(ConfigError, match="unknown backend 'fast'"):
        resolve_vision_tower("fast", model=_untied_model)
