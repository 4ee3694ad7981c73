from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError
from unipixel_ros.visualization.palette import (
    MAX_ASSIGNED_COLOURS,
    PALETTE,
    ColourAssignments,
    colour_distance,
    instance_colour,
    most_distinct_colour,
)


def test_colour_distance_is_cie76_delta_e():
    assert colour_distance((255, 255, 255), (255, 255, 255)) == 0.0
    assert colour_distance((0, 0, 0), (255, 255, 255)) == pytest.approx(100.0, abs=0.1)


def test_the_most_distinct_colour_is_the_palette_entry_furthest_away():
    red = (200, 30, 30)
    chosen = most_distinct_colour(red)
    assert chosen in PALETTE
    assert colour_distance(red, chosen) == pytest.approx(
        max(colour_distance(red, c) for c in PALETTE)
    )


def test_taken_colours_are_skipped_until_every_entry_is_taken():
    red = (200, 30, 30)
    first = most_distinct_colour(red)
    second = most_distinct_colour(red, taken=frozenset({first}))
    assert second != first
    assert most_distinct_colour(red, taken=frozenset(PALETTE)) == first


def test_assignments_choose_once_and_keep_the_colour():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[:2] = (200, 30, 30)
    mask = np.zeros((4, 4), bool)
    mask[:2] = True
    colours = ColourAssignments()
    chosen = colours.colour_for(5, rgb, mask)
    assert chosen == most_distinct_colour((200, 30, 30))
    assert (
        colours.colour_for(5, np.full((4, 4, 3), 255 - np.array(chosen), np.uint8), mask) == chosen
    )


def test_assignments_forget_the_id_drawn_longest_ago_beyond_their_capacity():
    rgb = np.zeros((2, 2, 3), np.uint8)
    mask = np.ones((2, 2), bool)
    colours = ColourAssignments()
    for object_id in range(1, MAX_ASSIGNED_COLOURS + 1):
        colours.colour_for(object_id, rgb, mask)
    colours.colour_for(1, rgb, mask)  # drawn again: now the newest
    colours.colour_for(MAX_ASSIGNED_COLOURS + 1, rgb, mask)
    assert len(colours) == MAX_ASSIGNED_COLOURS
    assert colours.get(1) is not None and colours.get(2) is None


def test_assignments_reject_a_mask_of_another_size():
    with pytest.raises(BadInputError, match=r"mask \(2, 2\) does not match the frame \(4, 4\)"):
        ColourAssignments().colour_for(1, np.zeros((4, 4, 3), np.uint8), np.ones((2, 2), bool))


def test_instance_colours_are_fixed_per_id_and_never_white_or_black():
    colours = [instance_colour(i) for i in range(1, 30)]
    assert colours[0] == PALETTE[0] and colours[12] == PALETTE[0]
    assert (255, 255, 255) not in colours and (0, 0, 0) not in colours
