"""Questions and answers nano is trained on, drawn from a scene's ground truth.

Answer formats follow the reference's training data: text -> mask answers are
``"Sure, it is <|seg|>."`` (one of its ``SEG_RESPONSES``); region questions name the object as
``"[0] <|ref|>"``; memory questions name it ``"[0]"`` after the ``<|mem|>`` preamble.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from unipixel_ros.model import REF_TOKEN, SEG_TOKEN
from unipixel_ros.nano.dataset import COLOURS, KINDS, SceneArrays
from unipixel_ros.synthetic import GRASPABLE_CUP_QUESTION

__all__ = [
    "SEG_RESPONSE",
    "RegionQuestion",
    "SegQuestion",
    "region_question",
    "region_text",
    "seg_question",
]

SEG_RESPONSE = f"Sure, it is {SEG_TOKEN}."
_CUP = KINDS.index("cup")


@dataclass(frozen=True, kw_only=True)
class SegQuestion:
    """A text -> mask question.

    Attributes:
        question: user text.
        response: the answer, with one ``<|seg|>``.
        object_ids: instance ids the mask must cover (the union of their pixels).
    """

    question: str
    response: str
    object_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class RegionQuestion:
    """A question about one object, to be asked with ``<|ref|>`` or ``<|mem|>``.

    Attributes:
        template: text with ``{region}`` where the object reference goes.
        response: the answer.
        object_id: the object asked about.
    """

    template: str
    response: str
    object_id: int


def seg_question(arrays: SceneArrays, scene: int, rng: np.random.Generator) -> SegQuestion:
    """ "Please segment the <colour> <kind>." for a random object, or, one time in three,
    "Which cup is graspable?" (answered by the union of the graspable cups)."""
    slots = arrays.object_slots(scene)
    if rng.random() < 1.0 / 3.0:
        ids = tuple(j + 1 for j in slots if arrays.graspable[scene, j])
        return SegQuestion(question=GRASPABLE_CUP_QUESTION, response=SEG_RESPONSE, object_ids=ids)
    slot = slots[int(rng.integers(len(slots)))]
    name = f"{COLOURS[arrays.colour[scene, slot]]} {KINDS[arrays.kind[scene, slot]]}"
    return SegQuestion(
        question=f"Please segment the {name}.", response=SEG_RESPONSE, object_ids=(slot + 1,)
    )


def region_question(
    arrays: SceneArrays, scene: int, slot: int, rng: np.random.Generator
) -> RegionQuestion:
    """Colour, kind, handle (cups) or a short description of the object in ``slot``."""
    colour = COLOURS[arrays.colour[scene, slot]]
    kind = KINDS[arrays.kind[scene, slot]]
    choices = [
        ("What colour is {region}?", f"{colour}."),
        ("What kind of object is {region}?", f"{kind}."),
        ("Please describe {region}.", f"It is a {colour} {kind}."),
    ]
    if arrays.kind[scene, slot] == _CUP:
        answer = "yes." if arrays.has_handle[scene, slot] else "no."
        choices.append(("Does {region} have a handle?", answer))
    template, response = choices[int(rng.integers(len(choices)))]
    return RegionQuestion(template=template, response=response, object_id=slot + 1)


def region_text(template: str, *, with_ref: bool) -> str:
    """Fill ``{region}`` with ``"[0] <|ref|>"`` (visual prompt) or ``"[0]"`` (memory)."""
    return template.format(region=f"[0] {REF_TOKEN}" if with_ref else "[0]")
