"""The synthetic tabletop world: camera, objects, scenes, renderer, graspability, clicks.

`sample_bag` (a scene written as a bag) builds on `evaluation.bags`; import it from its module.
"""

from __future__ import annotations

from unipixel_ros.evaluation.bags.layout import CAMERA_LINK_FRAME, OPTICAL_FRAME, TABLE_FRAME
from unipixel_ros.synthetic.camera import (
    OPTICAL_IN_CAMERA_LINK,
    PinholeCamera,
    RigidTransform,
)
from unipixel_ros.synthetic.click_points import (
    interior_point,
    interior_points,
)
from unipixel_ros.synthetic.graspability import (
    GraspabilityRule,
    GraspAssessment,
)
from unipixel_ros.synthetic.renderer import (
    TABLE_HALF_EXTENT_M,
    ObjectVisibility,
    RenderedView,
    render_view,
)
from unipixel_ros.synthetic.scene_config import SceneConfig
from unipixel_ros.synthetic.scene_layout import generate_scene
from unipixel_ros.synthetic.scene_objects import (
    Colour,
    ObjectKind,
    SceneObject,
)
from unipixel_ros.synthetic.scene_queries import GRASPABLE_CUP_QUESTION, REGION_PLACEHOLDER
from unipixel_ros.synthetic.scenes import Scene, SceneFrame

__all__ = [
    "CAMERA_LINK_FRAME",
    "GRASPABLE_CUP_QUESTION",
    "OPTICAL_FRAME",
    "OPTICAL_IN_CAMERA_LINK",
    "REGION_PLACEHOLDER",
    "TABLE_FRAME",
    "TABLE_HALF_EXTENT_M",
    "Colour",
    "GraspAssessment",
    "GraspabilityRule",
    "ObjectKind",
    "ObjectVisibility",
    "PinholeCamera",
    "RenderedView",
    "RigidTransform",
    "Scene",
    "SceneConfig",
    "SceneFrame",
    "SceneObject",
    "generate_scene",
    "interior_point",
    "interior_points",
    "render_view",
]
