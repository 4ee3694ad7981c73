"""The run sections that `unipixel-ros eval` adds to a report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from unipixel_ros.evaluation.reports.run_report import RequestRecord, RunDetails, write_run_report
from unipixel_ros.evaluation.scoring.evaluate import QueryPrediction, evaluate_run
from unipixel_ros.evaluation.scoring.queries import Query, QueryKind, QuerySpec


def _spec() -> QuerySpec:
    return QuerySpec(
        source="synthetic",
        seed=None,
        image_topic="/camera/color/image_raw",
        ground_truth_topic="/ground_truth/instances",
        fixed_frame=None,
        width=6,
        height=4,
        stamps_ns=(10, 20),
        objects=(),
        clicks=(),
        queries=(
            Query(query_id="which", kind=QueryKind.SEGMENT, text="Which?", expected_ids=(1,)),
            Query(
                query_id="colour",
                kind=QueryKind.CHOICE,
                text="What colour is <region>?",
                point_px=(1, 1),
                region_id=1,
                options=("red", "blue"),
                answer="red",
            ),
        ),
    )


def _details(tmp_path: Path, *, random: bool) -> RunDetails:
    return RunDetails(
        model_path="tiny-random" if random else "/ckpt",
        model_description="tiny model with RANDOM weights" if random else "/ckpt on cpu",
        rate=0.0,
        result_bag=tmp_path / "results",
        requests=(
            RequestRecord(
                query_id="which",
                service="query",
                request="Which?",
                success=True,
                message="1 object(s)",
                answer="[0] <|seg|>",
                frame_index=0,
                object_ids=(4,),
                total_ms=120.0,
                model_ms=100.0,
                round_trip_ms=125.0,
            ),
            RequestRecord(
                query_id="colour",
                service="describe",
                request="What colour is [0]?",
                success=False,
                message="busy | try later",
                round_trip_ms=3.0,
            ),
        ),
        node_status={"frames_processed": "2", "frames_dropped": "0", "unlisted": "x"},
        duration_s=4.5,
        notes=("a note for the reader",),
    )


def _result(random: bool):
    labels = np.zeros((4, 6), dtype=np.uint16)
    labels[1:3, 1:4] = 1
    mask = labels == 1
    return evaluate_run(
        spec=_spec(),
        truths=[labels, labels],
        predictions=[QueryPrediction(query_id="which", masks={0: mask})],
        latencies_s=[0.05, 0.07],
        frames_sent=2,
        bag="/bags/b",
        model="m",
        model_is_random=random,
    )


def test_run_report_adds_answers_latency_and_run_sections_to_both_files(tmp_path: Path) -> None:
    files = write_run_report(_result(False), _details(tmp_path, random=False), tmp_path / "out")
    data = json.loads(files.json.read_text())
    assert data["format"] == "unipixel_ros.report/1"
    assert data["summary"]["segment_ciou"] == 1.0 and data["summary"]["answer_accuracy"] == 0.5
    run = data["run"]
    assert run["answer_latency_ms"]["count"] == 1 and run["answer_latency_ms"]["p50"] == 120.0
    assert run["request_round_trip_ms"]["max"] == 125.0
    assert run["requests_failed"] == 1
    assert [r["query_id"] for r in run["requests"]] == ["which", "colour"]
    assert run["replay"] == "as fast as the node takes it"
    assert run["notes"] == ["a note for the reader"]
    markdown = files.markdown.read_text()
    sections = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Summary",
        "## Latency",
        "## Queries",
        "## Answers",
        "## Answer latency",
        "## Run",
        "## Plots",
    ]
    assert "busy \\| try later" in markdown  # a failure shows its message, table-safe
    assert "frames_processed 2, frames_dropped 0" in markdown and "unlisted" not in markdown
    assert "RANDOM" not in markdown


def test_a_random_model_run_says_so_in_the_report(tmp_path: Path) -> None:
    files = write_run_report(_result(True), _details(tmp_path, random=True), tmp_path / "out")
    markdown = files.markdown.read_text()
    assert "RANDOM weights" in markdown.split("## Summary")[0]
    assert json.loads(files.json.read_text())["model_is_random"] is True


def test_a_recorded_rate_replay_is_named_by_its_factor(tmp_path: Path) -> None:
    details = _details(tmp_path, random=False)
    details = RunDetails(**{**details.__dict__, "rate": 2.0})
    files = write_run_report(_result(False), details, tmp_path / "out")
    assert json.loads(files.json.read_text())["run"]["replay"] == "x2"
