"""The evaluation pipeline with a steered tiny checkpoint, whose every answer is "[0] <|seg|>",
so queries name one object with a real (random SAM 2.1) mask: the scores must be exactly the
ones the recorded masks give against the ground truth."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rosbags.rosbag2 import Reader
from sample_data import SAMPLE_BAG

from unipixel_ros.evaluation.bags.interface_types import interface_typestore
from unipixel_ros.evaluation.bags.reader import read_bag_frames
from unipixel_ros.evaluation.scoring.metrics import region_similarity
from unipixel_ros.evaluation.scoring.queries import load_query_spec, save_query_spec
from unipixel_ros.model import SEG_TOKEN
from unipixel_ros.ros.evaluation.run import evaluate_bag
from unipixel_ros.ros.evaluation.run_records import EvaluationConfig

pytestmark = pytest.mark.ros

BAG = SAMPLE_BAG
QUERY_IDS = ("graspable_cup", "refer_1", "click_3", "colour_of_3")


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory, seg_checkpoint: Path):
    spec = load_query_spec(BAG / "queries.json")
    spec = dataclasses.replace(spec, queries=tuple(spec.query(i) for i in QUERY_IDS))
    spec_path = save_query_spec(spec, tmp_path_factory.mktemp("spec") / "queries.json")
    progress = []
    config = EvaluationConfig(
        bag=BAG,
        out_dir=tmp_path_factory.mktemp("eval"),
        model_path=str(seg_checkpoint),
        queries=spec_path,
        rate=0.0,
        describe_tracked=True,
    )
    result = evaluate_bag(config, on_progress=progress.append)
    return result, progress


def _requests(evaluation) -> dict:
    return {request.query_id: request for request in evaluation.details.requests}


def _recorded_masks(bag: Path) -> dict[int, dict[int, np.ndarray]]:
    """Stamp -> object id -> mask, decoded from the result bag with rosbags alone."""
    store = interface_typestore()
    frames: dict[int, dict[int, np.ndarray]] = {}
    with Reader(bag) as reader:
        masks = [c for c in reader.connections if c.topic == "/unipixel/masks"]
        for connection, _, raw in reader.messages(connections=masks):
            msg = store.deserialize_cdr(raw, connection.msgtype)
            stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
            frames[stamp] = {
                int(obj.object_id): np.asarray(obj.mask.data).reshape(obj.mask.height, -1)[
                    :, : obj.mask.width
                ]
                > 0
                for obj in msg.objects
            }
    return frames


def test_every_request_succeeds_with_the_steered_answer(evaluation) -> None:
    result, _ = evaluation
    requests = _requests(result)
    assert all(r.success for r in requests.values()), requests
    graspable = requests["graspable_cup"]
    assert graspable.answer == f"[0] {SEG_TOKEN}" and len(graspable.object_ids) == 1
    assert graspable.frame_index == 0 and graspable.total_ms is not None
    assert not result.result.model_is_random  # a checkpoint directory is not announced random


def test_a_choice_about_a_clicked_object_is_asked_by_its_tracked_id(evaluation) -> None:
    requests = _requests(evaluation[0])
    (clicked,) = requests["click_3"].object_ids
    colour = requests["colour_of_3"]
    assert colour.service == "describe"
    assert colour.request == f"What colour is [0]? ([0] = tracked object {clicked})"
    assert colour.object_ids == (clicked,)


def test_track_scores_are_the_ious_of_the_recorded_masks(evaluation) -> None:
    result, _ = evaluation
    requests = _requests(result)
    recorded = _recorded_masks(result.details.result_bag)
    frames = list(read_bag_frames(BAG))
    scores = {score.query_id: score for score in result.result.queries}
    for query_id, expected_id, first in (("refer_1", 1, 1), ("click_3", 3, 1)):
        ids = requests[query_id].object_ids
        expected = []
        for frame in frames[first:]:
            masks = recorded[frame.stamp_ns]
            union = np.zeros(frame.instance_labels.shape, dtype=bool)
            for object_id in ids:
                union |= masks[object_id]
            expected.append(region_similarity(union, frame.instance_labels == expected_id))
        track = scores[query_id].track
        assert track is not None
        assert list(track.j_per_frame[-len(expected) :]) == pytest.approx(expected)


def test_progress_reaches_every_frame_and_names_each_query(evaluation) -> None:
    _, progress = evaluation
    assert progress[-1].frames_sent == progress[-1].frame_count == 4
    assert set(QUERY_IDS) <= {update.activity for update in progress}


def test_the_report_pictures_are_at_the_bag_resolution_one_strip_per_scored_track(
    evaluation,
) -> None:
    result, _ = evaluation
    files = result.files
    spec = load_query_spec(BAG / "queries.json")
    with Image.open(files.overlay_gif) as gif:
        assert gif.n_frames == spec.frame_count
        assert gif.width == spec.width and gif.height > spec.height  # the timeline under it
    tracks = [s.query_id for s in result.result.queries if s.track is not None]
    assert [path.name for path in files.track_strips] == [f"track_{q}.png" for q in tracks]
    for path in files.track_strips:
        with Image.open(path) as strip:
            assert strip.width >= spec.width and strip.height > spec.height
    html = files.html.read_text(encoding="utf-8")
    assert html.count('src="data:image/') == 3 + len(tracks)
    assert files.html.parent == files.markdown.parent == files.json.parent
