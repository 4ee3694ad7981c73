"""How a replay through the node is scored where the node's services shape what it can see."""

from __future__ import annotations

import dataclasses

from unipixel_ros.evaluation.scoring.queries import QueryKind, QuerySpec

__all__ = ["scored_spec"]


def scored_spec(spec: QuerySpec) -> QuerySpec:
    """Click tracks are scored from the frame after the click (AddObjects returns no mask), as
    the DAVIS semi-supervised protocol skips the prompted frame."""
    queries = tuple(
        dataclasses.replace(query, frame_index=query.frame_index + 1)
        if query.kind is QueryKind.TRACK
        and query.text is None
        and query.frame_index + 1 < spec.frame_count
        else query
        for query in spec.queries
    )
    return dataclasses.replace(spec, queries=queries)
