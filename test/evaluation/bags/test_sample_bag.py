"""The small bag kept in the suite (test/data/sample_tabletop) stays readable.

It was written by ``generate_sample_bag(path, seed=0, frames=4, width=128, height=96,
compress=True)``; it guards the reader against format drift, whatever the generator does later.
"""

from __future__ import annotations

import numpy as np
import pytest
from sample_data import SAMPLE_BAG

from unipixel_ros.evaluation.bags.layout import QUERIES_FILE_NAME
from unipixel_ros.evaluation.bags.reader import read_bag_frames
from unipixel_ros.evaluation.scoring.queries import QueryKind, load_query_spec

SAMPLE = SAMPLE_BAG


@pytest.fixture(scope="module")
def frames():
    return list(read_bag_frames(SAMPLE, require_depth=True, require_ground_truth=True))


@pytest.fixture(scope="module")
def spec():
    return load_query_spec(SAMPLE / QUERIES_FILE_NAME)


def test_sample_bag_has_every_frame_the_spec_lists(frames, spec):
    assert [frame.stamp_ns for frame in frames] == list(spec.stamps_ns)
    assert all(frame.rgb.shape == (spec.height, spec.width, 3) for frame in frames)


def test_sample_bag_ground_truth_holds_every_object(frames, spec):
    ids = {obj.object_id for obj in spec.objects}
    assert set(np.unique(frames[0].instance_labels)) - {0} == ids


def test_sample_bag_clicks_land_on_their_objects(frames, spec):
    for click in spec.clicks:
        u, v = click.point_px
        assert frames[click.frame_index].instance_labels[v, u] == click.object_id


def test_sample_bag_expects_graspable_cups_with_handles(spec):
    query = spec.query("graspable_cup")
    assert query.kind is QueryKind.SEGMENT and query.expected_ids
    objects = {obj.object_id: obj for obj in spec.objects}
    for object_id in query.expected_ids:
        assert objects[object_id].kind == "cup"
        assert objects[object_id].has_handle and objects[object_id].upright
        assert objects[object_id].attributes["graspable"] is True


def test_sample_bag_depth_and_pose_are_plausible(frames):
    for frame in frames:
        assert np.nanmin(frame.depth_m) > 0.2
        assert frame.camera_pose is not None
        # The camera looks down at the table from above it.
        assert frame.camera_pose.translation[2] > 0.3
        assert frame.camera_pose.rotation[2, 2] < 0.0
