from __future__ import annotations

import numpy as np

from unipixel_ros.nano import (
    COLOURS,
    KINDS,
    SEG_RESPONSE,
    SceneArrays,
    region_question,
    region_text,
    seg_question,
)
from unipixel_ros.synthetic import GRASPABLE_CUP_QUESTION


def test_segment_questions_name_an_object_of_the_scene_by_colour_and_kind(
    small_scenes: SceneArrays,
) -> None:
    rng = np.random.default_rng(0)
    named = [seg_question(small_scenes, 0, rng) for _ in range(30)]
    by_name = [q for q in named if q.question != GRASPABLE_CUP_QUESTION]
    assert by_name
    for question in by_name:
        (object_id,) = question.object_ids
        slot = object_id - 1
        colour, kind = COLOURS[small_scenes.colour[0, slot]], KINDS[small_scenes.kind[0, slot]]
        assert question.question == f"Please segment the {colour} {kind}."
        assert question.response == SEG_RESPONSE == "Sure, it is <|seg|>."


def test_graspable_question_expects_exactly_the_graspable_cups(small_scenes: SceneArrays) -> None:
    rng = np.random.default_rng(1)
    asked = [seg_question(small_scenes, 1, rng) for _ in range(30)]
    graspable = [q for q in asked if q.question == GRASPABLE_CUP_QUESTION]
    assert graspable
    expected = {j + 1 for j in small_scenes.object_slots(1) if small_scenes.graspable[1, j]}
    assert all(set(q.object_ids) == expected for q in graspable)


def test_region_questions_answer_with_the_objects_colour_kind_or_handle(
    small_scenes: SceneArrays,
) -> None:
    rng = np.random.default_rng(2)
    slot = small_scenes.object_slots(2)[0]
    colour, kind = COLOURS[small_scenes.colour[2, slot]], KINDS[small_scenes.kind[2, slot]]
    for _ in range(20):
        question = region_question(small_scenes, 2, slot, rng)
        assert question.object_id == slot + 1
        if question.template.startswith("What colour"):
            assert question.response == f"{colour}."
        elif question.template.startswith("What kind"):
            assert question.response == f"{kind}."
        elif question.template.startswith("Please describe"):
            assert question.response == f"It is a {colour} {kind}."
        else:
            assert question.response == ("yes." if small_scenes.has_handle[2, slot] else "no.")


def test_region_text_names_the_object_with_ref_or_plain_id() -> None:
    assert region_text("What colour is {region}?", with_ref=True) == "What colour is [0] <|ref|>?"
    assert region_text("What colour is {region}?", with_ref=False) == "What colour is [0]?"
