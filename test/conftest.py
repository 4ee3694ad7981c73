"""Session-wide test settings and the tiny UniPixel models shared by every test folder.

ROS traffic stays on this machine and in a domain of its own; the tiny models have random
weights, run on the CPU in float32, and are built from configs (no download).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable

import pytest
import torch

from unipixel_ros.bench.steering import steer_answer
from unipixel_ros.model import (
    PredictorSettings,
    QwenTokenizer,
    QwenVideoSpec,
    UniPixelModel,
    UniPixelPredictor,
    build_tiny_tokenizer,
    build_unipixel,
    tiny_config,
)
from unipixel_ros.model.builder import set_object_score_bias

# Set before any test imports rclpy, and inherited by the node processes tests start.
os.environ.setdefault("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
# A domain per test session, so concurrent runs on one machine do not see each other.
os.environ.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))


@pytest.fixture(scope="session")
def tokenizer() -> QwenTokenizer:
    return build_tiny_tokenizer()


@pytest.fixture(scope="session")
def _untied_model(tokenizer: QwenTokenizer) -> UniPixelModel:
    torch.manual_seed(0)
    model = build_unipixel(tiny_config(tokenizer, tie_word_embeddings=False)).eval()
    # Random SAM 2.1 weights say "no object" almost always; make objects present.
    set_object_score_bias(model.sam2, 10.0)
    return model


@pytest.fixture(scope="session")
def small_settings() -> PredictorSettings:
    video = QwenVideoSpec(sample_frames=4, min_pixels=56 * 56, pixels_per_frame_budget=56 * 56)
    return PredictorSettings(video=video, max_new_tokens=12)


@pytest.fixture(scope="session")
def steered_predictor(
    _untied_model: UniPixelModel, tokenizer: QwenTokenizer, small_settings: PredictorSettings
) -> Callable[[str], UniPixelPredictor]:
    """A predictor whose greedy answer after ``"assistant\\n"`` is the given text.

    The weights are real weights of the model, only chosen by hand (`steering.steer_answer`).
    """

    def build(answer: str, *, after: str = "\n") -> UniPixelPredictor:
        model = copy.deepcopy(_untied_model)
        steer_answer(model, tokenizer, tokenizer.encode(answer), after=after)
        return UniPixelPredictor(model=model, tokenizer=tokenizer, settings=small_settings)

    return build


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `in_order` keep their file order, also under pytest-randomly: they share
    one running graph and each continues the state the previous one left."""
    places = [i for i, item in enumerate(items) if item.get_closest_marker("in_order")]
    in_file_order = sorted((items[i] for i in places), key=lambda item: item.reportinfo()[:2])
    for place, item in zip(places, in_file_order, strict=True):
        items[place] = item
