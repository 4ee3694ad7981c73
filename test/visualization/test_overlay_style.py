from __future__ import annotations

import threading

import pytest

from unipixel_ros.visualization.overlay_style import (
    CAPTION_FADE_S,
    CAPTION_HOLD_S,
    Box,
    OverlayStyle,
)
from unipixel_ros.visualization.palette import MAX_ASSIGNED_COLOURS

SECOND = 10**9


def test_the_caption_clock_starts_on_the_first_frame_after_the_answer():
    style = OverlayStyle()
    assert style.caption_at(0) is None
    style.show_answer("q2", "  a red\n cup ")
    first = style.caption_at(100 * SECOND)  # the answer took long; the clock starts here
    assert first is not None and first.opacity == 1.0
    assert (first.caption.query_id, first.caption.text) == ("q2", "a red cup")
    half = style.caption_at(100 * SECOND + int((CAPTION_HOLD_S + CAPTION_FADE_S / 2) * SECOND))
    assert half is not None and half.opacity == pytest.approx(0.5)
    assert style.caption_at(100 * SECOND + int((CAPTION_HOLD_S + CAPTION_FADE_S) * SECOND)) is None


def test_a_new_answer_restarts_the_caption():
    style = OverlayStyle()
    style.show_answer("q1", "first")
    style.caption_at(0)
    assert style.caption_at(60 * SECOND) is None
    style.show_answer("q2", "second")
    shown = style.caption_at(61 * SECOND)
    assert shown is not None and shown.caption.query_id == "q2" and shown.opacity == 1.0


def test_a_replay_that_starts_again_restarts_the_caption_clock():
    style = OverlayStyle()
    style.show_answer("q1", "red")
    style.caption_at(50 * SECOND)
    assert style.caption_at(60 * SECOND) is None
    shown = style.caption_at(1 * SECOND)  # stamps went back
    assert shown is not None and shown.opacity == 1.0


def test_answers_may_arrive_from_another_thread_while_frames_are_drawn():
    style = OverlayStyle()
    answers = threading.Thread(
        target=lambda: [style.show_answer(f"q{i}", "text") for i in range(2000)]
    )
    answers.start()
    for stamp in range(2000):
        shown = style.caption_at(stamp)
        assert shown is None or shown.caption.text == "text"
    answers.join()
    assert style.caption_at(5000).caption.query_id == "q1999"


def test_last_boxes_are_kept_up_to_the_capacity_oldest_seen_first_out():
    style = OverlayStyle()
    for object_id in range(1, MAX_ASSIGNED_COLOURS + 2):
        style.remember_box(object_id, Box(0, 0, object_id, object_id))
    assert style.last_box(1) is None
    newest = MAX_ASSIGNED_COLOURS + 1
    assert style.last_box(newest) == Box(0, 0, newest, newest)
