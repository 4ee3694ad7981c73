from __future__ import annotations

import dataclasses

import pytest
from sample_data import SAMPLE_BAG

from unipixel_ros.errors import BagError
from unipixel_ros.evaluation.bags.bag_content import (
    frame_rate_hz,
    read_bag_content,
    read_bag_images,
)
from unipixel_ros.evaluation.bags.layout import BagTopics
from unipixel_ros.evaluation.scoring.queries import load_query_spec

SPEC = load_query_spec(SAMPLE_BAG / "queries.json")


def test_every_frame_has_ground_truth_and_a_short_bag_shows_every_frame() -> None:
    content = read_bag_content(SAMPLE_BAG, SPEC, BagTopics())
    assert len(content.truths) == SPEC.frame_count
    assert all(t is not None and t.shape == (SPEC.height, SPEC.width) for t in content.truths)
    assert content.gif_stride == 1 and content.gif_indices == tuple(range(SPEC.frame_count))
    assert [rgb.shape for rgb in content.gif_rgb] == [(SPEC.height, SPEC.width, 3)] * 4


def test_a_spec_of_another_bag_is_a_bag_error_naming_the_first_difference() -> None:
    other = dataclasses.replace(SPEC, stamps_ns=(1, *SPEC.stamps_ns[1:]))
    with pytest.raises(BagError, match=r"frame 0: stamp \d+ in the bag, 1 in the spec"):
        read_bag_content(SAMPLE_BAG, other, BagTopics())


def test_the_frame_rate_is_the_median_spacing_or_10_hz() -> None:
    assert frame_rate_hz([0, 100_000_000, 200_000_000, 400_000_000]) == pytest.approx(10.0)
    assert frame_rate_hz([0, 50_000_000, 100_000_000]) == pytest.approx(20.0)
    assert frame_rate_hz([5]) == 10.0 and frame_rate_hz([5, 5]) == 10.0


def test_the_images_of_chosen_frames_are_read_again_and_equal_the_first_pass() -> None:
    content = read_bag_content(SAMPLE_BAG, SPEC, BagTopics())
    images = read_bag_images(SAMPLE_BAG, SPEC, BagTopics(), {2, 0})
    assert sorted(images) == [0, 2]
    for index, rgb in images.items():
        assert (rgb == content.gif_rgb[index]).all()
    assert read_bag_images(SAMPLE_BAG, SPEC, BagTopics(), ()) == {}
