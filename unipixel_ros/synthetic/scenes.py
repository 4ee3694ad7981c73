"""Synthetic tabletop scenes: a laid-out table that renders its frames on demand.

``generate_scene`` (in `scene_layout`) builds a `Scene`; frames render lazily, so long scenes
do not sit in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.synthetic.camera import OPTICAL_IN_CAMERA_LINK, PinholeCamera, RigidTransform
from unipixel_ros.synthetic.click_points import interior_points
from unipixel_ros.synthetic.graspability import GraspAssessment
from unipixel_ros.synthetic.renderer import ObjectVisibility, RenderedView, render_view
from unipixel_ros.synthetic.scene_config import SceneConfig
from unipixel_ros.synthetic.scene_objects import SceneObject
from unipixel_ros.synthetic.scene_queries import build_query_spec

__all__ = ["Scene", "SceneFrame"]


@dataclass(frozen=True, kw_only=True, eq=False)
class SceneFrame:
    """One rendered frame with its ground truth.

    Args:
        index: Frame number, from 0.
        stamp_ns: Header stamp, nanoseconds since the epoch.
        rgb: `np.ndarray` of shape `(height, width, 3)`, uint8 sRGB.
        depth_m: `np.ndarray` of shape `(height, width)`, float32, metres along the optical axis,
            aligned to ``rgb``.
        instance_labels: `np.ndarray` of shape `(height, width)`, uint16, object id, 0 = none.
        camera_pose: The optical frame in the table frame (the TF table -> optical frame).
        visibility: Per object id, what this frame shows of it.
    """

    index: int
    stamp_ns: int
    rgb: np.ndarray
    depth_m: np.ndarray
    instance_labels: np.ndarray
    camera_pose: RigidTransform
    visibility: dict[int, ObjectVisibility]

    @property
    def depth_mm(self) -> np.ndarray:
        """Depth as 16UC1 millimetres, `(height, width)` uint16, 0 = no reading."""
        depth = np.where(np.isfinite(self.depth_m), np.rint(self.depth_m * 1000.0), 0.0)
        return np.clip(depth, 0, np.iinfo(np.uint16).max).astype(np.uint16)

    def click_points(self) -> dict[int, tuple[int, int]]:
        """A (u, v) pixel deep inside every visible object."""
        return interior_points(self.instance_labels)


class Scene:
    """A laid-out table with its camera trajectory and query spec; renders frames on demand.

    Build with :func:`generate_scene`.
    """

    def __init__(
        self,
        *,
        config: SceneConfig,
        seed: int,
        camera: PinholeCamera,
        objects: tuple[SceneObject, ...],
        camera_poses: tuple[RigidTransform, ...],
        first_view: RenderedView,
        grasp: dict[int, GraspAssessment],
    ) -> None:
        """Args:
        config: The config the scene was built from.
        seed: The seed it was built from.
        camera: Intrinsics of every frame.
        objects: The objects, ids 1..n.
        camera_poses: Optical frame in the table frame, one per frame.
        first_view: Frame 0, already rendered while the layout was checked.
        grasp: Graspability verdict per object id, on frame 0.
        """
        if len(camera_poses) != config.frame_count:
            msg = f"need {config.frame_count} camera poses, got {len(camera_poses)}"
            raise ConfigError(msg)
        self.config = config
        self.seed = seed
        self.camera = camera
        self.objects = objects
        self.camera_poses = camera_poses
        self.grasp = grasp
        self._first_view = first_view
        self.query_spec = build_query_spec(
            seed=seed,
            camera=camera,
            objects=objects,
            grasp=grasp,
            first_view=first_view,
            stamps_ns=tuple(self.stamp_ns(i) for i in range(config.frame_count)),
        )

    @property
    def frame_count(self) -> int:
        """Number of frames."""
        return self.config.frame_count

    @property
    def camera_link_to_optical(self) -> RigidTransform:
        """The static TF camera_link -> camera_color_optical_frame."""
        return OPTICAL_IN_CAMERA_LINK

    def camera_link_pose(self, index: int) -> RigidTransform:
        """The TF table -> camera_link of frame ``index``."""
        return self.camera_poses[index] @ OPTICAL_IN_CAMERA_LINK.inverse()

    def stamp_ns(self, index: int) -> int:
        """Header stamp of frame ``index``."""
        return self.config.start_stamp_ns + index * self.config.frame_period_ns

    def render(self, index: int) -> SceneFrame:
        """Render frame ``index`` (deterministic: same pixels every call)."""
        if not 0 <= index < self.frame_count:
            msg = f"frame index must be in [0, {self.frame_count}), got {index}"
            raise BadInputError(msg)
        if index == 0:
            view = self._first_view
        else:
            view = render_view(
                camera=self.camera,
                camera_pose=self.camera_poses[index],
                objects=self.objects,
                noise_rng=np.random.default_rng([self.seed, index]),
                noise_sigma=self.config.noise_sigma,
            )
        return SceneFrame(
            index=index,
            stamp_ns=self.stamp_ns(index),
            rgb=view.rgb,
            depth_m=view.depth_m,
            instance_labels=view.instance_labels,
            camera_pose=self.camera_poses[index],
            visibility=view.visibility,
        )

    def frames(self) -> Iterator[SceneFrame]:
        """Render every frame in order."""
        for index in range(self.frame_count):
            yield self.render(index)

    def object(self, object_id: int) -> SceneObject:
        """The object with id ``object_id``."""
        for obj in self.objects:
            if obj.object_id == object_id:
                return obj
        msg = f"no object {object_id}; ids are {[o.object_id for o in self.objects]}"
        raise BadInputError(msg)
