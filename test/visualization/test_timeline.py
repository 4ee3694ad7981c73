from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError
from unipixel_ros.visualization.timeline import (
    ANSWERED_COLOUR,
    ASKED_COLOUR,
    FAILED_COLOUR,
    TimelineEvent,
    draw_timeline,
)

WIDTH = 640


def _columns_of(strip: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    return np.flatnonzero(np.all(strip == np.asarray(colour, np.uint8), axis=-1).any(axis=0))


def test_the_timeline_marks_where_queries_were_asked_and_answered():
    events = [TimelineEvent("segment", 2, 2), TimelineEvent("describe", 10, 20)]
    strip = draw_timeline(width=WIDTH, frame_count=30, events=events, current_frame=25)
    assert strip.shape[1] == WIDTH and strip.dtype == np.uint8
    asked = _columns_of(strip, ASKED_COLOUR)
    answered = _columns_of(strip, ANSWERED_COLOUR)
    # Two asked triangles; the answered span of "describe" reaches right of its triangle.
    assert asked.size and answered.size
    groups = np.split(asked, np.flatnonzero(np.diff(asked) > 1) + 1)
    assert len(groups) == 2
    assert answered.max() > groups[1].max() + 50
    assert not _columns_of(strip, FAILED_COLOUR).size


def test_a_failed_query_is_a_cross_on_its_frame():
    strip = draw_timeline(
        width=WIDTH, frame_count=30, events=[TimelineEvent("q", 15, None)], current_frame=0
    )
    failed = _columns_of(strip, FAILED_COLOUR)
    assert failed.size and not _columns_of(strip, ANSWERED_COLOUR).size


def test_the_strip_moves_with_the_current_frame():
    early = draw_timeline(width=WIDTH, frame_count=30, events=[], current_frame=0)
    late = draw_timeline(width=WIDTH, frame_count=30, events=[], current_frame=29)
    assert early.shape == late.shape and not np.array_equal(early, late)


def test_draw_timeline_rejects_a_frame_outside_the_bag():
    with pytest.raises(BadInputError, match="current_frame < frame_count"):
        draw_timeline(width=WIDTH, frame_count=30, events=[], current_frame=30)
