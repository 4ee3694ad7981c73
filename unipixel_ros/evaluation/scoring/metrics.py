"""Segmentation, answer and latency metrics, numpy only.

* J: region similarity, the IoU of a predicted and a true mask; 1 when both are empty.
* F: the DAVIS boundary F-measure. Boundaries are the pixels whose right, lower or lower-right
  neighbour differs; a boundary pixel counts as matched when the other mask's boundary lies
  within a disc of radius ``ceil(tolerance * image diagonal)`` (tolerance 0.008 by default).
* J&F: the mean of mean J and mean F over a track's frames.
* cIoU: cumulative IoU, total intersection over total union across samples.
* gIoU: the mean of per-sample IoUs (empty unions count 1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from unipixel_ros.errors import BadInputError

__all__ = [
    "DEFAULT_BOUNDARY_TOLERANCE",
    "LatencySummary",
    "TrackScores",
    "boundary_f_measure",
    "boundary_map",
    "chosen_option",
    "cumulative_iou",
    "dilate_disc",
    "generalized_iou",
    "ids_correct",
    "region_similarity",
    "summarize_latency",
    "track_scores",
]

DEFAULT_BOUNDARY_TOLERANCE = 0.008


@dataclass(frozen=True, kw_only=True)
class TrackScores:
    """J and F of one track.

    Args:
        j_per_frame: Region similarity of every scored frame.
        f_per_frame: Boundary F-measure of every scored frame.
    """

    j_per_frame: tuple[float, ...]
    f_per_frame: tuple[float, ...]

    @property
    def j_mean(self) -> float:
        """Mean J over frames."""
        return float(np.mean(self.j_per_frame))

    @property
    def f_mean(self) -> float:
        """Mean F over frames."""
        return float(np.mean(self.f_per_frame))

    @property
    def jf_mean(self) -> float:
        """J&F: the mean of mean J and mean F."""
        return 0.5 * (self.j_mean + self.f_mean)


@dataclass(frozen=True, kw_only=True)
class LatencySummary:
    """Latency percentiles in milliseconds, and frames that got no output.

    Args:
        count: Latencies measured.
        mean_ms: Mean latency.
        p50_ms: Median latency.
        p90_ms: 90th percentile.
        p95_ms: 95th percentile.
        p99_ms: 99th percentile.
        max_ms: Largest latency.
        frames_sent: Frames offered to the system under test.
        frames_dropped: Frames that got no output.
    """

    count: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    frames_sent: int
    frames_dropped: int

    @property
    def drop_rate(self) -> float:
        """Share of frames that got no output (0 when none were sent)."""
        return self.frames_dropped / self.frames_sent if self.frames_sent else 0.0


def _check_pair(prediction: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if prediction.shape != truth.shape or prediction.ndim != 2:
        msg = (
            f"masks must be 2-D with equal shapes, got prediction {prediction.shape} and truth "
            f"{truth.shape}"
        )
        raise BadInputError(msg)
    return prediction.astype(bool), truth.astype(bool)


def region_similarity(prediction: np.ndarray, truth: np.ndarray) -> float:
    """J: IoU of two masks, 1 when both are empty.

    Args:
        prediction: `np.ndarray` of shape `(height, width)`, bool (or 0/1).
        truth: `np.ndarray` of shape `(height, width)`, bool (or 0/1).
    """
    prediction, truth = _check_pair(prediction, truth)
    union = np.count_nonzero(prediction | truth)
    if union == 0:
        return 1.0
    return np.count_nonzero(prediction & truth) / union


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """Boundary pixels of a mask, one pixel wide, inside the foreground or next to it.

    A pixel is on the boundary when it differs from its right, lower or lower-right neighbour;
    in the last row only the right neighbour counts, in the last column only the lower one.

    Args:
        mask: `np.ndarray` of shape `(height, width)`, bool.

    Returns:
        `np.ndarray` of shape `(height, width)`, bool.
    """
    mask = mask.astype(bool)
    right = np.zeros_like(mask)
    below = np.zeros_like(mask)
    diagonal = np.zeros_like(mask)
    right[:, :-1] = mask[:, 1:]
    below[:-1, :] = mask[1:, :]
    diagonal[:-1, :-1] = mask[1:, 1:]
    boundary = (mask ^ right) | (mask ^ below) | (mask ^ diagonal)
    boundary[-1, :] = mask[-1, :] ^ right[-1, :]
    boundary[:, -1] = mask[:, -1] ^ below[:, -1]
    boundary[-1, -1] = False
    return boundary


def dilate_disc(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation by the disc {(dy, dx): dy^2 + dx^2 <= radius^2}.

    Each row of the disc is a horizontal run; runs are computed with a cumulative sum and then
    shifted vertically, so the cost is O(radius) passes over the image.

    Args:
        mask: `np.ndarray` of shape `(height, width)`, bool.
        radius: Disc radius in pixels, >= 0.
    """
    if radius < 0:
        msg = f"radius must be >= 0, got {radius}"
        raise BadInputError(msg)
    mask = mask.astype(bool)
    height, width = mask.shape
    padded = np.zeros((height, width + 2 * radius + 1), dtype=np.int32)
    padded[:, radius + 1 : radius + 1 + width] = mask
    cumulative = np.cumsum(padded, axis=1)
    runs: dict[int, np.ndarray] = {}
    out = np.zeros_like(mask)
    for dy in range(-radius, radius + 1):
        half = math.isqrt(radius * radius - dy * dy)
        if half not in runs:
            columns = np.arange(width) + radius + 1
            runs[half] = (cumulative[:, columns + half] - cumulative[:, columns - half - 1]) > 0
        run = runs[half]
        if dy >= 0:
            out[dy:, :] |= run[: height - dy, :]
        else:
            out[:dy, :] |= run[-dy:, :]
    return out


