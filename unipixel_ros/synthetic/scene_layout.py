"""Deterministic layouts of synthetic scenes: objects on the table, a slowly moving camera.

``generate_scene(config=SceneConfig(), seed=7)`` always lays out the same table for the same
seed and config.
"""

from __future__ import annotations

import math

import numpy as np

from unipixel_ros.errors import ConfigError
from unipixel_ros.synthetic.camera import PinholeCamera, RigidTransform
from unipixel_ros.synthetic.graspability import GraspAssessment
from unipixel_ros.synthetic.renderer import RenderedView, render_view
from unipixel_ros.synthetic.scene_config import SceneConfig
from unipixel_ros.synthetic.scene_objects import Colour, ObjectKind, SceneObject
from unipixel_ros.synthetic.scenes import Scene

__all__ = ["generate_scene"]

_PLACEMENT_X_M = (-0.27, 0.27)
_PLACEMENT_Y_M = (-0.17, 0.2)
_MIN_GAP_M = 0.015
_CAMERA_TARGET_M = (0.0, 0.02, 0.04)
# Layouts are screened at about this width before the full-size render.
_PREVIEW_WIDTH = 160


def generate_scene(*, config: SceneConfig, seed: int) -> Scene:
    """Lay out a table for ``seed`` and return the scene (frames render lazily).

    Candidate layouts are screened on a small preview render; the one accepted is checked
    again at full size, and the verdicts (graspability, occlusion) come from the full size.

    Raises:
        ConfigError: No layout met the requirements in ``max_layout_attempts`` tries.
    """
    rng = np.random.default_rng(seed)
    camera = PinholeCamera.from_horizontal_fov(
        width=config.width, height=config.height, fov_deg=config.fov_deg
    )
    scale = max(1, config.width // _PREVIEW_WIDTH)
    preview = PinholeCamera.from_horizontal_fov(
        width=config.width // scale, height=config.height // scale, fov_deg=config.fov_deg
    )
    for _ in range(config.max_layout_attempts):
        azimuth = math.radians(-90.0 + rng.uniform(-15.0, 15.0))
        poses = _camera_trajectory(config, azimuth, rng)
        objects = _sample_objects(config, azimuth, rng)
        if objects is None:
            continue
        if scale > 1:
            view = render_view(camera=preview, camera_pose=poses[0], objects=objects)
            if _acceptable(config, objects, view) is None:
                continue
        first_view = render_view(
            camera=camera,
            camera_pose=poses[0],
            objects=objects,
            noise_rng=np.random.default_rng([seed, 0]),
            noise_sigma=config.noise_sigma,
        )
        grasp = _acceptable(config, objects, first_view)
        if grasp is not None:
            return Scene(
                config=config,
                seed=seed,
                camera=camera,
                objects=objects,
                camera_poses=poses,
                first_view=first_view,
                grasp=grasp,
            )
    msg = (
        f"no layout for seed {seed} met the requirements in {config.max_layout_attempts} "
        "attempts; raise max_layout_attempts, or relax require_graspable_cup or occluded_pairs"
    )
    raise ConfigError(msg)


def _acceptable(
    config: SceneConfig, objects: tuple[SceneObject, ...], view: RenderedView
) -> dict[int, GraspAssessment] | None:
    """Graspability verdicts if the view meets the config's requirements, else None.

    Requirements: every object is visible; ``occluded_pairs`` objects are hidden by at least
    ``min_occluded_fraction``; and, with ``require_graspable_cup``, some cups are graspable and
    some are not.
    """
    grasp = {
        obj.object_id: config.grasp_rule.assess(
            obj, visibility=view.visibility[obj.object_id], others=objects
        )
        for obj in objects
    }
    cups = [obj.object_id for obj in objects if obj.kind is ObjectKind.CUP]
    graspable = [object_id for object_id in cups if grasp[object_id].graspable]
    visibility = view.visibility.values()
    all_visible = all(seen.visible_px > 0 for seen in visibility)
    occluded = sum(seen.occluded_fraction >= config.min_occluded_fraction for seen in visibility)
    informative = 0 < len(graspable) < len(cups)
    if (
        all_visible
        and occluded >= config.occluded_pairs
        and (informative or not config.require_graspable_cup)
    ):
        return grasp
    return None


def _camera_trajectory(
    config: SceneConfig, azimuth: float, rng: np.random.Generator
) -> tuple[RigidTransform, ...]:
    """Optical-frame poses of a camera swaying slowly around the table's middle."""
    target = np.asarray(_CAMERA_TARGET_M)
    elevation = math.radians(config.camera_elevation_deg + rng.uniform(-4.0, 4.0))
    distance = config.camera_distance_m * rng.uniform(0.95, 1.05)
    sway = math.radians(config.camera_sway_deg) * rng.choice([-1.0, 1.0])
    phases = rng.uniform(0.0, 2.0 * math.pi, size=3)
    poses = []
    for index in range(config.frame_count):
        progress = index / max(config.frame_count - 1, 1)
        angle = azimuth + sway * math.sin(0.5 * math.pi * progress)
        wobble = config.camera_jitter_m * np.sin(2.0 * math.pi * 1.5 * progress + phases)
        eye = target + distance * np.array(
            [
                math.cos(elevation) * math.cos(angle),
                math.cos(elevation) * math.sin(angle),
                math.sin(elevation),
            ]
        )
        poses.append(RigidTransform.optical_look_at(eye=eye + wobble, target=target))
    return tuple(poses)


def _sample_objects(
    config: SceneConfig, azimuth: float, rng: np.random.Generator
) -> tuple[SceneObject, ...] | None:
    """Sizes, colours and non-overlapping places for every object; None if placement fails."""
    kinds = [ObjectKind.CUP, ObjectKind.CUP, ObjectKind.BOWL, ObjectKind.BOX]
    every_kind = list(ObjectKind)
    extra = rng.integers(0, len(every_kind), size=config.object_count - len(kinds))
    kinds += [every_kind[i] for i in extra]
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    colours = list(Colour)
    palette = {kind: [colours[i] for i in rng.permutation(len(colours))] for kind in ObjectKind}
    shapes = []
    first_cup = True
    for kind in kinds:
        colour = palette[kind].pop()
        if kind is ObjectKind.CUP:
            has_handle = first_cup or bool(rng.random() < 0.65)
            upright = first_cup or bool(rng.random() < 0.8)
            first_cup = False
            size: tuple[float, ...] = (rng.uniform(0.032, 0.042), rng.uniform(0.075, 0.1))
        elif kind is ObjectKind.BOWL:
            has_handle, upright = False, True
            size = (rng.uniform(0.06, 0.08), rng.uniform(0.045, 0.06))
        else:
            has_handle, upright = False, True
            size = (rng.uniform(0.07, 0.14), rng.uniform(0.05, 0.1), rng.uniform(0.05, 0.14))
        shapes.append((kind, colour, size, has_handle, upright, rng.uniform(-math.pi, math.pi)))

    # Away from the camera along the table plane: objects placed this way are partly hidden.
    away = np.array([-math.cos(azimuth), -math.sin(azimuth)])
    placed: list[SceneObject] = []
    for index, (kind, colour, size, has_handle, upright, yaw) in enumerate(shapes):
        probe = SceneObject(
            object_id=index + 1,
            kind=kind,
            colour=colour,
            position_xy=(0.0, 0.0),
            yaw_rad=yaw,
            size=tuple(float(s) for s in size),
            has_handle=has_handle,
            upright=upright,
        )
        behind = placed[-1] if index % 2 == 1 and index // 2 < config.occluded_pairs else None
        for _ in range(100):
            if behind is None:
                xy = np.array([rng.uniform(*_PLACEMENT_X_M), rng.uniform(*_PLACEMENT_Y_M)])
            else:
                gap = behind.footprint_radius + probe.footprint_radius + rng.uniform(0.01, 0.025)
                side = np.array([-away[1], away[0]]) * rng.uniform(-0.5, 0.5)
                xy = np.asarray(behind.position_xy) + gap * away + side * behind.footprint_radius
            if _fits(xy, probe.footprint_radius, placed):
                break
        else:
            return None
        placed.append(
            SceneObject(
                object_id=probe.object_id,
                kind=kind,
                colour=colour,
                position_xy=(float(xy[0]), float(xy[1])),
                yaw_rad=float(yaw),
                size=probe.size,
                has_handle=has_handle,
                upright=upright,
            )
        )
    return tuple(placed)


def _fits(xy: np.ndarray, radius: float, placed: list[SceneObject]) -> bool:
    """Whether a footprint at ``xy`` stays on the placement area and clear of the others."""
    inside = (
        _PLACEMENT_X_M[0] - 0.05 <= xy[0] <= _PLACEMENT_X_M[1] + 0.05
        and _PLACEMENT_Y_M[0] - 0.05 <= xy[1] <= _PLACEMENT_Y_M[1] + 0.08
    )
    return inside and all(
        math.hypot(xy[0] - other.position_xy[0], xy[1] - other.position_xy[1])
        >= radius + other.footprint_radius + _MIN_GAP_M
        for other in placed
    )
