"""Scene objects for the synthetic-scene tests, changed field by field."""

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


# Sizes of the non-cup objects `make_object` builds: a bowl's (radius, height), a box's edges.
_SIZES = {ObjectKind.BOWL: (0.07, 0.05), ObjectKind.BOX: (0.08, 0.06, 0.1)}


def make_object(kind: ObjectKind, **changes: object) -> SceneObject:
    """A blue bowl (radius 0.07 m, height 0.05 m) or box (0.08 x 0.06 x 0.1 m) with id 2 at the
    table origin, yaw 0; ``changes`` replace any of those fields."""
    values: dict[str, object] = {
        "object_id": 2,
        "kind": kind,
        "colour": Colour.BLUE,
        "position_xy": (0.0, 0.0),
        "yaw_rad": 0.0,
        "size": _SIZES[kind],
    }
    values.update(changes)
    return SceneObject(**values)  # type: ignore[arg-type]
