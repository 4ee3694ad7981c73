"""The shipped UniPixel-nano checkpoint: its files, and floors just under its measured scores.

The scores come from ``evaluate_nano`` (the predictor in this process) on held-out scenes the
checkpoint never saw; the same checkpoint measured through the node is in
test/ros/test_eval_nano.py, and the full figures are in docs/nano.md.
"""

from __future__ import annotations

import pytest

from unipixel_ros.model import PredictorSettings
from unipixel_ros.nano import NanoScores, evaluate_nano, load_nano_predictor, nano_settings
from unipixel_ros.nano.checkpoint import NANO_CHECKPOINT_DIR
from unipixel_ros.nano.dataset import EVAL_SEEDS, scene_config

MAX_CHECKPOINT_BYTES = 25_000_000
#: Measured on EVAL_SEEDS[:4] with 30 frames on 2026-11-23 (docs/nano.md): click IoU 0.876,
#: tracking J&F 0.919; floors 0.05 below. Language masks (text J&F 0.02) and the graspable
#: question (1 of 4) are not learned yet, so they get no floor: one would be a test that
#: cannot fail.
FLOORS = {"click_iou": 0.83, "track_jf": 0.87}


@pytest.fixture(scope="module")
def scores() -> NanoScores:
    predictor = load_nano_predictor(device="cpu")
    return evaluate_nano(predictor, seeds=EVAL_SEEDS[:4], config=scene_config(frame_count=30))


def test_the_checkpoint_ships_complete_and_under_25_mb() -> None:
    names = {path.name for path in NANO_CHECKPOINT_DIR.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "training.json"} <= names
    assert (
        sum(path.stat().st_size for path in NANO_CHECKPOINT_DIR.iterdir()) <= MAX_CHECKPOINT_BYTES
    )
    assert PredictorSettings.read(NANO_CHECKPOINT_DIR) == nano_settings()


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_held_out_scores_stay_above_their_floors(scores: NanoScores, name: str) -> None:
    assert getattr(scores, name) >= FLOORS[name], scores.as_dict()
