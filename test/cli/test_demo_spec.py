"""The demo's three steps, derived from a generated bag's query spec."""

from __future__ import annotations

import dataclasses

import pytest
from sample_data import SAMPLE_BAG

from unipixel_ros.cli.demo import DEMO_SEED, demo_spec
from unipixel_ros.errors import ConfigError
from unipixel_ros.evaluation.scoring.queries import QueryKind, load_query_spec
from unipixel_ros.nano.dataset import EVAL_SEEDS, TRAIN_SEEDS

SPEC = SAMPLE_BAG / "queries.json"


def test_demo_asks_for_the_graspable_cup_clicks_it_then_asks_about_it_later() -> None:
    spec = load_query_spec(SPEC)
    demo = demo_spec(spec)
    graspable, click, question = demo.queries
    original = spec.query("graspable_cup")
    assert graspable == original
    (cup,) = original.expected_ids[:1]
    suggested = next(c for c in spec.clicks if c.object_id == cup)
    assert click.kind is QueryKind.TRACK and click.text is None
    assert (click.point_px, click.frame_index, click.expected_ids) == (
        suggested.point_px,
        suggested.frame_index,
        (cup,),
    )
    assert question.kind is QueryKind.CHOICE and question.region_id == cup
    assert question.query_id.startswith("colour_of_")
    assert question.answer == spec.query(question.query_id).answer
    assert suggested.frame_index < question.frame_index < spec.frame_count
    assert demo.stamps_ns == spec.stamps_ns and demo.objects == spec.objects


def test_a_spec_without_the_graspable_question_is_refused() -> None:
    spec = load_query_spec(SPEC)
    others = tuple(q for q in spec.queries if q.kind is not QueryKind.SEGMENT)
    with pytest.raises(ConfigError, match="no segment query 'Which cup is graspable\\?'"):
        demo_spec(dataclasses.replace(spec, queries=others))


def test_a_graspable_cup_without_a_suggested_click_is_refused() -> None:
    spec = load_query_spec(SPEC)
    cup = spec.query("graspable_cup").expected_ids[0]
    clicks = tuple(c for c in spec.clicks if c.object_id != cup)
    with pytest.raises(ConfigError, match=f"no click on object {cup}"):
        demo_spec(dataclasses.replace(spec, clicks=clicks))


def test_the_demo_scene_is_one_nano_never_trained_on() -> None:
    assert DEMO_SEED in EVAL_SEEDS and DEMO_SEED not in TRAIN_SEEDS