def boundary_f_measure(
    prediction: np.ndarray,
    truth: np.ndarray,
    *,
    tolerance: float = DEFAULT_BOUNDARY_TOLERANCE,
) -> float:
    """F: the DAVIS boundary F-measure of two masks.

    Args:
        prediction: `np.ndarray` of shape `(height, width)`, bool.
        truth: `np.ndarray` of shape `(height, width)`, bool.
        tolerance: Match distance as a fraction of the image diagonal (< 1), or in pixels (>= 1).

    Returns:
        2PR / (P + R); 1 when neither mask has a boundary, 0 when only one has.
    """
    prediction, truth = _check_pair(prediction, truth)
    if tolerance <= 0.0:
        msg = f"tolerance must be > 0, got {tolerance}"
        raise BadInputError(msg)
    radius = (
        math.ceil(tolerance * math.hypot(*prediction.shape)) if tolerance < 1 else int(tolerance)
    )
    predicted_boundary = boundary_map(prediction)
    true_boundary = boundary_map(truth)
    predicted_count = np.count_nonzero(predicted_boundary)
    true_count = np.count_nonzero(true_boundary)
    if predicted_count == 0 and true_count == 0:
        return 1.0
    if predicted_count == 0 or true_count == 0:
        return 0.0
    # Matching only happens within `radius` of a boundary pixel: crop to save time.
    rows = np.flatnonzero((predicted_boundary | true_boundary).any(axis=1))
    cols = np.flatnonzero((predicted_boundary | true_boundary).any(axis=0))
    window = (
        slice(max(rows[0] - radius, 0), rows[-1] + radius + 1),
        slice(max(cols[0] - radius, 0), cols[-1] + radius + 1),
    )
    predicted_boundary = predicted_boundary[window]
    true_boundary = true_boundary[window]
    precision = (
        np.count_nonzero(predicted_boundary & dilate_disc(true_boundary, radius)) / predicted_count
    )
    recall = np.count_nonzero(true_boundary & dilate_disc(predicted_boundary, radius)) / true_count
    if precision + recall == 0.0:
        return 0.0
    return 2.0 * precision * recall / (precision + recall)


