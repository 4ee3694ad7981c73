from __future__ import annotations

import numpy as np
from sample_data import SAMPLE_BAG

from unipixel_ros.evaluation.reports.run_notes import run_notes
from unipixel_ros.evaluation.scoring.queries import load_query_spec

SPEC = load_query_spec(SAMPLE_BAG / "queries.json")
TRUTHS = [np.zeros((2, 2), np.uint16), None, None]


def test_random_weights_and_unlabelled_frames_are_noted_first() -> None:
    notes = run_notes(rate=1.0, random=True, spec=SPEC, truths=TRUTHS)
    assert notes[0].startswith("The weights are RANDOM")
    assert notes[1].startswith(f"2 of 3 frames have no ground truth on {SPEC.ground_truth_topic}")
    assert "recorded spacing (x1)" in notes[2]


def test_a_paced_replay_says_each_frame_waited_for_the_node() -> None:
    notes = run_notes(rate=0.0, random=False, spec=SPEC, truths=TRUTHS[:1])
    assert notes[0].startswith("Each frame was sent only after the node had published")
    assert not any("RANDOM" in note for note in notes)
    assert notes[-1].startswith("Click tracks are scored from the frame after the click")
