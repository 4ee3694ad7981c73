from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError
from unipixel_ros.evaluation.scoring.evaluate import (
    QueryPrediction,
    evaluate_run,
    instances_covered,
    scored_track_frames,
)
from unipixel_ros.evaluation.scoring.queries import ObjectRecord, Query, QueryKind, QuerySpec


def _truths() -> list[np.ndarray]:
    """Two 6x6 frames: object 1 (4 px) and object 2 (6 px)."""
    frames = []
    for _ in range(2):
        labels = np.zeros((6, 6), dtype=np.uint16)
        labels[0:2, 0:2] = 1
        labels[3:5, 2:5] = 2
        frames.append(labels)
    return frames


SPEC = QuerySpec(
    source="test",
    seed=None,
    image_topic="/image",
    ground_truth_topic="/gt",
    fixed_frame=None,
    width=6,
    height=6,
    stamps_ns=(0, 1),
    objects=(ObjectRecord(object_id=1), ObjectRecord(object_id=2)),
    clicks=(),
    queries=(
        Query(query_id="seg", kind=QueryKind.SEGMENT, text="which?", expected_ids=(2,)),
        Query(query_id="trk", kind=QueryKind.TRACK, point_px=(0, 0), expected_ids=(1,)),
        Query(
            query_id="ask",
            kind=QueryKind.CHOICE,
            text="what is <region>?",
            options=("cup", "bowl"),
            answer="bowl",
        ),
    ),
)


def _run(predictions):
    return evaluate_run(
        spec=SPEC,
        truths=_truths(),
        predictions=predictions,
        latencies_s=[0.1, 0.3],
        frames_sent=2,
        bag="b",
        model="m",
        model_is_random=True,
    )


def test_perfect_answers_score_one_everywhere():
    truths = _truths()
    result = _run(
        [
            QueryPrediction(query_id="seg", masks={0: truths[0] == 2}),
            QueryPrediction(query_id="trk", masks={0: truths[0] == 1, 1: truths[1] == 1}),
            QueryPrediction(query_id="ask", answer_text="It is a bowl."),
        ]
    )
    assert result.segment_ciou == 1.0 and result.segment_giou == 1.0
    assert result.track_jf == 1.0
    assert result.answer_accuracy == 1.0
    assert result.latency.p50_ms == pytest.approx(200.0)


def test_partial_answers_score_as_hand_computed():
    truths = _truths()
    half_of_two = np.zeros((6, 6), dtype=bool)
    half_of_two[3:5, 2:4] = True  # 4 of object 2's 6 pixels: IoU 4/6, covers 67% -> id 2
    result = _run(
        [
            QueryPrediction(query_id="seg", masks={0: half_of_two}),
            # Frame 0 right, frame 1 missing: J = (1 + 0) / 2.
            QueryPrediction(query_id="trk", masks={0: truths[0] == 1}),
            QueryPrediction(query_id="ask", answer_text="a cup"),
        ]
    )
    scores = {score.query_id: score for score in result.queries}
    assert scores["seg"].iou == pytest.approx(4 / 6)
    assert scores["seg"].correct is True
    assert scores["trk"].track.j_per_frame == (1.0, 0.0)
    assert result.track_j == pytest.approx(0.5)
    assert scores["ask"].correct is False
    # Two of three checkable answers are right.
    assert result.answer_accuracy == pytest.approx(2 / 3)


def test_missing_predictions_score_as_empty_answers():
    result = _run([])
    scores = {score.query_id: score for score in result.queries}
    assert scores["seg"].iou == 0.0 and scores["seg"].correct is False
    assert scores["ask"].predicted == "(no answer)"
    assert result.track_j == 0.0


def test_frames_without_ground_truth_are_left_out():
    truths = _truths()
    result = evaluate_run(
        spec=SPEC,
        truths=[truths[0], None],
        predictions=[QueryPrediction(query_id="trk", masks={0: truths[0] == 1})],
        latencies_s=[],
        frames_sent=2,
        bag="b",
        model="m",
        model_is_random=False,
    )
    track = {score.query_id: score for score in result.queries}["trk"].track
    assert track.j_per_frame == (1.0,)


def test_a_click_track_is_scored_from_its_first_scored_frame():
    truths = _truths()
    # The prompt returned no mask on frame 0; the track starts on frame 1.
    late = QueryPrediction(query_id="trk", masks={1: truths[1] == 1}, first_scored_frame=1)
    track = {score.query_id: score for score in _run([late]).queries}["trk"].track
    assert track.j_per_frame == (1.0,)
    unmarked = QueryPrediction(query_id="trk", masks={1: truths[1] == 1})
    track = {score.query_id: score for score in _run([unmarked]).queries}["trk"].track
    assert track.j_per_frame == (0.0, 1.0)


def test_a_track_is_scored_on_the_frames_with_ground_truth_from_its_start():
    track = SPEC.query("trk")
    truths = [*_truths(), None, _truths()[0]]
    assert scored_track_frames(track, QueryPrediction(query_id="trk"), truths) == [0, 1, 3]
    late = QueryPrediction(query_id="trk", first_scored_frame=1)
    assert scored_track_frames(track, late, truths) == [1, 3]


def test_predictions_for_unknown_queries_are_rejected():
    with pytest.raises(BadInputError, match=r"queries the spec does not have: \['nope'\]"):
        _run([QueryPrediction(query_id="nope")])


def test_instances_covered_needs_half_of_an_object():
    labels = _truths()[0]
    mask = np.zeros((6, 6), dtype=bool)
    mask[0, 0:2] = True  # 2 of object 1's 4 pixels: exactly half
    mask[3, 2] = True  # 1 of object 2's 6 pixels
    assert instances_covered(mask, labels) == (1,)
