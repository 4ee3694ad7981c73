from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from unipixel_ros.errors import BadInputError
from unipixel_ros.evaluation.reports.pictures import ReplayPictures
from unipixel_ros.evaluation.reports.report import write_report
from unipixel_ros.evaluation.scoring.evaluate import EvaluationResult, QueryScore
from unipixel_ros.evaluation.scoring.metrics import summarize_latency, track_scores
from unipixel_ros.evaluation.scoring.queries import QueryKind
from unipixel_ros.visualization.overlay import OverlayObject


def _result(model_is_random: bool) -> EvaluationResult:
    truth = np.zeros((8, 8), dtype=bool)
    truth[2:6, 2:6] = True
    track = track_scores([truth, np.zeros_like(truth)], [truth, truth])
    return EvaluationResult(
        bag="/data/sample",
        model="unipixel-3b",
        model_is_random=model_is_random,
        queries=(
            QueryScore(
                query_id="graspable_cup",
                kind=QueryKind.SEGMENT,
                question="Which cup is graspable?",
                expected="[2]",
                predicted="[2]",
                correct=True,
                iou=0.8125,
            ),
            QueryScore(
                query_id="click_1",
                kind=QueryKind.TRACK,
                question="click (3, 4)",
                expected="[1]",
                predicted="[1]",
                correct=True,
                track=track,
            ),
        ),
        segment_ciou=0.8125,
        segment_giou=0.8125,
        latency=summarize_latency([0.012, 0.018, 0.030], frames_sent=4),
        latencies_ms=(12.0, 18.0, 30.0),
        machine="test-machine",
        created_utc="2026-11-23T08:00:00+00:00",
    )


def _pictures() -> ReplayPictures:
    rgb = [np.full((24, 32, 3), 90, np.uint8)] * 2
    mask = np.zeros((24, 32), bool)
    mask[4:10, 4:12] = True
    objects = [
        [OverlayObject(object_id=1, label="cup", score=3.0, lost=False, mask=mask)],
        [],
    ]
    return ReplayPictures(frame_indices=(0, 1), rgb=rgb, objects=objects, stamps_ns=(0, 10**8))


def test_report_writes_every_file_with_the_numbers(tmp_path):
    files = write_report(_result(False), tmp_path / "out", pictures=_pictures())
    for path in (
        files.markdown,
        files.json,
        files.html,
        files.iou_plot,
        files.latency_plot,
        files.overlay_gif,
    ):
        assert path is not None and path.exists() and path.stat().st_size > 0
    data = json.loads(files.json.read_text())
    assert data["summary"]["segment_ciou"] == 0.8125
    assert data["summary"]["track_jf"] == 0.5  # J = (1 + 0) / 2, F = (1 + 0) / 2
    assert data["latency"]["p50_ms"] == pytest.approx(18.0)
    assert data["latency"]["frames_dropped"] == 1
    assert data["queries"][1]["j_per_frame"] == [1.0, 0.0]
    markdown = files.markdown.read_text()
    assert "| cIoU (segment queries) | 0.812 |" in markdown
    assert "| J&F (tracks) | 0.500 |" in markdown
    assert "| 4 | 1 | 18.000 |" in markdown
    assert "RANDOM weights" not in markdown
    assert "![overlay](overlay.gif)" in markdown
    with Image.open(files.iou_plot) as image:
        assert image.format == "PNG"
    assert "RANDOM" not in files.html.read_text()


def test_report_of_random_weights_says_so_plainly(tmp_path):
    files = write_report(_result(True), tmp_path)
    assert "RANDOM weights" in files.markdown.read_text()
    assert "RANDOM weights" in files.html.read_text()
    assert json.loads(files.json.read_text())["model_is_random"] is True
    assert files.overlay_gif is None and files.track_strips == ()


def test_replay_pictures_reject_unpaired_overlay_frames():
    with pytest.raises(BadInputError, match=r"one image and one object list per GIF frame"):
        ReplayPictures(
            frame_indices=(0,), rgb=[np.zeros((4, 4, 3), np.uint8)], objects=[], stamps_ns=(0,)
        )
