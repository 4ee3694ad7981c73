"""The queries a synthetic scene asks and the ground truth it scores them against."""

from __future__ import annotations

import numpy as np

from unipixel_ros.evaluation.bags.layout import TABLE_FRAME, BagTopics
from unipixel_ros.evaluation.scoring.queries import (
    ClickSuggestion,
    ObjectRecord,
    Query,
    QueryKind,
    QuerySpec,
)
from unipixel_ros.synthetic.camera import PinholeCamera
from unipixel_ros.synthetic.click_points import interior_points
from unipixel_ros.synthetic.graspability import GraspAssessment
from unipixel_ros.synthetic.renderer import RenderedView
from unipixel_ros.synthetic.scene_objects import Colour, ObjectKind, SceneObject

__all__ = ["GRASPABLE_CUP_QUESTION", "REGION_PLACEHOLDER", "build_query_spec"]

GRASPABLE_CUP_QUESTION = "Which cup is graspable?"
# Choice questions name their clicked object with this placeholder; the caller substitutes its
# own region reference (for UniPixel: "[0] <|ref|>").
REGION_PLACEHOLDER = "<region>"


def build_query_spec(
    *,
    seed: int,
    camera: PinholeCamera,
    objects: tuple[SceneObject, ...],
    grasp: dict[int, GraspAssessment],
    first_view: RenderedView,
    stamps_ns: tuple[int, ...],
) -> QuerySpec:
    """The scene's queries and ground truth as the evaluation reads them (from frame 0).

    Args:
        seed: the scene's seed.
        camera: intrinsics of every frame.
        objects: the objects, ids 1..n.
        grasp: graspability verdict per object id, on frame 0.
        first_view: frame 0.
        stamps_ns: header stamp of every frame.
    """
    clicks = interior_points(first_view.instance_labels)
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
                "graspable": grasp[obj.object_id].graspable,
                "grasp_reason": grasp[obj.object_id].reason,
                "occluded_fraction": round(
                    first_view.visibility[obj.object_id].occluded_fraction, 4
                ),
                "handle_visible_fraction": round(
                    first_view.visibility[obj.object_id].handle_visible_fraction, 4
                ),
                "visible_px": first_view.visibility[obj.object_id].visible_px,
            },
        )
        for obj in objects
    )
    queries = [
        Query(
            query_id="graspable_cup",
            kind=QueryKind.SEGMENT,
            text=GRASPABLE_CUP_QUESTION,
            expected_ids=tuple(i for i, verdict in grasp.items() if verdict.graspable),
        )
    ]
    for obj in objects:
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
    queries.extend(_choice_queries(objects, clicks))
    return QuerySpec(
        source="synthetic",
        seed=seed,
        image_topic=BagTopics().color,
        ground_truth_topic=BagTopics().ground_truth,
        fixed_frame=TABLE_FRAME,
        width=camera.width,
        height=camera.height,
        stamps_ns=stamps_ns,
        objects=records,
        clicks=tuple(
            ClickSuggestion(object_id=object_id, frame_index=0, point_px=point)
            for object_id, point in sorted(clicks.items())
        ),
        queries=tuple(queries),
    )


def _choice_queries(
    objects: tuple[SceneObject, ...], clicks: dict[int, tuple[int, int]]
) -> list[Query]:
    """Questions about clicked objects: kind and colour of each, handles of cups."""
    queries: list[Query] = []
    kinds = tuple(kind.value for kind in ObjectKind)
    colours = tuple(colour.value for colour in Colour)
    for obj in objects:
        point = clicks.get(obj.object_id)
        if point is None:
            continue
        # (query name, question, options, answer)
        asked = [
            ("kind", f"What kind of object is {REGION_PLACEHOLDER}?", kinds, obj.kind.value),
            ("colour", f"What colour is {REGION_PLACEHOLDER}?", colours, obj.colour.value),
        ]
        if obj.kind is ObjectKind.CUP:
            handle = "yes" if obj.has_handle else "no"
            asked.append(
                ("handle", f"Does {REGION_PLACEHOLDER} have a handle?", ("yes", "no"), handle)
            )
        queries.extend(
            Query(
                query_id=f"{name}_of_{obj.object_id}",
                kind=QueryKind.CHOICE,
                text=text,
                point_px=point,
                region_id=obj.object_id,
                options=options,
                answer=answer,
            )
            for name, text, options, answer in asked
        )
    return queries


def _xyz(vector: np.ndarray) -> tuple[float, float, float]:
    return float(vector[0]), float(vector[1]), float(vector[2])