def track_scores(
    predictions: Sequence[np.ndarray],
    truths: Sequence[np.ndarray],
    *,
    tolerance: float = DEFAULT_BOUNDARY_TOLERANCE,
) -> TrackScores:
    """J and F of every frame of a track.

    Args:
        predictions: One `(height, width)` bool mask per frame.
        truths: The true masks of the same frames.
        tolerance: Boundary tolerance, see :func:`boundary_f_measure`.
    """
    if len(predictions) != len(truths) or not truths:
        msg = f"need equal, non-zero frame counts, got {len(predictions)} and {len(truths)}"
        raise BadInputError(msg)
    pairs = list(zip(predictions, truths, strict=True))
    return TrackScores(
        j_per_frame=tuple(region_similarity(p, t) for p, t in pairs),
        f_per_frame=tuple(boundary_f_measure(p, t, tolerance=tolerance) for p, t in pairs),
    )


def cumulative_iou(predictions: Sequence[np.ndarray], truths: Sequence[np.ndarray]) -> float:
    """cIoU: sum of intersections over sum of unions; 1 when every union is empty."""
    if len(predictions) != len(truths) or not truths:
        msg = f"need equal, non-zero sample counts, got {len(predictions)} and {len(truths)}"
        raise BadInputError(msg)
    intersection = 0
    union = 0
    for prediction, truth in zip(predictions, truths, strict=True):
        p, t = _check_pair(prediction, truth)
        intersection += int(np.count_nonzero(p & t))
        union += int(np.count_nonzero(p | t))
    return 1.0 if union == 0 else intersection / union


def generalized_iou(predictions: Sequence[np.ndarray], truths: Sequence[np.ndarray]) -> float:
    """gIoU: the mean of per-sample IoUs (an empty union counts 1)."""
    if len(predictions) != len(truths) or not truths:
        msg = f"need equal, non-zero sample counts, got {len(predictions)} and {len(truths)}"
        raise BadInputError(msg)
    pairs = zip(predictions, truths, strict=True)
    return float(np.mean([region_similarity(p, t) for p, t in pairs]))


def ids_correct(predicted_ids: Sequence[int], expected_ids: Sequence[int]) -> bool:
    """Whether a set answer is exactly right (order and repeats do not matter)."""
    return set(predicted_ids) == set(expected_ids)


def chosen_option(answer_text: str, options: Sequence[str]) -> str | None:
    """The one option a free-text answer names, as a whole word, case-insensitively.

    Returns:
        The option, or None when the answer names none or several of them.
    """
    named = [
        option
        for option in options
        if re.search(rf"(?<!\w){re.escape(option.lower())}(?!\w)", answer_text.lower())
    ]
    return named[0] if len(named) == 1 else None


def summarize_latency(latencies_s: Sequence[float], *, frames_sent: int) -> LatencySummary:
    """Percentiles (linear interpolation between samples) of per-frame latencies.

    Args:
        latencies_s: Latency of every frame that got an output, seconds.
        frames_sent: Frames offered; those beyond ``len(latencies_s)`` count as dropped.
    """
    if frames_sent < len(latencies_s):
        msg = f"frames_sent ({frames_sent}) is below the outputs received ({len(latencies_s)})"
        raise BadInputError(msg)
    values = np.asarray(latencies_s, dtype=np.float64) * 1000.0
    if values.size == 0:
        nan = float("nan")
        return LatencySummary(
            count=0,
            mean_ms=nan,
            p50_ms=nan,
            p90_ms=nan,
            p95_ms=nan,
            p99_ms=nan,
            max_ms=nan,
            frames_sent=frames_sent,
            frames_dropped=frames_sent,
        )
    p50, p90, p95, p99 = np.percentile(values, [50, 90, 95, 99])
    return LatencySummary(
        count=int(values.size),
        mean_ms=float(values.mean()),
        p50_ms=float(p50),
        p90_ms=float(p90),
        p95_ms=float(p95),
        p99_ms=float(p99),
        max_ms=float(values.max()),
        frames_sent=frames_sent,
        frames_dropped=frames_sent - int(values.size),
    )
