"""Score a run's answers against a query spec and its ground-truth label images."""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from unipixel_ros.errors import BadInputError
from unipixel_ros.evaluation.scoring.metrics import (
    LatencySummary,
    TrackScores,
    chosen_option,
    cumulative_iou,
    generalized_iou,
    ids_correct,
    region_similarity,
    summarize_latency,
    track_scores,
)
from unipixel_ros.evaluation.scoring.queries import Query, QueryKind, QuerySpec

__all__ = [
    "EvaluationResult",
    "QueryPrediction",
    "QueryScore",
    "evaluate_run",
    "instances_covered",
    "scored_track_frames",
]

# An object counts as named by a mask when the mask covers this share of its pixels.
MIN_INSTANCE_COVERAGE = 0.5


@dataclass(frozen=True, kw_only=True, eq=False)
class QueryPrediction:
    """What the system under test answered to one query.

    Args:
        query_id: The spec's query.
        masks: Frame index -> `np.ndarray` of shape `(height, width)`, bool: the union of the
            answer's masks. Frames missing here count as empty predictions.
        answer_text: The generated text (choice queries).
        predicted_ids: Ground-truth ids the system named, when it knows them; otherwise they are
            found from the mask on the query's frame with :func:`instances_covered`.
        first_scored_frame: a track is scored from this frame on; None scores it from the
            query's frame. A prompt that returns no mask on its own frame (a click) is scored
            from the next one, as the DAVIS semi-supervised protocol skips the prompted frame.
    """

    query_id: str
    masks: Mapping[int, np.ndarray] = field(default_factory=dict)
    answer_text: str | None = None
    predicted_ids: tuple[int, ...] | None = None
    first_scored_frame: int | None = None


@dataclass(frozen=True, kw_only=True)
class QueryScore:
    """The score of one query.

    Args:
        query_id: The spec's query.
        kind: segment, track or choice.
        question: The query text or "click (u, v)".
        expected: The expected answer, as text.
        predicted: The given answer, as text.
        correct: Whether the answer is right; None when the query has nothing to check.
        iou: Mask IoU on the query's frame (segment queries).
        track: J and F from the query's frame to the end (track queries).
    """

    query_id: str
    kind: QueryKind
    question: str
    expected: str
    predicted: str
    correct: bool | None
    iou: float | None = None
    track: TrackScores | None = None


@dataclass(frozen=True, kw_only=True)
class EvaluationResult:
    """Everything a report shows.

    Args:
        bag: The bag evaluated.
        model: Model name as the node reported it.
        model_is_random: True when the weights were random (results mean nothing).
        queries: Per-query scores, in spec order.
        segment_ciou: cIoU over segment queries, None without any.
        segment_giou: gIoU over segment queries, None without any.
        latency: Per-frame latency summary.
        latencies_ms: Every measured latency, milliseconds, for the histogram.
        machine: Where the run happened.
        created_utc: When the result was made, ISO 8601.
    """

    bag: str
    model: str
    model_is_random: bool
    queries: tuple[QueryScore, ...]
    segment_ciou: float | None
    segment_giou: float | None
    latency: LatencySummary
    latencies_ms: tuple[float, ...]
    machine: str = field(default_factory=lambda: f"{platform.node()} ({platform.machine()})")
    created_utc: str = field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    )

    def _of_kind(self, kind: QueryKind) -> list[QueryScore]:
        return [score for score in self.queries if score.kind is kind]

    @property
    def track_j(self) -> float | None:
        """Mean J over track queries, None without any."""
        tracks = [s.track for s in self._of_kind(QueryKind.TRACK) if s.track is not None]
        return float(np.mean([t.j_mean for t in tracks])) if tracks else None

    @property
    def track_f(self) -> float | None:
        """Mean F over track queries, None without any."""
        tracks = [s.track for s in self._of_kind(QueryKind.TRACK) if s.track is not None]
        return float(np.mean([t.f_mean for t in tracks])) if tracks else None

    @property
    def track_jf(self) -> float | None:
        """J&F over track queries, None without any."""
        j, f = self.track_j, self.track_f
        return None if j is None or f is None else 0.5 * (j + f)

    @property
    def answer_accuracy(self) -> float | None:
        """Share of checkable queries answered correctly, None without any."""
        checked = [score.correct for score in self.queries if score.correct is not None]
        return float(np.mean(checked)) if checked else None


def instances_covered(mask: np.ndarray, labels: np.ndarray) -> tuple[int, ...]:
    """Ids of the objects whose pixels ``mask`` covers by at least ``MIN_INSTANCE_COVERAGE``.

    Args:
        mask: `np.ndarray` of shape `(height, width)`, bool.
        labels: `np.ndarray` of shape `(height, width)`, integer ids, 0 = background.
    """
    if mask.shape != labels.shape:
        msg = f"mask {mask.shape} and labels {labels.shape} must have equal shapes"
        raise BadInputError(msg)
    ids, totals = np.unique(labels[labels != 0], return_counts=True)
    covered_ids, covered = np.unique(labels[mask.astype(bool) & (labels != 0)], return_counts=True)
    hits = dict(zip(covered_ids.tolist(), covered.tolist(), strict=True))
    return tuple(
        int(i)
        for i, total in zip(ids.tolist(), totals.tolist(), strict=True)
        if hits.get(i, 0) >= MIN_INSTANCE_COVERAGE * total
    )


