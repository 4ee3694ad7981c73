"""The objects that stand on the synthetic table: cups, bowls and boxes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from unipixel_ros.errors import ConfigError
from unipixel_ros.synthetic.camera import RigidTransform

__all__ = ["Colour", "ObjectKind", "SceneObject"]


class ObjectKind(Enum):
    """What an object is."""

    CUP = "cup"
    BOWL = "bowl"
    BOX = "box"


class Colour(Enum):
    """Object colours, named as a person would name them in a query."""

    RED = "red"
    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    PURPLE = "purple"
    WHITE = "white"

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The albedo as 8-bit sRGB."""
        return _ALBEDO[self]


_ALBEDO: dict[Colour, tuple[int, int, int]] = {
    Colour.RED: (205, 40, 35),
    Colour.GREEN: (45, 165, 70),
    Colour.BLUE: (40, 85, 210),
    Colour.YELLOW: (235, 200, 35),
    Colour.PURPLE: (135, 60, 175),
    Colour.WHITE: (238, 238, 232),
}


@dataclass(frozen=True, kw_only=True, eq=False)
class SceneObject:
    """One object on the table, with the geometry the renderer needs.

    The object's local frame has its origin at the centre of its base and z along its axis.
    For a cup the handle points along local +x.

    Args:
        object_id: Instance id, >= 1 (0 is the background in label images).
        kind: Cup, bowl or box.
        colour: Albedo name.
        position_xy: Centre of the footprint on the table, metres, table frame.
        yaw_rad: Rotation about the table's z axis, radians.
        size: Kind-specific dimensions in metres: cup (radius, height), bowl (rim radius, depth),
            box (length, width, height).
        has_handle: Whether a cup has a handle; always False for bowls and boxes.
        upright: False for a cup lying on its side (its handle then points up).
    """

    object_id: int
    kind: ObjectKind
    colour: Colour
    position_xy: tuple[float, float]
    yaw_rad: float
    size: tuple[float, ...]
    has_handle: bool = False
    upright: bool = True

    def __post_init__(self) -> None:
        if self.object_id < 1:
            msg = f"object_id must be >= 1 (0 is background), got {self.object_id}"
            raise ConfigError(msg)
        expected = 3 if self.kind is ObjectKind.BOX else 2
        if len(self.size) != expected or min(self.size) <= 0.0:
            msg = f"{self.kind.value} needs {expected} positive sizes, got {self.size}"
            raise ConfigError(msg)
        if self.has_handle and self.kind is not ObjectKind.CUP:
            msg = f"only cups have handles, got a {self.kind.value} with has_handle=True"
            raise ConfigError(msg)
        if not self.upright and self.kind is not ObjectKind.CUP:
            msg = f"only cups can lie on their side, got a {self.kind.value} with upright=False"
            raise ConfigError(msg)

    @property
    def pose(self) -> RigidTransform:
        """The local frame in the table frame."""
        x, y = self.position_xy
        if self.upright:
            return RigidTransform.about_z(angle_rad=self.yaw_rad, translation=(x, y, 0.0))
        # Lying on its side: local z (the cup's axis) becomes horizontal and local x (the handle)
        # points up; the axis rests one radius above the table.
        radius = self.size[0]
        tipped = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
        yaw = RigidTransform.about_z(angle_rad=self.yaw_rad, translation=(x, y, radius))
        return yaw @ RigidTransform(rotation=tipped, translation=np.zeros(3))

    @property
    def footprint_radius(self) -> float:
        """Radius of a disc on the table that contains the object, handle included, metres."""
        if self.kind is ObjectKind.BOX:
            return 0.5 * math.hypot(self.size[0], self.size[1])
        if self.kind is ObjectKind.BOWL:
            return self.size[0]
        radius, height = self.size
        reach = radius + (self.handle_radius if self.has_handle else 0.0)
        return reach if self.upright else 0.5 * math.hypot(height, 2.0 * reach)

    @property
    def height(self) -> float:
        """Top of the object above the table, metres."""
        if self.kind is ObjectKind.BOX:
            return self.size[2]
        if self.kind is ObjectKind.BOWL:
            return self.size[1]
        radius, height = self.size
        return height if self.upright else 2.0 * radius + self.handle_radius

    @property
    def handle_radius(self) -> float:
        """Radius of the handle's arc (centre line), metres; only meaningful for cups."""
        return 0.3 * self.size[1]

    @property
    def handle_centre_local(self) -> np.ndarray:
        """Centre of the handle's arc in the local frame, metres, shape `(3,)`."""
        radius, height = self.size[0], self.size[1]
        return np.array([radius, 0.0, 0.5 * height])

    def handle_tip(self) -> np.ndarray:
        """The outermost point of the handle in the table frame, metres, shape `(3,)`."""
        tip_local = self.handle_centre_local + np.array([self.handle_radius, 0.0, 0.0])
        return self.pose.apply(tip_local)

    def describe(self) -> str:
        """A short noun phrase such as "red cup"."""
        return f"{self.colour.value} {self.kind.value}"
