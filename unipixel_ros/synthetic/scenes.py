"""Deterministic synthetic tabletop scenes: objects, a slowly moving camera, and queries.

``generate_scene(config=SceneConfig(), seed=7)`` always lays out the same table for the same
seed and config; frames render lazily, so long scenes do not sit in memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.evaluation.bags.layout import (
    CAMERA_LINK_FRAME,
    OPTICAL_FRAME,
    TABLE_FRAME,
    BagTopics,
)
from unipixel_ros.evaluation.scoring.queries import (
    ClickSuggestion,
    ObjectRecord,
    Query,
    QueryKind,
    QuerySpec,
)
from unipixel_ros.synthetic.camera import OPTICAL_IN_CAMERA_LINK, PinholeCamera, RigidTransform
from unipixel_ros.synthetic.click_points import interior_points
from unipixel_ros.synthetic.graspability import GraspabilityRule, GraspAssessment
from unipixel_ros.synthetic.renderer import ObjectVisibility, RenderedView, render_view
from unipixel_ros.synthetic.scene_objects import Colour, ObjectKind, SceneObject

__all__ = [
    "CAMERA_LINK_FRAME",
    "GRASPABLE_CUP_QUESTION",
    "OPTICAL_FRAME",
    "REGION_PLACEHOLDER",
    "TABLE_FRAME",
    "Scene",
    "SceneConfig",
    "SceneFrame",
    "generate_scene",
]

GRASPABLE_CUP_QUESTION = "Which cup is graspable?"
# Choice questions name their clicked object with this placeholder; the caller substitutes its
# own region reference (for UniPixel: "[0] <|ref|>").
REGION_PLACEHOLDER = "<region>"

_PLACEMENT_X_M = (-0.27, 0.27)
_PLACEMENT_Y_M = (-0.17, 0.2)
_MIN_GAP_M = 0.015
_CAMERA_TARGET_M = (0.0, 0.02, 0.04)
# Layouts are screened at about this width before the full-size render.
_PREVIEW_WIDTH = 160


@dataclass(frozen=True, kw_only=True)
class SceneConfig:
    """How to build a scene.

    Args:
        width: Image width in pixels.
        height: Image height in pixels.
        fov_deg: Horizontal field of view, degrees.
        frame_count: Frames in the scene.
        frame_rate_hz: Frame rate; sets the header stamps.
        object_count: Objects on the table, >= 4 (always at least two cups, a bowl and a box).
        camera_distance_m: Distance from the camera to the middle of the table.
        camera_elevation_deg: Angle of the camera above the table plane.
        camera_sway_deg: Peak azimuth change over the scene (slight motion).
        camera_jitter_m: Peak smooth hand-held wobble of the camera position.
        noise_sigma: Pixel noise in 8-bit levels.
        occluded_pairs: Objects placed just behind another one, as seen from the camera.
        min_occluded_fraction: Each such pair must hide at least this share of the object
            behind on frame 0 (the layout is redrawn otherwise).
        require_graspable_cup: Re-draw the layout until at least one cup is graspable and at
            least one is not, so that the graspability question is informative.
        max_layout_attempts: Layouts to try before giving up with ConfigError.
        start_stamp_ns: Header stamp of the first frame.
        grasp_rule: The graspability rule.
    """

    width: int = 640
    height: int = 480
    fov_deg: float = 60.0
    frame_count: int = 30
    frame_rate_hz: float = 10.0
    object_count: int = 6
    camera_distance_m: float = 0.78
    camera_elevation_deg: float = 45.0
    camera_sway_deg: float = 4.0
    camera_jitter_m: float = 0.004
    noise_sigma: float = 2.0
    occluded_pairs: int = 1
    min_occluded_fraction: float = 0.1
    require_graspable_cup: bool = True
    max_layout_attempts: int = 200
    start_stamp_ns: int = 1_700_000_000_000_000_000
    grasp_rule: GraspabilityRule = field(default_factory=GraspabilityRule)

    def __post_init__(self) -> None:
        if self.width < 32 or self.height < 24:
            msg = f"image must be at least 32x24, got {self.width}x{self.height}"
            raise ConfigError(msg)
        if self.frame_count < 1 or self.frame_rate_hz <= 0.0:
            msg = (
                f"need frame_count >= 1 and frame_rate_hz > 0, got {self.frame_count} and "
                f"{self.frame_rate_hz}"
            )
            raise ConfigError(msg)
        if not 4 <= self.object_count <= 10:
            msg = f"object_count must be in [4, 10], got {self.object_count}"
            raise ConfigError(msg)
        if not 0 <= self.occluded_pairs <= self.object_count // 2:
            msg = (
                f"occluded_pairs must be in [0, {self.object_count // 2}], got "
                f"{self.occluded_pairs}"
            )
            raise ConfigError(msg)
        if not 0.0 <= self.min_occluded_fraction < 1.0:
            msg = f"min_occluded_fraction must be in [0, 1), got {self.min_occluded_fraction}"
            raise ConfigError(msg)
        if not 10.0 <= self.camera_elevation_deg <= 80.0:
            msg = f"camera_elevation_deg must be in [10, 80], got {self.camera_elevation_deg}"
            raise ConfigError(msg)

    @property
    def frame_period_ns(self) -> int:
        """Time between frames, nanoseconds."""
        return round(1e9 / self.frame_rate_hz)


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
        self.query_spec = self._build_query_spec()

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

    def _build_query_spec(self) -> QuerySpec:
        view = self._first_view
        clicks = interior_points(view.instance_labels)
        records = tuple(
            ObjectRecord(
                object_id=obj.object_id,
                kind=obj.kind.value,
                colour=obj.colour.value,
                has_handle=obj.has_handle,
                upright=obj.upright,
                position_m=_xyz(obj.pose.translation),
                yaw_rad=obj.yaw_rad,
                attributes={
                    "graspable": self.grasp[obj.object_id].graspable,
                    "grasp_reason": self.grasp[obj.object_id].reason,
                    "occluded_fraction": round(view.visibility[obj.object_id].occluded_fraction, 4),
                    "handle_visible_fraction": round(
                        view.visibility[obj.object_id].handle_visible_fraction, 4
                    ),
                    "visible_px": view.visibility[obj.object_id].visible_px,
                },
            )
            for obj in self.objects
        )
        queries = [
            Query(
                query_id="graspable_cup",
                kind=QueryKind.SEGMENT,
                text=GRASPABLE_CUP_QUESTION,
                expected_ids=tuple(i for i, verdict in self.grasp.items() if verdict.graspable),
            )
        ]
        for obj in self.objects:
            if obj.kind is not ObjectKind.CUP:
                queries.append(
                    Query(
                        query_id=f"refer_{obj.object_id}",
                        kind=QueryKind.TRACK,
                        text=f"Please segment the {obj.describe()}.",
                        expected_ids=(obj.object_id,),
                    )
                )
        for object_id, point in sorted(clicks.items()):
            queries.append(
                Query(
                    query_id=f"click_{object_id}",
                    kind=QueryKind.TRACK,
                    point_px=point,
                    expected_ids=(object_id,),
                )
            )
        queries.extend(self._choice_queries(clicks))
        return QuerySpec(
            source="synthetic",
            seed=self.seed,
            image_topic=BagTopics().color,
            ground_truth_topic=BagTopics().ground_truth,
            fixed_frame=TABLE_FRAME,
            width=self.camera.width,
            height=self.camera.height,
            stamps_ns=tuple(self.stamp_ns(i) for i in range(self.frame_count)),
            objects=records,
            clicks=tuple(
                ClickSuggestion(object_id=object_id, frame_index=0, point_px=point)
                for object_id, point in sorted(clicks.items())
            ),
            queries=tuple(queries),
        )

    def _choice_queries(self, clicks: dict[int, tuple[int, int]]) -> list[Query]:
        """Questions about clicked objects: kind and colour of each, handles of cups."""
        queries = []
        kinds = tuple(kind.value for kind in ObjectKind)
        colours = tuple(colour.value for colour in Colour)
        for obj in self.objects:
            point = clicks.get(obj.object_id)
            if point is None:
                continue
            queries.append(
                Query(
                    query_id=f"kind_of_{obj.object_id}",
                    kind=QueryKind.CHOICE,
                    text=f"What kind of object is {REGION_PLACEHOLDER}?",
                    point_px=point,
                    region_id=obj.object_id,
                    options=kinds,
                    answer=obj.kind.value,
                )
            )
            queries.append(
                Query(
                    query_id=f"colour_of_{obj.object_id}",
                    kind=QueryKind.CHOICE,
                    text=f"What colour is {REGION_PLACEHOLDER}?",
                    point_px=point,
                    region_id=obj.object_id,
                    options=colours,
                    answer=obj.colour.value,
                )
            )
            if obj.kind is ObjectKind.CUP:
                queries.append(
                    Query(
                        query_id=f"handle_of_{obj.object_id}",
                        kind=QueryKind.CHOICE,
                        text=f"Does {REGION_PLACEHOLDER} have a handle?",
                        point_px=point,
                        region_id=obj.object_id,
                        options=("yes", "no"),
                        answer="yes" if obj.has_handle else "no",
                    )
                )
        return queries


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


def _xyz(vector: np.ndarray) -> tuple[float, float, float]:
    return float(vector[0]), float(vector[1]), float(vector[2])


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
