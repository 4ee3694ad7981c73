from __future__ import annotations

import math

import numpy as np
import pytest
from scene_object_factory import make_cup, make_object

from unipixel_ros.errors import ConfigError
from unipixel_ros.synthetic.scene_objects import Colour, ObjectKind


def test_upright_cup_handle_tip_points_along_its_yaw():
    cup = make_cup(yaw_rad=math.pi / 2)
    tip = cup.handle_tip()
    # Handle arc radius 0.3 * 0.09 = 0.027; tip at body radius + arc radius along +y.
    np.testing.assert_allclose(tip, [0.1, 0.05 + 0.04 + 0.027, 0.045], atol=1e-12)


def test_tipped_cup_rests_on_the_table_with_its_handle_up():
    cup = make_cup(upright=False)
    pose = cup.pose
    # The lowest point of the body (local x = -radius) touches the table.
    lowest = pose.apply(np.array([-0.04, 0.0, 0.045]))
    assert lowest[2] == pytest.approx(0.0, abs=1e-12)
    assert cup.handle_tip()[2] > 0.04 + 0.04
    # The axis (local z) is horizontal.
    assert pose.rotation[2, 2] == pytest.approx(0.0, abs=1e-12)


def test_only_cups_have_handles():
    with pytest.raises(ConfigError, match=r"only cups have handles, got a bowl"):
        make_object(ObjectKind.BOWL, has_handle=True)


def test_boxes_need_three_sizes():
    with pytest.raises(ConfigError, match=r"box needs 3 positive sizes, got \(0.1, 0.1\)"):
        make_object(ObjectKind.BOX, size=(0.1, 0.1))


def test_object_id_zero_is_reserved_for_the_background():
    with pytest.raises(ConfigError, match=r"object_id must be >= 1"):
        make_cup(object_id=0)


def test_describe_names_colour_and_kind():
    assert make_cup(colour=Colour.GREEN).describe() == "green cup"
