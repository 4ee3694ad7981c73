"""Plain records that go in and out of `LivePerception` (no ROS types, NumPy masks)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from unipixel_ros.errors import BadInputError
from unipixel_ros.tracking import ObjectState

__all__ = [
    "MAX_LABEL_CHARS",
    "MAX_PROMPT_POINTS",
    "FrameOutput",
    "ObjectPromptSpec",
    "ObjectView",
    "QueryOutput",
]

# Request size limits: a label is republished with every frame, and SAM's prompt encoder
# gains nothing from hundreds of clicks on one object.
MAX_LABEL_CHARS = 256
MAX_PROMPT_POINTS = 32


@dataclass(frozen=True, kw_only=True)
class ObjectPromptSpec:
    """A visual prompt for one new object, in pixels of the prompted frame.

    Exactly one of ``points`` and ``box`` is given.

    Args:
        label: free text kept with the object.
        points: (x, y) clicks.
        point_labels: one per point, 1 foreground, 0 background.
        box: (x0, y0, x1, y1), top-left then bottom-right.
    """

    label: str = ""
    points: tuple[tuple[float, float], ...] = ()
    point_labels: tuple[int, ...] = ()
    box: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        if len(self.label) > MAX_LABEL_CHARS:
            raise BadInputError(
                f"the label has {len(self.label)} characters; the limit is {MAX_LABEL_CHARS}"
            )
        if len(self.points) > MAX_PROMPT_POINTS:
            raise BadInputError(
                f"an object prompt has {len(self.points)} points; the limit is {MAX_PROMPT_POINTS}"
            )
        if bool(self.points) == (self.box is not None):
            raise BadInputError(
                f"an object prompt needs points or a box, not both or neither (got "
                f"{len(self.points)} points and {'a' if self.box else 'no'} box)"
            )
        if len(self.point_labels) != len(self.points):
            raise BadInputError(
                f"{len(self.points)} points but {len(self.point_labels)} point labels"
            )
        if any(label not in (0, 1) for label in self.point_labels):
            raise BadInputError(f"point labels must be 1 or 0, got {list(self.point_labels)}")
        if self.points and 1 not in self.point_labels:
            raise BadInputError("an object prompt needs at least one foreground point (label 1)")
        if self.box is not None and (self.box[2] <= self.box[0] or self.box[3] <= self.box[1]):
            raise BadInputError(f"box must be (x0, y0, x1, y1) with x0 < x1, y0 < y1: {self.box}")

    def check_inside(self, width: int, height: int) -> None:
        """Raise `BadInputError` when a point or the box leaves the ``width`` x ``height`` frame."""
        xy = list(self.points)
        if self.box is not None:
            xy += [(self.box[0], self.box[1]), (self.box[2], self.box[3])]
        outside = [p for p in xy if not (0 <= p[0] <= width and 0 <= p[1] <= height)]
        if outside:
            raise BadInputError(f"prompt {outside} lies outside the {width}x{height} image")


@dataclass(frozen=True, kw_only=True)
class ObjectView:
    """One object on one frame.

    Args:
        object_id: stable id, never reused while the perception runs.
        label: the prompt's label or the query that found it.
        camera: camera name.
        score: SAM 2.1 object-score logit; <= 0 means not visible.
        state: tracked or lost.
        mask (`np.ndarray` of shape `(height, width)`, bool): at the frame's resolution.
        tracked: False for objects a query named without tracking them.
    """

    object_id: int
    label: str
    camera: str
    score: float
    state: ObjectState
    mask: np.ndarray
    tracked: bool = True


@dataclass(frozen=True, kw_only=True)
class FrameOutput:
    """Every tracked object of one camera on one processed frame."""

    camera: str
    frame_index: int
    stamp_ns: int
    objects: tuple[ObjectView, ...]


@dataclass(frozen=True, kw_only=True)
class QueryOutput:
    """The answer to a query and the objects it names (masks on ``stamp_ns``'s frame).

    Args:
        text: the model's answer.
        objects: the objects the answer names, with their masks.
        referenced_ids: ids of objects the question was about (describe by id).
        cameras: the cameras whose frames the model saw.
        stamp_ns: stamp of the latest frame the model saw (of the first camera).
        num_frames: frames given to the model.
        tokens_generated: answer length in tokens.
        model_ms: the UniPixel call (vision, LLM, SAM 2.1 masks over the frames).
        tracking_ms: adding the named objects to the trackers.
    """

    text: str
    objects: tuple[ObjectView, ...]
    referenced_ids: tuple[int, ...]
    cameras: tuple[str, ...]
    stamp_ns: int
    num_frames: int
    tokens_generated: int
    model_ms: float
    tracking_ms: float

    @property
    def object_ids(self) -> tuple[int, ...]:
        """Every object id the answer refers to."""
        return tuple(dict.fromkeys([*(o.object_id for o in self.objects), *self.referenced_ids]))
