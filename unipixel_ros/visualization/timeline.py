"""A timeline strip for replay GIFs: where the replay is, and when each query was asked and
answered, in frames of the bag."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from unipixel_ros.errors import BadInputError
from unipixel_ros.visualization.text import font, font_size_for

__all__ = ["ANSWERED_COLOUR", "ASKED_COLOUR", "FAILED_COLOUR", "TimelineEvent", "draw_timeline"]

ASKED_COLOUR = (255, 200, 40)
ANSWERED_COLOUR = (60, 200, 90)
FAILED_COLOUR = (230, 40, 40)
_BACKGROUND = (32, 32, 36)
_TRACK = (90, 90, 98)
_PLAYED = (170, 170, 180)
_TEXT = (235, 235, 235)


class TimelineEvent(NamedTuple):
    """One query on the timeline.

    Args:
        query_id: The query's name.
        asked_frame: Frame the query was asked on.
        answered_frame: Frame its answer was computed on; None when it failed.
    """

    query_id: str
    asked_frame: int
    answered_frame: int | None


def draw_timeline(
    *,
    width: int,
    frame_count: int,
    events: Sequence[TimelineEvent],
    current_frame: int,
    seconds: float | None = None,
) -> np.ndarray:
    """The strip under one GIF frame.

    A bar over the bag's frames, filled up to ``current_frame`` and marked there; per query a
    triangle where it was asked (`ASKED_COLOUR`) and a dot where it was answered
    (`ANSWERED_COLOUR`, or a cross in `FAILED_COLOUR` on the asked frame when it failed), with
    its id above; the frame number (and ``seconds`` into the bag) on the right.

    Args:
        width: Strip width in pixels (the frame's width).
        frame_count: Frames in the bag (>= 1).
        events: The queries.
        current_frame: The frame this strip goes under.
        seconds: Time of ``current_frame`` from the bag's first frame, when known.

    Returns:
        `np.ndarray` of shape `(strip height, width, 3)`, uint8.
    """
    if frame_count < 1 or not 0 <= current_frame < frame_count or width < 1:
        msg = "need frame_count >= 1, 0 <= current_frame < frame_count and width >= 1; got "
        msg += f"{frame_count}, {current_frame}, {width}"
        raise BadInputError(msg)
    size = max(10, round(0.8 * font_size_for(round(width * 3 / 4))))
    typeface = font(size)
    marker = max(4, size // 3)
    bar_y = 2 * size + 6 + 3 * marker
    height = bar_y + marker + 6
    image = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    readout = f"frame {current_frame + 1}/{frame_count}"
    if seconds is not None:
        readout += f"  {seconds:.1f} s"
    readout_width = round(typeface.getlength(f"frame {frame_count}/{frame_count}  000.0 s"))
    left, right = size, width - readout_width - 2 * size
    right = max(left + 1, right)  # a narrow frame: the readout runs over the bar

    def x_of(frame: int) -> int:
        return left + round((right - left) * frame / max(1, frame_count - 1))

    draw.line((left, bar_y, right, bar_y), fill=_TRACK, width=4)
    draw.line((left, bar_y, x_of(current_frame), bar_y), fill=_PLAYED, width=4)
    label_rows = (2, 2 + size)
    for row, event in enumerate(sorted(events, key=lambda e: (e.asked_frame, e.query_id))):
        asked = x_of(min(max(event.asked_frame, 0), frame_count - 1))
        if event.answered_frame is None:
            d = marker
            draw.line((asked - d, bar_y - d, asked + d, bar_y + d), fill=FAILED_COLOUR, width=3)
            draw.line((asked - d, bar_y + d, asked + d, bar_y - d), fill=FAILED_COLOUR, width=3)
        else:
            answered = x_of(min(max(event.answered_frame, 0), frame_count - 1))
            draw.line((asked, bar_y, answered, bar_y), fill=ANSWERED_COLOUR, width=4)
            tip, top = (asked, bar_y - marker), bar_y - 3 * marker
            draw.polygon((tip, (asked - marker, top), (asked + marker, top)), fill=ASKED_COLOUR)
            draw.ellipse(
                (answered - marker, bar_y - marker, answered + marker, bar_y + marker),
                fill=ANSWERED_COLOUR,
            )
        label_width = round(typeface.getlength(event.query_id))
        label_x = max(0, min(width - readout_width - label_width, asked - label_width // 2))
        draw.text((label_x, label_rows[row % 2]), event.query_id, fill=_TEXT, font=typeface)
    cursor = x_of(current_frame)
    draw.line((cursor, bar_y - 3 * marker - 2, cursor, bar_y + marker + 2), fill=_TEXT, width=2)
    draw.text(
        (width - readout_width - size // 2, bar_y), readout, fill=_TEXT, font=typeface, anchor="lm"
    )
    return np.asarray(image)
