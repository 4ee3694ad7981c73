from __future__ import annotations

import pytest
from scene_object_factory import make_cup, make_object

from unipixel_ros.errors import ConfigError
from unipixel_ros.synthetic.graspability import GraspabilityRule
from unipixel_ros.synthetic.renderer import ObjectVisibility
from unipixel_ros.synthetic.scene_objects import ObjectKind, SceneObject

RULE = GraspabilityRule()
CLEAR = ObjectVisibility(
    silhouette_px=1000, visible_px=1000, handle_silhouette_px=100, handle_visible_px=100
)


def _cup(**changes: object) -> SceneObject:
    # Handle along +x (yaw 0); tip at (0.04 + 0.027, 0): 0.45 m from the robot base (0, -0.45).
    return make_cup(**{"position_xy": (0.0, 0.0), **changes})


def _reason(cup: SceneObject, visibility: ObjectVisibility = CLEAR, others=()) -> str:
    return RULE.assess(cup, visibility=visibility, others=(cup, *others)).reason


def test_an_upright_visible_reachable_unblocked_cup_is_graspable():
    verdict = RULE.assess(_cup(), visibility=CLEAR, others=())
    assert verdict.graspable
    assert verdict.reason == "graspable"


def test_a_cup_without_handle_or_lying_down_is_not_graspable():
    assert _reason(_cup(has_handle=False)) == "no handle"
    assert _reason(_cup(upright=False)) == "not upright"


def test_a_hidden_handle_makes_a_cup_ungraspable():
    hidden = ObjectVisibility(
        silhouette_px=1000, visible_px=1000, handle_silhouette_px=100, handle_visible_px=49
    )
    assert _reason(_cup(), hidden) == "handle hidden"


def test_a_cup_beyond_reach_is_not_graspable():
    # Tip at y = 0.2: distance to (0, -0.45) is hypot(0.067, 0.65) > 0.62.
    assert _reason(_cup(position_xy=(0.0, 0.2))) == "out of reach"


def test_an_object_next_to_the_handle_blocks_the_grasp():
    # Footprint radius 0.05: its edge is 0.003 m from the tip at 0.067.
    box = make_object(ObjectKind.BOX, position_xy=(0.12, 0.0))
    assert _reason(_cup(), others=(box,)) == "handle blocked"


def test_an_occluded_cup_is_not_graspable():
    occluded = ObjectVisibility(
        silhouette_px=1000, visible_px=850, handle_silhouette_px=100, handle_visible_px=100
    )
    assert _reason(_cup(), occluded) == "occluded"


def test_bowls_are_never_graspable_cups():
    bowl = make_object(ObjectKind.BOWL, object_id=3)
    assert _reason(bowl) == "not a cup"


def test_rule_rejects_fractions_outside_zero_to_one():
    with pytest.raises(ConfigError, match=r"max_occluded_fraction must be in \[0, 1\], got 1.5"):
        GraspabilityRule(max_occluded_fraction=1.5)
