from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.synthetic.camera import OPTICAL_IN_CAMERA_LINK, PinholeCamera, RigidTransform


def test_camera_from_horizontal_fov_centres_the_principal_point():
    camera = PinholeCamera.from_horizontal_fov(width=640, height=480, fov_deg=90.0)
    # tan(45 deg) = 1, so fx = width / 2.
    assert camera.fx == pytest.approx(320.0)
    assert (camera.cx, camera.cy) == (319.5, 239.5)
    np.testing.assert_allclose(camera.matrix, [[320, 0, 319.5], [0, 320, 239.5], [0, 0, 1]])


def test_camera_rejects_non_positive_sizes():
    with pytest.raises(ConfigError, match=r"width=0 height=10"):
        PinholeCamera(width=0, height=10, fx=1.0, fy=1.0, cx=0.0, cy=0.0)


def test_pixel_rays_project_back_onto_their_pixels():
    camera = PinholeCamera.from_horizontal_fov(width=8, height=6, fov_deg=60.0)
    rays = camera.pixel_rays()
    points = (rays * 2.5).reshape(-1, 3)  # 2.5 m deep along every ray
    pixels = camera.project(points).reshape(6, 8, 2)
    np.testing.assert_allclose(pixels[..., 0], np.broadcast_to(np.arange(8), (6, 8)), atol=1e-9)
    np.testing.assert_allclose(pixels[..., 1], np.broadcast_to(np.arange(6)[:, None], (6, 8)))


def test_project_rejects_points_behind_the_camera():
    camera = PinholeCamera.from_horizontal_fov(width=8, height=6, fov_deg=60.0)
    with pytest.raises(BadInputError, match=r"in front of the camera"):
        camera.project(np.array([[0.0, 0.0, -1.0]]))


def test_quaternion_round_trip_preserves_the_rotation():
    rng = np.random.default_rng(3)
    for _ in range(20):
        q = rng.normal(size=4)
        pose = RigidTransform.from_quaternion(xyzw=tuple(q), translation=(1.0, 2.0, 3.0))
        again = RigidTransform.from_quaternion(
            xyzw=pose.quaternion_xyzw(), translation=(1.0, 2.0, 3.0)
        )
        np.testing.assert_allclose(again.rotation, pose.rotation, atol=1e-12)


def test_optical_frame_axes_follow_rep_103_in_the_camera_link():
    # Optical z (forward) is link x; optical x (right) is link -y; optical y (down) is link -z.
    np.testing.assert_allclose(OPTICAL_IN_CAMERA_LINK.rotation[:, 2], [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(OPTICAL_IN_CAMERA_LINK.rotation[:, 0], [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(OPTICAL_IN_CAMERA_LINK.rotation[:, 1], [0, 0, -1], atol=1e-12)


def test_optical_look_at_puts_the_target_on_the_optical_axis_with_the_table_below():
    eye = np.array([0.1, -0.6, 0.5])
    target = np.array([0.0, 0.0, 0.05])
    pose = RigidTransform.optical_look_at(eye=eye, target=target)
    in_camera = pose.inverse().apply(target)
    assert in_camera[0] == pytest.approx(0.0, abs=1e-12)
    assert in_camera[1] == pytest.approx(0.0, abs=1e-12)
    assert in_camera[2] == pytest.approx(np.linalg.norm(target - eye))
    # Optical y points down: its table-frame z component is negative.
    assert pose.rotation[2, 1] < 0.0


def test_composition_and_inverse_cancel():
    a = RigidTransform.about_z(angle_rad=0.7, translation=(1.0, -2.0, 0.5))
    b = RigidTransform.from_quaternion(xyzw=(0.1, 0.2, 0.3, 0.9), translation=(0.0, 0.3, 0.0))
    identity = (a @ b) @ (a @ b).inverse()
    np.testing.assert_allclose(identity.matrix, np.eye(4), atol=1e-12)


def test_rigid_transform_rejects_a_non_rotation():
    with pytest.raises(BadInputError, match=r"not orthonormal"):
        RigidTransform(rotation=np.diag([1.0, 2.0, 1.0]), translation=np.zeros(3))
