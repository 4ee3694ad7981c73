from __future__ import annotations

import math

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.evaluation.scoring.queries import QueryKind, QuerySpec
from unipixel_ros.synthetic.scene_config import SceneConfig
from unipixel_ros.synthetic.scene_layout import generate_scene
from unipixel_ros.synthetic.scene_objects import ObjectKind
from unipixel_ros.synthetic.scene_queries import GRASPABLE_CUP_QUESTION

SMALL = SceneConfig(width=160, height=120, frame_count=3)


@pytest.fixture(scope="module")
def scene():
    return generate_scene(config=SMALL, seed=11)


def test_same_seed_gives_the_same_scene_and_spec():
    first = generate_scene(config=SMALL, seed=4)
    second = generate_scene(config=SMALL, seed=4)
    np.testing.assert_array_equal(first.render(2).rgb, second.render(2).rgb)
    np.testing.assert_array_equal(first.render(2).instance_labels, second.render(2).instance_labels)
    assert first.query_spec.to_json() == second.query_spec.to_json()


def test_different_seeds_give_different_layouts():
    first = generate_scene(config=SMALL, seed=4)
    second = generate_scene(config=SMALL, seed=5)
    assert [o.position_xy for o in first.objects] != [o.position_xy for o in second.objects]


def test_rendering_a_frame_twice_gives_the_same_pixels(scene):
    np.testing.assert_array_equal(scene.render(1).rgb, scene.render(1).rgb)


def test_scene_has_cups_a_bowl_and_a_box_in_distinct_colours_per_kind(scene):
    kinds = [o.kind for o in scene.objects]
    assert kinds.count(ObjectKind.CUP) >= 2
    assert ObjectKind.BOWL in kinds and ObjectKind.BOX in kinds
    pairs = [(o.kind, o.colour) for o in scene.objects]
    assert len(set(pairs)) == len(pairs)
    assert [o.object_id for o in scene.objects] == list(range(1, len(scene.objects) + 1))


def test_objects_do_not_overlap_on_the_table(scene):
    for a in scene.objects:
        for b in scene.objects:
            if a.object_id < b.object_id:
                gap = math.dist(a.position_xy, b.position_xy)
                assert gap >= a.footprint_radius + b.footprint_radius


def test_graspable_query_expects_exactly_the_cups_the_rule_accepts(scene):
    query = scene.query_spec.query("graspable_cup")
    assert query.text == GRASPABLE_CUP_QUESTION
    assert query.kind is QueryKind.SEGMENT
    accepted = {i for i, verdict in scene.grasp.items() if verdict.graspable}
    assert set(query.expected_ids) == accepted
    cups = {o.object_id for o in scene.objects if o.kind is ObjectKind.CUP}
    # The layout was redrawn until the question discriminates between cups.
    assert accepted and accepted < cups


def test_click_suggestions_land_on_their_objects(scene):
    labels = scene.render(0).instance_labels
    clicks = scene.query_spec.clicks
    assert {c.object_id for c in clicks} == {o.object_id for o in scene.objects}
    for click in clicks:
        u, v = click.point_px
        assert labels[v, u] == click.object_id


def test_choice_queries_hold_the_true_kind_and_colour(scene):
    spec = scene.query_spec
    for obj in scene.objects:
        assert spec.query(f"kind_of_{obj.object_id}").answer == obj.kind.value
        assert spec.query(f"colour_of_{obj.object_id}").answer == obj.colour.value


def test_camera_moves_slightly_between_first_and_last_frame(scene):
    first, last = scene.camera_poses[0], scene.camera_poses[-1]
    moved = np.linalg.norm(first.translation - last.translation)
    assert 0.001 < moved < 0.1


def test_stamps_follow_the_frame_rate(scene):
    stamps = scene.query_spec.stamps_ns
    assert len(stamps) == 3
    assert stamps[1] - stamps[0] == 100_000_000  # 10 Hz


def test_depth_mm_is_the_rounded_metric_depth(scene):
    frame = scene.render(0)
    assert frame.depth_mm.dtype == np.uint16
    assert abs(int(frame.depth_mm[60, 80]) - frame.depth_m[60, 80] * 1000.0) <= 0.5


def test_query_spec_survives_a_json_round_trip(scene):
    spec = scene.query_spec
    assert QuerySpec.from_json(spec.to_json()).to_json() == spec.to_json()


def test_render_rejects_frames_outside_the_scene(scene):
    with pytest.raises(BadInputError, match=r"frame index must be in \[0, 3\), got 3"):
        scene.render(3)


def test_config_rejects_too_few_objects():
    with pytest.raises(ConfigError, match=r"object_count must be in \[4, 10\], got 3"):
        SceneConfig(object_count=3)
