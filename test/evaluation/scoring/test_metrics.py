from __future__ import annotations

import math

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError
from unipixel_ros.evaluation.scoring.metrics import (
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


def _row(bits: str) -> np.ndarray:
    return np.array([[c == "1" for c in bits]])


def test_region_similarity_is_intersection_over_union():
    prediction = np.zeros((5, 5), dtype=bool)
    prediction[1:3, 1:3] = True  # 4 pixels
    truth = np.zeros((5, 5), dtype=bool)
    truth[1:3, 1:4] = True  # 6 pixels, containing the prediction
    # I = 4, U = 6.
    assert region_similarity(prediction, truth) == pytest.approx(4 / 6)


def test_region_similarity_of_two_empty_masks_is_one():
    empty = np.zeros((3, 4), dtype=bool)
    assert region_similarity(empty, empty) == 1.0


def test_region_similarity_rejects_masks_of_different_shapes():
    with pytest.raises(BadInputError, match=r"equal shapes"):
        region_similarity(np.zeros((3, 4)), np.zeros((4, 3)))


def test_boundary_map_marks_pixels_whose_right_or_lower_neighbour_differs():
    mask = np.zeros((4, 4), dtype=bool)
    mask[1:3, 1:3] = True
    expected = np.array(
        [
            # (0,0) differs from its lower-right neighbour (1,1); (0,1), (0,2) from below.
            [1, 1, 1, 0],
            # (1,0) differs from the right; (1,2) from the right; (1,1) equals all three.
            [1, 0, 1, 0],
            # (2,0) right; (2,1) below; (2,2) right and below.
            [1, 1, 1, 0],
            # last row: only the right neighbour counts; none differ.
            [0, 0, 0, 0],
        ],
        dtype=bool,
    )
    np.testing.assert_array_equal(boundary_map(mask), expected)


def test_dilate_disc_of_one_pixel_covers_a_disc_of_thirteen_pixels_at_radius_two():
    mask = np.zeros((7, 7), dtype=bool)
    mask[3, 3] = True
    dilated = dilate_disc(mask, 2)
    # dy = 0: 5 pixels, dy = +-1: 3 each (isqrt(3) = 1), dy = +-2: 1 each.
    assert dilated.sum() == 13
    yy, xx = np.mgrid[:7, :7]
    np.testing.assert_array_equal(dilated, (yy - 3) ** 2 + (xx - 3) ** 2 <= 4)


def test_dilate_disc_clips_at_the_image_border():
    mask = np.zeros((3, 3), dtype=bool)
    mask[0, 0] = True
    # Radius 1 from a corner reaches (0,1) and (1,0) only.
    assert dilate_disc(mask, 1).sum() == 3


def test_boundary_f_measure_is_one_for_identical_masks():
    mask = np.zeros((20, 20), dtype=bool)
    mask[4:12, 6:15] = True
    assert boundary_f_measure(mask, mask) == 1.0


def test_boundary_f_measure_matches_a_hand_computed_one_row_case():
    truth = _row("00111000")  # boundary pixels (differ from the right): 1 and 4
    prediction = _row("00000110")  # boundary pixels: 4 and 6
    # Radius 1: truth boundary dilated = {0..5} holds prediction pixel 4, not 6 -> P = 1/2;
    # prediction boundary dilated = {3..7} holds truth pixel 4, not 1 -> R = 1/2; F = 1/2.
    assert boundary_f_measure(prediction, truth, tolerance=1) == pytest.approx(0.5)
    # Radius 2: {0..6} holds 4 and 6 -> P = 1; {2..7} holds 4, not 1 -> R = 1/2; F = 2/3.
    assert boundary_f_measure(prediction, truth, tolerance=2) == pytest.approx(2 / 3)


def test_boundary_f_measure_uses_the_fraction_of_the_image_diagonal_as_radius():
    # Shape (30, 40): diagonal 50 px. Tolerance 0.03 -> ceil(1.5) = 2 px, as tolerance=2.
    truth = np.zeros((30, 40), dtype=bool)
    truth[10:20, 10:20] = True
    prediction = np.zeros_like(truth)
    prediction[12:22, 12:22] = True
    assert boundary_f_measure(prediction, truth, tolerance=0.03) == pytest.approx(
        boundary_f_measure(prediction, truth, tolerance=2)
    )
    assert boundary_f_measure(prediction, truth, tolerance=0.03) > boundary_f_measure(
        prediction, truth, tolerance=1
    )


def test_boundary_f_measure_is_zero_when_only_one_mask_has_a_boundary():
    truth = np.zeros((8, 8), dtype=bool)
    truth[2:5, 2:5] = True
    assert boundary_f_measure(np.zeros_like(truth), truth) == 0.0
    assert boundary_f_measure(truth, np.zeros_like(truth)) == 0.0
    assert boundary_f_measure(np.zeros_like(truth), np.zeros_like(truth)) == 1.0


def test_track_scores_average_j_and_f_into_j_and_f():
    truth = np.zeros((6, 6), dtype=bool)
    truth[1:4, 1:4] = True
    empty = np.zeros_like(truth)
    # Frame 0 perfect (J = F = 1); frame 1 missed (J = 0, F = 0).
    scores = track_scores([truth, empty], [truth, truth])
    assert scores.j_per_frame == (1.0, 0.0)
    assert scores.f_per_frame == (1.0, 0.0)
    assert scores.j_mean == 0.5
    assert scores.jf_mean == 0.5


def test_track_scores_rejects_unequal_frame_counts():
    mask = np.zeros((2, 2), dtype=bool)
    with pytest.raises(BadInputError, match=r"equal, non-zero frame counts, got 2 and 1"):
        track_scores([mask, mask], [mask])


def test_cumulative_and_generalized_iou_differ_as_hand_computed():
    truth_a = np.zeros((5, 5), dtype=bool)
    truth_a[1:3, 1:4] = True
    prediction_a = np.zeros_like(truth_a)
    prediction_a[1:3, 1:3] = True  # I = 4, U = 6, IoU 2/3
    truth_b = np.zeros((5, 5), dtype=bool)
    truth_b[0, 0] = True
    prediction_b = np.zeros_like(truth_b)
    prediction_b[4, 4] = True  # I = 0, U = 2, IoU 0
    predictions, truths = [prediction_a, prediction_b], [truth_a, truth_b]
    assert cumulative_iou(predictions, truths) == pytest.approx(4 / 8)
    assert generalized_iou(predictions, truths) == pytest.approx((2 / 3 + 0) / 2)


def test_ids_correct_compares_sets():
    assert ids_correct([3, 1], (1, 3))
    assert not ids_correct([1], (1, 3))
    assert ids_correct([], ())


def test_chosen_option_finds_the_single_named_option_as_a_whole_word():
    options = ("cup", "bowl", "box")
    assert chosen_option("It is a Bowl.", options) == "bowl"
    assert chosen_option("a cup or a bowl", options) is None
    assert chosen_option("the cupboard", options) is None
    assert chosen_option("", options) is None


def test_summarize_latency_interpolates_percentiles_and_counts_drops():
    summary = summarize_latency([0.010, 0.020, 0.030, 0.040, 0.050], frames_sent=7)
    # Sorted ms [10, 20, 30, 40, 50]; p90 at rank 0.9 * 4 = 3.6 -> 40 + 0.6 * 10 = 46.
    assert summary.p50_ms == pytest.approx(30.0)
    assert summary.p90_ms == pytest.approx(46.0)
    assert summary.mean_ms == pytest.approx(30.0)
    assert summary.max_ms == pytest.approx(50.0)
    assert summary.frames_dropped == 2
    assert summary.drop_rate == pytest.approx(2 / 7)


def test_summarize_latency_without_outputs_reports_every_frame_dropped():
    summary = summarize_latency([], frames_sent=3)
    assert summary.count == 0
    assert math.isnan(summary.p50_ms)
    assert summary.frames_dropped == 3


def test_summarize_latency_rejects_more_outputs_than_frames():
    with pytest.raises(
        BadInputError, match=r"frames_sent \(1\) is below the outputs received \(2\)"
    ):
        summarize_latency([0.1, 0.2], frames_sent=1)


def test_boundary_f_measure_equals_brute_force_matching_on_random_masks():
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:30, :40]
    for _ in range(5):
        truth = (yy - rng.integers(5, 25)) ** 2 + (xx - rng.integers(5, 35)) ** 2 < 60
        prediction = (yy - rng.integers(5, 25)) ** 2 + (xx - rng.integers(5, 35)) ** 2 < 70
        radius = 2
        p_pts = np.argwhere(boundary_map(prediction))
        t_pts = np.argwhere(boundary_map(truth))
        distances = ((p_pts[:, None, :] - t_pts[None, :, :]) ** 2).sum(axis=2)
        precision = np.mean(distances.min(axis=1) <= radius**2)
        recall = np.mean(distances.min(axis=0) <= radius**2)
        expected = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        assert boundary_f_measure(prediction, truth, tolerance=radius) == pytest.approx(expected)
