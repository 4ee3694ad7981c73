"""Scoring: the query spec, DAVIS-exact metrics, and scoring a run against ground truth."""

from __future__ import annotations

from unipixel_ros.evaluation.scoring.evaluate import (
    EvaluationResult,
    QueryPrediction,
    QueryScore,
    evaluate_run,
    instances_covered,
)
from unipixel_ros.evaluation.scoring.metrics import (
    DEFAULT_BOUNDARY_TOLERANCE,
    LatencySummary,
    TrackScores,
    boundary_f_measure,
    boundary_map,
    chosen_option,
    cumulative_iou,
    dilate_disc,
    generalized_iou,
    ids_correct,
    region_similarity,
    summarize_latency,
    track_scores,
)
from unipixel_ros.evaluation.scoring.queries import (
    QUERY_SPEC_FORMAT,
    ClickSuggestion,
    ObjectRecord,
    Query,
    QueryKind,
    QuerySpec,
    load_query_spec,
    save_query_spec,
)
from unipixel_ros.evaluation.scoring.run_policy import scored_spec

__all__ = [
    "DEFAULT_BOUNDARY_TOLERANCE",
    "QUERY_SPEC_FORMAT",
    "ClickSuggestion",
    "EvaluationResult",
    "LatencySummary",
    "ObjectRecord",
    "Query",
    "QueryKind",
    "QueryPrediction",
    "QueryScore",
    "QuerySpec",
    "TrackScores",
    "boundary_f_measure",
    "boundary_map",
    "chosen_option",
    "cumulative_iou",
    "dilate_disc",
    "evaluate_run",
    "generalized_iou",
    "ids_correct",
    "instances_covered",
    "load_query_spec",
    "region_similarity",
    "save_query_spec",
    "scored_spec",
    "summarize_latency",
    "track_scores",
]
