"""Pinhole camera model and rigid transforms for the synthetic scenes.

Frames follow ROS REP 103/105: the table frame has x right, y away from the robot and z up;
camera optical frames have x right, y down and z forward (out of the lens).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from unipixel_ros.errors import BadInputError, ConfigError

__all__ = ["OPTICAL_IN_CAMERA_LINK", "PinholeCamera", "RigidTransform"]


@dataclass(frozen=True, kw_only=True)
class PinholeCamera:
    """An undistorted pinhole camera.

    Args:
        width: Image width in pixels.
        height: Image height in pixels.
        fx: Focal length along x, in pixels.
        fy: Focal length along y, in pixels.
        cx: Principal point x, in pixels (pixel centres are at integer coordinates).
        cy: Principal point y, in pixels.
    """

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            msg = f"camera size must be positive, got width={self.width} height={self.height}"
            raise ConfigError(msg)
        if self.fx <= 0 or self.fy <= 0:
            msg = f"focal lengths must be positive, got fx={self.fx} fy={self.fy}"
            raise ConfigError(msg)

    @classmethod
    def from_horizontal_fov(cls, *, width: int, height: int, fov_deg: float) -> PinholeCamera:
        """Build a camera with square pixels and a centred principal point."""
        if not 0.0 < fov_deg < 180.0:
            msg = f"horizontal field of view must be in (0, 180) degrees, got {fov_deg}"
            raise ConfigError(msg)
        focal = 0.5 * width / math.tan(math.radians(fov_deg) / 2.0)
        return cls(
            width=width,
            height=height,
            fx=focal,
            fy=focal,
            cx=(width - 1) / 2.0,
            cy=(height - 1) / 2.0,
        )

    @property
    def matrix(self) -> np.ndarray:
        """The intrinsic matrix K, float64 of shape (3, 3)."""
        return np.array(
            [[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]], dtype=np.float64
        )

    def pixel_rays(self) -> np.ndarray:
        """Ray directions through every pixel centre, in the optical frame.

        Returns:
            `np.ndarray` of shape `(height, width, 3)`, float64, with z = 1, so that the ray
            parameter of a hit equals its depth in metres.
        """
        u = (np.arange(self.width, dtype=np.float64) - self.cx) / self.fx
        v = (np.arange(self.height, dtype=np.float64) - self.cy) / self.fy
        rays = np.empty((self.height, self.width, 3), dtype=np.float64)
        rays[..., 0] = u[None, :]
        rays[..., 1] = v[:, None]
        rays[..., 2] = 1.0
        return rays

    def project(self, points: np.ndarray) -> np.ndarray:
        """Project points given in the optical frame.

        Args:
            points: `np.ndarray` of shape `(n, 3)`, metres, optical frame, z > 0.

        Returns:
            `np.ndarray` of shape `(n, 2)`, float64 pixel coordinates (u, v).
        """
        points = np.asarray(points, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 3:
            msg = f"points must have shape (n, 3), got {points.shape}"
            raise BadInputError(msg)
        if np.any(points[:, 2] <= 0.0):
            msg = "every point must lie in front of the camera (z > 0)"
            raise BadInputError(msg)
        u = self.fx * points[:, 0] / points[:, 2] + self.cx
        v = self.fy * points[:, 1] / points[:, 2] + self.cy
        return np.stack([u, v], axis=1)


@dataclass(frozen=True, kw_only=True, eq=False)
class RigidTransform:
    """A rotation and a translation: ``p_parent = rotation @ p_child + translation``.

    As a TF from ``parent`` to ``child``, it is the pose of the child frame in the parent frame.

    Args:
        rotation: `np.ndarray` of shape `(3, 3)`, float64, a proper rotation matrix.
        translation: `np.ndarray` of shape `(3,)`, float64, metres.
    """

    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def __post_init__(self) -> None:
        rotation = np.asarray(self.rotation, dtype=np.float64)
        translation = np.asarray(self.translation, dtype=np.float64)
        if rotation.shape != (3, 3) or translation.shape != (3,):
            msg = (
                f"rotation must be (3, 3) and translation (3,), got {rotation.shape} and "
                f"{translation.shape}"
            )
            raise BadInputError(msg)
        if not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-6):
            msg = "rotation is not orthonormal"
            raise BadInputError(msg)
        object.__setattr__(self, "rotation", rotation)
        object.__setattr__(self, "translation", translation)

    @classmethod
    def from_quaternion(
        cls, *, xyzw: tuple[float, float, float, float], translation: tuple[float, float, float]
    ) -> RigidTransform:
        """Build from a unit quaternion (x, y, z, w) and a translation in metres."""
        x, y, z, w = xyzw
        norm = math.sqrt(x * x + y * y + z * z + w * w)
        if norm < 1e-9:
            msg = f"quaternion must be non-zero, got {xyzw}"
            raise BadInputError(msg)
        x, y, z, w = x / norm, y / norm, z / norm, w / norm
        rotation = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
            ]
        )
        return cls(rotation=rotation, translation=np.asarray(translation, dtype=np.float64))

    @classmethod
    def about_z(
        cls, *, angle_rad: float, translation: tuple[float, float, float]
    ) -> RigidTransform:
        """A rotation about the parent's z axis followed by a translation."""
        c, s = math.cos(angle_rad), math.sin(angle_rad)
        rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        return cls(rotation=rotation, translation=np.asarray(translation, dtype=np.float64))

    @classmethod
    def optical_look_at(cls, *, eye: np.ndarray, target: np.ndarray) -> RigidTransform:
        """The pose of an optical frame at ``eye`` looking at ``target``, horizon level.

        Args:
            eye: `np.ndarray` of shape `(3,)`, metres, in a z-up parent frame.
            target: `np.ndarray` of shape `(3,)`, metres, same frame, not straight below or
                above ``eye``.
        """
        eye = np.asarray(eye, dtype=np.float64)
        forward = np.asarray(target, dtype=np.float64) - eye
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
        if np.linalg.norm(right) < 1e-6:
            msg = f"cannot look straight up or down from {eye.tolist()}"
            raise BadInputError(msg)
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        return cls(rotation=np.stack([right, down, forward], axis=1), translation=eye)

    @property
    def matrix(self) -> np.ndarray:
        """The homogeneous matrix, float64 of shape (4, 4)."""
        out = np.eye(4)
        out[:3, :3] = self.rotation
        out[:3, 3] = self.translation
        return out

    def quaternion_xyzw(self) -> tuple[float, float, float, float]:
        """The rotation as a unit quaternion (x, y, z, w) with w >= 0."""
        m = self.rotation
        trace = float(np.trace(m))
        if trace > 0.0:
            s = 2.0 * math.sqrt(trace + 1.0)
            w, x = 0.25 * s, (m[2, 1] - m[1, 2]) / s
            y, z = (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s
        elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
            s = 2.0 * math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
            w, x = (m[2, 1] - m[1, 2]) / s, 0.25 * s
            y, z = (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s
        elif m[1, 1] > m[2, 2]:
            s = 2.0 * math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
            w, x = (m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s
            y, z = 0.25 * s, (m[1, 2] + m[2, 1]) / s
        else:
            s = 2.0 * math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
            w, x = (m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s
            y, z = (m[1, 2] + m[2, 1]) / s, 0.25 * s
        sign = -1.0 if w < 0.0 else 1.0
        return (sign * float(x), sign * float(y), sign * float(z), sign * float(w))

    def inverse(self) -> RigidTransform:
        """The transform from child back to parent."""
        rotation = self.rotation.T
        return RigidTransform(rotation=rotation, translation=-rotation @ self.translation)

    def __matmul__(self, other: RigidTransform) -> RigidTransform:
        """Chain ``parent <- self.child == other.parent <- other.child``."""
        return RigidTransform(
            rotation=self.rotation @ other.rotation,
            translation=self.rotation @ other.translation + self.translation,
        )

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Map points of shape `(..., 3)` from the child frame into the parent frame."""
        return np.asarray(points, dtype=np.float64) @ self.rotation.T + self.translation


# The fixed rotation from a camera body frame (x forward, y left, z up) to its optical frame,
# as published by camera drivers on /tf_static.
OPTICAL_IN_CAMERA_LINK = RigidTransform.from_quaternion(
    xyzw=(-0.5, 0.5, -0.5, 0.5), translation=(0.0, 0.0, 0.0)
)