def evaluate_run(
    *,
    spec: QuerySpec,
    truths: Sequence[np.ndarray | None],
    predictions: Sequence[QueryPrediction],
    latencies_s: Sequence[float],
    frames_sent: int,
    bag: str,
    model: str,
    model_is_random: bool,
) -> EvaluationResult:
    """Score every query of ``spec``; queries without a prediction score as empty answers.

    Args:
        spec: The bag's query spec.
        truths: Ground-truth label images, one per frame in spec order, each
            `np.ndarray` of shape `(height, width)`, integer ids, 0 = background; None for a
            frame without ground truth (it is left out of every score).
        predictions: The answers, at most one per query id.
        latencies_s: Latency of every frame that got an output, seconds.
        frames_sent: Frames replayed to the system under test.
        bag: The bag's path, for the report.
        model: Model name, for the report.
        model_is_random: Whether the weights were random.
    """
    if len(truths) != spec.frame_count:
        msg = f"need {spec.frame_count} ground-truth frames as the spec says, got {len(truths)}"
        raise BadInputError(msg)
    by_id = {prediction.query_id: prediction for prediction in predictions}
    unknown = sorted(set(by_id) - {query.query_id for query in spec.queries})
    if unknown:
        msg = f"predictions for queries the spec does not have: {unknown}"
        raise BadInputError(msg)
    scores = []
    segment_pairs: list[tuple[np.ndarray, np.ndarray]] = []
    for query in spec.queries:
        prediction = by_id.get(query.query_id, QueryPrediction(query_id=query.query_id))
        if query.kind is QueryKind.CHOICE:
            scores.append(_score_choice(query, prediction))
            continue
        labels = truths[query.frame_index]
        if query.kind is QueryKind.SEGMENT and labels is not None:
            truth = np.isin(labels, query.expected_ids)
            segment_pairs.append((_mask_at(prediction, query.frame_index, truth.shape), truth))
        scores.append(_score_masks(query, prediction, truths))
    return EvaluationResult(
        bag=bag,
        model=model,
        model_is_random=model_is_random,
        queries=tuple(scores),
        segment_ciou=cumulative_iou(*zip(*segment_pairs, strict=True)) if segment_pairs else None,
        segment_giou=generalized_iou(*zip(*segment_pairs, strict=True)) if segment_pairs else None,
        latency=summarize_latency(latencies_s, frames_sent=frames_sent),
        latencies_ms=tuple(1000.0 * latency for latency in latencies_s),
    )


def scored_track_frames(
    query: Query, prediction: QueryPrediction, truths: Sequence[np.ndarray | None]
) -> list[int]:
    """The frames a track query is scored on, in order: from its query frame (or the
    prediction's first scored frame, whichever is later) to the end, where there is ground
    truth. ``TrackScores.j_per_frame`` follows this order."""
    start = max(query.frame_index, prediction.first_scored_frame or 0)
    return [index for index in range(start, len(truths)) if truths[index] is not None]


def _describe(query: Query) -> str:
    if query.text is not None:
        return query.text
    return f"click {query.point_px}"


def _mask_at(prediction: QueryPrediction, frame: int, shape: tuple[int, ...]) -> np.ndarray:
    mask = prediction.masks.get(frame)
    if mask is None:
        return np.zeros(shape, dtype=bool)
    if mask.shape != shape:
        msg = f"query {prediction.query_id!r}: mask on frame {frame} is {mask.shape}, not {shape}"
        raise BadInputError(msg)
    return mask.astype(bool)


def _score_choice(query: Query, prediction: QueryPrediction) -> QueryScore:
    text = prediction.answer_text or ""
    chosen = chosen_option(text, query.options)
    return QueryScore(
        query_id=query.query_id,
        kind=query.kind,
        question=_describe(query),
        expected=str(query.answer),
        predicted=text.strip() or "(no answer)",
        correct=chosen == query.answer,
    )


def _score_masks(
    query: Query, prediction: QueryPrediction, truths: Sequence[np.ndarray | None]
) -> QueryScore:
    """Segment: IoU and id-set correctness on the query frame. Track: J and F to the end.

    Frames without ground truth are skipped; with none on the query frame, nothing is checked.
    """
    labels = truths[query.frame_index]
    predicted_ids = prediction.predicted_ids
    if predicted_ids is None and labels is not None:
        predicted_ids = instances_covered(
            _mask_at(prediction, query.frame_index, labels.shape), labels
        )
    track = None
    iou = None
    if query.kind is QueryKind.TRACK:
        frames = [
            (index, truth)
            for index in scored_track_frames(query, prediction, truths)
            if (truth := truths[index]) is not None
        ]
        if frames:
            track = track_scores(
                [_mask_at(prediction, index, truth.shape) for index, truth in frames],
                [np.isin(truth, query.expected_ids) for _, truth in frames],
            )
    elif labels is not None:
        mask = _mask_at(prediction, query.frame_index, labels.shape)
        iou = region_similarity(mask, np.isin(labels, query.expected_ids))
    return QueryScore(
        query_id=query.query_id,
        kind=query.kind,
        question=_describe(query),
        expected=str(sorted(query.expected_ids)),
        predicted="n/a" if predicted_ids is None else str(sorted(predicted_ids)),
        correct=None if predicted_ids is None else ids_correct(predicted_ids, query.expected_ids),
        iou=iou,
        track=track,
    )
