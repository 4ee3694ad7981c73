"""Global object ids over every camera's tracker, and the `ObjectView`s reported for them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from unipixel_ros.errors import BadInputError
from unipixel_ros.perception.records import ObjectView
from unipixel_ros.tracking import FrameResult, ObjectState

__all__ = ["KnownObject", "ObjectRegistry"]


@dataclass
class KnownObject:
    """Where a registered object lives: its camera and its id in that camera's tracker."""

    camera: str
    local_id: int | None  # the tracker's id; None when the object is not tracked
    label: str


class ObjectRegistry:
    """Object ids that stay unique over every camera; ids are never reused, not even after
    `clear`. Maps each id to its camera and its tracker's local id."""

    def __init__(self) -> None:
        self._objects: dict[int, KnownObject] = {}
        self._ids = itertools.count(1)

    def get(self, object_id: int) -> KnownObject | None:
        return self._objects.get(object_id)

    def tracked_ids(self) -> list[int]:
        """Ids of the objects being tracked, in channel order."""
        return sorted(i for i, o in self._objects.items() if o.local_id is not None)

    def remove(self, object_ids: Sequence[int]) -> list[KnownObject]:
        """Forget objects; unknown ids fail the whole call and nothing is removed."""
        unknown = sorted(set(object_ids) - set(self._objects))
        if unknown:
            raise BadInputError(f"unknown object ids {unknown}; known: {sorted(self._objects)}")
        return [self._objects.pop(object_id) for object_id in object_ids]

    def clear(self) -> None:
        self._objects.clear()

    def register(
        self, camera: str, result: FrameResult, size: tuple[int, int], *, label: str
    ) -> ObjectView:
        """A new id for the object a tracker just started (the last row of ``result``)."""
        local_id = result.object_ids[-1]
        object_id = next(self._ids)
        self._objects[object_id] = KnownObject(camera=camera, local_id=local_id, label=label)
        mask = result.masks(size)[-1].numpy()
        return ObjectView(
            object_id=object_id,
            label=label,
            camera=camera,
            score=float(result.object_score_logits[-1]),
            state=result.states[-1],
            mask=mask,
        )

    def register_untracked(
        self, camera: str, mask: np.ndarray, score: float, *, label: str
    ) -> ObjectView:
        """A new id for an object a query named without tracking it."""
        object_id = next(self._ids)
        self._objects[object_id] = KnownObject(camera=camera, local_id=None, label=label)
        state = ObjectState.TRACKED if score > 0 else ObjectState.LOST
        return ObjectView(
            object_id=object_id,
            label=label,
            camera=camera,
            score=score,
            state=state,
            mask=mask,
            tracked=False,
        )

    def views(
        self, camera: str, result: FrameResult, size: tuple[int, int]
    ) -> tuple[ObjectView, ...]:
        """Every tracked object of ``camera`` on the frame of ``result``, by id."""
        by_local = {
            o.local_id: (object_id, o)
            for object_id, o in self._objects.items()
            if o.camera == camera and o.local_id is not None
        }
        masks = result.masks(size).numpy() if result.object_ids else None
        views = []
        for row, local_id in enumerate(result.object_ids):
            object_id, known = by_local[local_id]
            views.append(
                ObjectView(
                    object_id=object_id,
                    label=known.label,
                    camera=camera,
                    score=float(result.object_score_logits[row]),
                    state=result.states[row],
                    mask=masks[row],  # type: ignore[index]
                )
            )
        return tuple(sorted(views, key=lambda v: v.object_id))
