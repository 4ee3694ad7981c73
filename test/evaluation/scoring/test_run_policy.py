from __future__ import annotations

import dataclasses

from sample_data import SAMPLE_BAG

from unipixel_ros.evaluation.scoring.queries import QueryKind, load_query_spec
from unipixel_ros.evaluation.scoring.run_policy import scored_spec

SPEC = load_query_spec(SAMPLE_BAG / "queries.json")


def test_click_tracks_are_scored_from_the_frame_after_the_click() -> None:
    scored = {q.query_id: q for q in scored_spec(SPEC).queries}
    for query in SPEC.queries:
        click = query.kind is QueryKind.TRACK and query.text is None
        shift = 1 if click else 0
        assert scored[query.query_id].frame_index == query.frame_index + shift, query.query_id


def test_a_click_on_the_last_frame_keeps_its_frame() -> None:
    last = SPEC.frame_count - 1
    queries = tuple(dataclasses.replace(q, frame_index=last) for q in SPEC.queries)
    scored = scored_spec(dataclasses.replace(SPEC, queries=queries))
    assert all(q.frame_index == last for q in scored.queries)
