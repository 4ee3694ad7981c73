from __future__ import annotations

import json

import pytest

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.evaluation.scoring.queries import (
    ClickSuggestion,
    ObjectRecord,
    Query,
    QueryKind,
    QuerySpec,
    load_query_spec,
    save_query_spec,
)


def _spec(**changes: object) -> QuerySpec:
    values: dict[str, object] = {
        "source": "synthetic",
        "seed": 1,
        "image_topic": "/camera/color/image_raw",
        "ground_truth_topic": "/ground_truth/instances",
        "fixed_frame": "table",
        "width": 64,
        "height": 48,
        "stamps_ns": (10, 20),
        "objects": (ObjectRecord(object_id=1, kind="cup", colour="red", has_handle=True),),
        "clicks": (ClickSuggestion(object_id=1, frame_index=0, point_px=(5, 6)),),
        "queries": (
            Query(query_id="q", kind=QueryKind.SEGMENT, text="Which?", expected_ids=(1,)),
            Query(
                query_id="c",
                kind=QueryKind.CHOICE,
                text="What is <region>?",
                point_px=(5, 6),
                region_id=1,
                options=("cup", "box"),
                answer="cup",
            ),
        ),
    }
    values.update(changes)
    return QuerySpec(**values)  # type: ignore[arg-type]


def test_spec_saves_and_loads_unchanged(tmp_path):
    spec = _spec()
    path = save_query_spec(spec, tmp_path / "queries.json")
    loaded = load_query_spec(path)
    assert loaded == spec
    assert json.loads(path.read_text())["format"] == "unipixel_ros.queries/1"


def test_loading_a_missing_spec_raises_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"does not exist"):
        load_query_spec(tmp_path / "nope.json")


def test_loading_a_spec_of_another_format_raises_config_error(tmp_path):
    path = tmp_path / "queries.json"
    path.write_text(json.dumps({"format": "other/2"}))
    with pytest.raises(
        ConfigError, match=r"format must be 'unipixel_ros.queries/1', got 'other/2'"
    ):
        load_query_spec(path)


def test_loading_a_spec_with_a_missing_field_names_it(tmp_path):
    data = _spec().to_json()
    del data["stamps_ns"]
    path = tmp_path / "queries.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"malformed query spec: KeyError: 'stamps_ns'"):
        load_query_spec(path)


def test_choice_answer_must_be_one_of_the_options():
    with pytest.raises(ConfigError, match=r"answer 'bowl' is not in \('cup', 'box'\)"):
        Query(query_id="c", kind=QueryKind.CHOICE, options=("cup", "box"), answer="bowl")


def test_queries_on_frames_beyond_the_bag_are_rejected():
    late = Query(query_id="late", kind=QueryKind.TRACK, frame_index=2, point_px=(1, 1))
    with pytest.raises(ConfigError, match=r"asks on frame 2, but the bag has 2 frames"):
        _spec(queries=(late,))


def test_query_lookup_names_the_known_ids():
    with pytest.raises(BadInputError, match=r"no query 'x'; the spec has \['q', 'c'\]"):
        _spec().query("x")
