"""A small scored replay with its pictures, shared by the report tests: a 10-frame bag of a red
square tracked from frame 2, a segment query on frame 1 and a describe answer on frame 6."""

from __future__ import annotations

import numpy as np

from unipixel_ros.evaluation.reports.pictures import AnswerEvent, ReplayPictures, track_pictures
from unipixel_ros.evaluation.reports.run_report import RequestRecord, RunDetails
from unipixel_ros.evaluation.scoring.evaluate import EvaluationResult, QueryPrediction, evaluate_run
from unipixel_ros.evaluation.scoring.queries import Query, QueryKind, QuerySpec
from unipixel_ros.visualization.overlay import OverlayObject

HEIGHT, WIDTH, FRAMES = 120, 160, 10
STAMPS = tuple(1_000_000_000 + i * 100_000_000 for i in range(FRAMES))


def spec() -> QuerySpec:
    return QuerySpec(
        source="synthetic",
        seed=None,
        image_topic="/camera/color/image_raw",
        ground_truth_topic="/ground_truth/instances",
        fixed_frame=None,
        width=WIDTH,
        height=HEIGHT,
        stamps_ns=STAMPS,
        objects=(),
        clicks=(),
        queries=(
            Query(
                query_id="which",
                kind=QueryKind.SEGMENT,
                text="Which?",
                frame_index=1,
                expected_ids=(1,),
            ),
            Query(
                query_id="click_1",
                kind=QueryKind.TRACK,
                frame_index=2,
                point_px=(50, 50),
                expected_ids=(1,),
            ),
        ),
    )


def truth(index: int) -> np.ndarray:
    labels = np.zeros((HEIGHT, WIDTH), np.uint16)
    labels[40:80, 30 + 5 * index : 70 + 5 * index] = 1
    return labels


def frame(index: int) -> np.ndarray:
    rgb = np.full((HEIGHT, WIDTH, 3), (120, 90, 60), np.uint8)
    rgb[truth(index) == 1] = (200, 30, 30)
    return rgb


def predictions() -> tuple[QueryPrediction, ...]:
    shifted = {i: np.roll(truth(i) == 1, 3, axis=1) for i in range(3, FRAMES)}
    return (
        QueryPrediction(query_id="which", masks={1: truth(1) == 1}),
        QueryPrediction(query_id="click_1", masks=shifted, first_scored_frame=3),
    )


def result(*, random: bool = False) -> EvaluationResult:
    return evaluate_run(
        spec=spec(),
        truths=[truth(i) for i in range(FRAMES)],
        predictions=predictions(),
        latencies_s=[0.02] * FRAMES,
        frames_sent=FRAMES,
        bag="/bags/square",
        model="m",
        model_is_random=random,
    )


def pictures(*, random: bool = False) -> ReplayPictures:
    scored = result(random=random)
    objects = [
        [
            OverlayObject(
                object_id=1,
                label="click_1",
                score=5.0,
                lost=index == 5,
                mask=predictions()[1].masks[index] if index >= 3 else truth(index) == 9,
            )
        ]
        if index >= 3
        else []
        for index in range(FRAMES)
    ]
    return ReplayPictures(
        frame_indices=tuple(range(FRAMES)),
        rgb=[frame(i) for i in range(FRAMES)],
        objects=objects,
        stamps_ns=STAMPS,
        answers=(
            AnswerEvent("which", 1, 1, "It is the red square."),
            AnswerEvent("click_1", 2, 2, ""),
            AnswerEvent("colour", 6, None, ""),
        ),
        tracks=track_pictures(
            spec=spec(),
            scores=scored.queries,
            predictions=predictions(),
            truths=[truth(i) for i in range(FRAMES)],
            images={i: frame(i) for i in range(FRAMES)},
        ),
        frame_rate_hz=10.0,
        random_weights=random,
    )


def details(tmp_path) -> RunDetails:
    return RunDetails(
        model_path="/ckpt",
        model_description="/ckpt on cpu",
        rate=0.0,
        result_bag=tmp_path / "results",
        requests=(
            RequestRecord(
                query_id="which",
                service="query",
                request="Which?",
                success=True,
                message="1 object(s)",
                answer="It is the red square.",
                frame_index=1,
                object_ids=(1,),
                total_ms=80.0,
                model_ms=70.0,
                round_trip_ms=90.0,
            ),
        ),
        duration_s=2.0,
        notes=("a note <for> the reader",),
    )
