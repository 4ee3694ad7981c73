from __future__ import annotations

import math

import numpy as np
import pytest
from scene_object_factory import make_object

from unipixel_ros.errors import BadInputError
from unipixel_ros.synthetic.camera import PinholeCamera, RigidTransform
from unipixel_ros.synthetic.renderer import render_view
from unipixel_ros.synthetic.scene_objects import Colour, ObjectKind, SceneObject

CAMERA = PinholeCamera.from_horizontal_fov(width=96, height=72, fov_deg=60.0)
# Looking at the table's middle from the robot's side (-y), 45 degrees up.
POSE = RigidTransform.optical_look_at(
    eye=np.array([0.0, -0.45, 0.45]), target=np.array([0.0, 0.0, 0.03])
)


def _box(object_id: int, x: float, y: float) -> SceneObject:
    return make_object(ObjectKind.BOX, object_id=object_id, colour=Colour.RED, position_xy=(x, y))


def _cup(yaw_rad: float) -> SceneObject:
    return SceneObject(
        object_id=1,
        kind=ObjectKind.CUP,
        colour=Colour.WHITE,
        position_xy=(0.0, 0.0),
        yaw_rad=yaw_rad,
        size=(0.04, 0.09),
        has_handle=True,
    )


def _table_points(depth: np.ndarray) -> np.ndarray:
    """Back-project every pixel's depth into the table frame, `(h, w, 3)`."""
    return POSE.apply(CAMERA.pixel_rays() * depth[..., None].astype(np.float64))


def test_render_view_outputs_have_the_documented_shapes_and_dtypes():
    view = render_view(camera=CAMERA, camera_pose=POSE, objects=(_box(1, 0.0, 0.0),))
    assert view.rgb.shape == (72, 96, 3) and view.rgb.dtype == np.uint8
    assert view.depth_m.shape == (72, 96) and view.depth_m.dtype == np.float32
    assert view.instance_labels.shape == (72, 96) and view.instance_labels.dtype == np.uint16


def test_depth_of_box_pixels_back_projects_onto_the_box():
    box = _box(4, 0.02, 0.01)
    view = render_view(camera=CAMERA, camera_pose=POSE, objects=(box,))
    points = _table_points(view.depth_m)[view.instance_labels == 4]
    assert len(points) > 50
    local = box.pose.inverse().apply(points)
    tolerance = 1e-4  # float32 depth
    assert np.all(np.abs(local[:, 0]) <= 0.04 + tolerance)
    assert np.all(np.abs(local[:, 1]) <= 0.03 + tolerance)
    assert np.all((local[:, 2] >= -tolerance) & (local[:, 2] <= 0.1 + tolerance))


def test_depth_of_table_pixels_back_projects_onto_the_table_plane():
    view = render_view(camera=CAMERA, camera_pose=POSE, objects=(_box(1, 0.0, 0.0),))
    points = _table_points(view.depth_m)
    table = (view.instance_labels == 0) & (np.abs(points[..., 2]) < 0.01)
    assert table.sum() > 1000
    assert np.abs(points[table][:, 2]).max() < 1e-4


def test_an_object_behind_another_is_partly_occluded():
    front, back = _box(1, 0.0, -0.05), _box(2, 0.01, 0.07)
    alone = render_view(camera=CAMERA, camera_pose=POSE, objects=(back,))
    together = render_view(camera=CAMERA, camera_pose=POSE, objects=(front, back))
    assert alone.visibility[2].occluded_fraction == 0.0
    assert 0.0 < together.visibility[2].occluded_fraction < 1.0
    assert together.visibility[2].silhouette_px == alone.visibility[2].silhouette_px
    assert together.visibility[1].occluded_fraction == 0.0


def test_a_handle_facing_the_camera_is_visible_and_one_facing_away_is_not():
    # The camera sits on the -y side; yaw -pi/2 points the handle at it.
    towards = render_view(camera=CAMERA, camera_pose=POSE, objects=(_cup(-math.pi / 2),))
    away = render_view(camera=CAMERA, camera_pose=POSE, objects=(_cup(math.pi / 2),))
    assert towards.visibility[1].handle_visible_fraction > 0.9
    assert away.visibility[1].handle_visible_fraction < 0.2
    assert away.visibility[1].handle_silhouette_px > 0


def test_noise_is_deterministic_for_a_seeded_generator():
    objects = (_box(1, 0.0, 0.0),)
    first = render_view(
        camera=CAMERA, camera_pose=POSE, objects=objects, noise_rng=np.random.default_rng(5)
    )
    second = render_view(
        camera=CAMERA, camera_pose=POSE, objects=objects, noise_rng=np.random.default_rng(5)
    )
    clean = render_view(camera=CAMERA, camera_pose=POSE, objects=objects)
    np.testing.assert_array_equal(first.rgb, second.rgb)
    assert not np.array_equal(first.rgb, clean.rgb)


def test_render_view_rejects_duplicate_ids():
    with pytest.raises(BadInputError, match=r"distinct, got \[1, 1\]"):
        render_view(camera=CAMERA, camera_pose=POSE, objects=(_box(1, 0, 0), _box(1, 0.2, 0)))
