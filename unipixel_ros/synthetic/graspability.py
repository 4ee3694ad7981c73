"""The explicit rule that decides which cups a robot at the table's near edge can grasp."""

from __future__ import annotations

import math
from dataclasses import dataclass

from unipixel_ros.errors import ConfigError
from unipixel_ros.synthetic.renderer import ObjectVisibility
from unipixel_ros.synthetic.scene_objects import ObjectKind, SceneObject

__all__ = ["GraspAssessment", "GraspabilityRule"]


@dataclass(frozen=True, kw_only=True)
class GraspAssessment:
    """The rule's verdict on one object, with the first reason it failed.

    Args:
        graspable: Whether every condition holds.
        reason: "graspable", or the first failed condition ("not a cup", "no handle",
            "not upright", "handle hidden", "out of reach", "handle blocked", "occluded").
    """

    graspable: bool
    reason: str


@dataclass(frozen=True, kw_only=True)
class GraspabilityRule:
    """A cup is graspable by its handle when, in the view the question is asked on:

    1. it is a cup with a handle, standing upright;
    2. at least ``min_handle_visible_fraction`` of the handle's silhouette is visible (a handle
       behind the cup's body or behind another object is not);
    3. the handle's outer tip lies within ``reach_m`` of the robot base at ``robot_base_xy``
       (the middle of the table's near edge, on the camera's side), measured on the table;
    4. no other object's footprint comes within ``clearance_m`` of the handle tip (room for the
       gripper);
    5. at most ``max_occluded_fraction`` of the cup is hidden by other objects.

    Args:
        robot_base_xy: Robot base on the table plane, metres, table frame.
        reach_m: Horizontal reach from the base, metres.
        clearance_m: Free space needed around the handle tip, metres.
        min_handle_visible_fraction: Visible share of the handle's silhouette, in [0, 1].
        max_occluded_fraction: Largest hidden share of the cup, in [0, 1].
    """

    robot_base_xy: tuple[float, float] = (0.0, -0.45)
    reach_m: float = 0.62
    clearance_m: float = 0.04
    min_handle_visible_fraction: float = 0.5
    max_occluded_fraction: float = 0.1

    def __post_init__(self) -> None:
        if self.reach_m <= 0.0 or self.clearance_m < 0.0:
            msg = f"need reach_m > 0 and clearance_m >= 0, got {self.reach_m}, {self.clearance_m}"
            raise ConfigError(msg)
        for name in ("min_handle_visible_fraction", "max_occluded_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                msg = f"{name} must be in [0, 1], got {value}"
                raise ConfigError(msg)

    def assess(
        self,
        obj: SceneObject,
        *,
        visibility: ObjectVisibility,
        others: tuple[SceneObject, ...],
    ) -> GraspAssessment:
        """Apply the rule to ``obj`` as seen in one view, with ``others`` on the table."""
        if obj.kind is not ObjectKind.CUP:
            return GraspAssessment(graspable=False, reason="not a cup")
        if not obj.has_handle:
            return GraspAssessment(graspable=False, reason="no handle")
        if not obj.upright:
            return GraspAssessment(graspable=False, reason="not upright")
        if visibility.handle_visible_fraction < self.min_handle_visible_fraction:
            return GraspAssessment(graspable=False, reason="handle hidden")
        tip = obj.handle_tip()
        base_x, base_y = self.robot_base_xy
        if math.hypot(tip[0] - base_x, tip[1] - base_y) > self.reach_m:
            return GraspAssessment(graspable=False, reason="out of reach")
        for other in others:
            if other.object_id == obj.object_id:
                continue
            gap = math.hypot(tip[0] - other.position_xy[0], tip[1] - other.position_xy[1])
            if gap - other.footprint_radius < self.clearance_m:
                return GraspAssessment(graspable=False, reason="handle blocked")
        if visibility.occluded_fraction > self.max_occluded_fraction:
            return GraspAssessment(graspable=False, reason="occluded")
        return GraspAssessment(graspable=True, reason="graspable")
