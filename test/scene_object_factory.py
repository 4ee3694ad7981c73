"""A cup for the synthetic-scene tests, changed field by field."""

from __future__ import annotations

from unipixel_ros.synthetic.scene_objects import Colour, ObjectKind, SceneObject


def make_cup(**changes: object) -> SceneObject:
    """A red upright cup with a handle, radius 0.04 m and height 0.09 m, at (0.1, 0.05), yaw 0;
    ``changes`` replace any of those fields."""
    values: dict[str, object] = {
        "object_id": 1,
        "kind": ObjectKind.CUP,
        "colour": Colour.RED,
        "position_xy": (0.1, 0.05),
        "yaw_rad": 0.0,
        "size": (0.04, 0.09),
        "has_handle": True,
    }
    values.update(changes)
    return SceneObject(**values)  # type: ignore[arg-type]
