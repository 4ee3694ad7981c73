"""The drawing state of one overlay stream: object colours, last boxes, and the answer caption.

One `OverlayStyle` per image stream (a camera of the node, the frames of a GIF). Time is the
frames' stamps, never the wall clock, so that a replay draws the same pictures every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

from unipixel_ros.visualization.palette import MAX_ASSIGNED_COLOURS, ColourAssignments

__all__ = [
    "CAPTION_FADE_S",
    "CAPTION_HOLD_S",
    "Box",
    "Caption",
    "OverlayStyle",
    "ShownCaption",
]

#: Seconds (of frame stamps) an answer caption is shown fully, then the seconds it fades over.
CAPTION_HOLD_S = 4.0
CAPTION_FADE_S = 2.0


class Box(NamedTuple):
    """A pixel box, inclusive: columns ``x0..x1``, rows ``y0..y1``."""

    x0: int
    y0: int
    x1: int
    y1: int


@dataclass(frozen=True)
class Caption:
    """An answer to show: the query's id (e.g. "q3") and the model's text."""

    query_id: str
    text: str


class ShownCaption(NamedTuple):
    """The caption on one frame, and its opacity there (1 fully shown, towards 0 fading)."""

    caption: Caption
    opacity: float


class OverlayStyle:
    """Per-stream drawing state, updated by each drawn frame.

    - ``colours``: each object's colour, chosen when it is first drawn, then kept.
    - last boxes: each object's box on the last frame it was visible, for drawing it as lost;
      at most `MAX_ASSIGNED_COLOURS` ids, the one seen longest ago forgotten first.
    - the caption: the last answer, shown from the first frame drawn after `show_answer`, for
      `CAPTION_HOLD_S` seconds of frame stamps, then fading out over `CAPTION_FADE_S`.

    `show_answer` may be called from another thread than the drawing.
    """

    def __init__(self) -> None:
        self.colours = ColourAssignments()
        self._boxes: OrderedDict[int, Box] = OrderedDict()
        self._lock = threading.Lock()
        self._caption: Caption | None = None
        self._caption_since_ns: int | None = None

    def show_answer(self, query_id: str, text: str) -> None:
        """Caption the frames from the next one drawn on with this answer."""
        with self._lock:
            self._caption = Caption(query_id=query_id, text=" ".join(text.split()))
            self._caption_since_ns = None

    def caption_at(self, stamp_ns: int) -> ShownCaption | None:
        """The caption of the frame stamped ``stamp_ns``; None once faded (or without any).

        The first frame asked for after `show_answer` starts the caption's clock; a frame
        stamped earlier than that start (a replay restarted) starts it again.
        """
        with self._lock:
            caption = self._caption
            if caption is None:
                return None
            if self._caption_since_ns is None or stamp_ns < self._caption_since_ns:
                self._caption_since_ns = stamp_ns
            age_s = (stamp_ns - self._caption_since_ns) / 1e9
        if age_s <= CAPTION_HOLD_S:
            return ShownCaption(caption, 1.0)
        opacity = 1.0 - (age_s - CAPTION_HOLD_S) / CAPTION_FADE_S
        return ShownCaption(caption, opacity) if opacity > 0.0 else None

    def remember_box(self, object_id: int, box: Box) -> None:
        """Keep ``box`` as where ``object_id`` was last seen."""
        self._boxes[object_id] = box
        self._boxes.move_to_end(object_id)
        while len(self._boxes) > MAX_ASSIGNED_COLOURS:
            self._boxes.popitem(last=False)

    def last_box(self, object_id: int) -> Box | None:
        """Where ``object_id`` was last seen, None when it never was."""
        return self._boxes.get(object_id)
