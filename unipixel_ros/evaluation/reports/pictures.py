"""The pictures of a report: the replay's overlay GIF with its timeline, and one strip of first /
middle / last frames per scored track."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from unipixel_ros.errors import BadInputError
from unipixel_ros.evaluation.scoring.evaluate import (
    QueryPrediction,
    QueryScore,
    scored_track_frames,
)
from unipixel_ros.evaluation.scoring.queries import QueryKind, QuerySpec
from unipixel_ros.visualization.gif import write_gif
from unipixel_ros.visualization.overlay import OverlayObject, draw_overlay
from unipixel_ros.visualization.overlay_style import OverlayStyle
from unipixel_ros.visualization.timeline import TimelineEvent, draw_timeline
from unipixel_ros.visualization.track_strip import TrackPanel, draw_track_strip

__all__ = [
    "GIF_OVERLAY_ALPHA",
    "OVERLAY_GIF_NAME",
    "AnswerEvent",
    "ReplayPictures",
    "TrackPicture",
    "strip_frames",
    "strip_frames_of_tracks",
    "track_pictures",
    "track_strip_name",
    "write_replay_gif",
    "write_track_strips",
]

OVERLAY_GIF_NAME = "overlay.gif"
# The GIF's fill is lighter than the node's default, so an object's own colour still shows.
GIF_OVERLAY_ALPHA = 0.3


class AnswerEvent(NamedTuple):
    """A request of the replay, for the caption and the timeline.

    Args:
        query_id: The spec's query.
        asked_frame: Frame the request was sent on.
        answered_frame: Frame the answer was computed on; None when the request failed.
        text: The answer's text; empty draws no caption (e.g. a click).
    """

    query_id: str
    asked_frame: int
    answered_frame: int | None
    text: str


@dataclass(frozen=True, kw_only=True, eq=False)
class TrackPicture:
    """The strip of one scored track.

    Args:
        query_id: The track's query.
        jf: Its J&F.
        panels: Its first, middle and last scored frames.
    """

    query_id: str
    jf: float
    panels: tuple[TrackPanel, ...]


@dataclass(frozen=True, kw_only=True, eq=False)
class ReplayPictures:
    """What a report's pictures are drawn from.

    Args:
        frame_indices: The bag frames the GIF shows, increasing.
        rgb: Their colour images, `(height, width, 3)` uint8 each.
        objects: Per GIF frame, the objects the node published for it.
        stamps_ns: Header stamps of every bag frame (for the caption's clock and the timeline).
        answers: Every request of the run.
        tracks: The scored tracks' strips.
        frame_rate_hz: GIF playback rate.
        random_weights: The model's weights were random (every frame is stamped so).
        overlay_alpha: Opacity of the mask fill.
    """

    frame_indices: tuple[int, ...]
    rgb: Sequence[np.ndarray]
    objects: Sequence[Sequence[OverlayObject]]
    stamps_ns: Sequence[int]
    answers: Sequence[AnswerEvent] = ()
    tracks: Sequence[TrackPicture] = ()
    frame_rate_hz: float = 10.0
    random_weights: bool = False
    overlay_alpha: float = GIF_OVERLAY_ALPHA

    def __post_init__(self) -> None:
        counts = {len(self.frame_indices), len(self.rgb), len(self.objects)}
        if len(counts) != 1:
            msg = f"need one image and one object list per GIF frame, got {len(self.rgb)} "
            msg += f"images and {len(self.objects)} object lists for {len(self.frame_indices)} "
            msg += "frames"
            raise BadInputError(msg)
        if any(index >= len(self.stamps_ns) or index < 0 for index in self.frame_indices):
            msg = f"GIF frames {list(self.frame_indices)} reach past the bag's "
            msg += f"{len(self.stamps_ns)} frames"
            raise BadInputError(msg)


def write_replay_gif(path: Path, pictures: ReplayPictures) -> Path | None:
    """The replay as the node's overlay draws it (bag resolution), each frame with the answer
    that was current then as caption and the timeline strip under it; None without frames."""
    if not pictures.frame_indices:
        return None
    style = OverlayStyle()
    pending = sorted(
        (a for a in pictures.answers if a.answered_frame is not None and a.text.strip()),
        key=lambda a: (a.answered_frame, a.asked_frame),
    )
    events = [TimelineEvent(a.query_id, a.asked_frame, a.answered_frame) for a in pictures.answers]
    first_ns = pictures.stamps_ns[0]
    frames = []
    for index, rgb, objects in zip(
        pictures.frame_indices, pictures.rgb, pictures.objects, strict=True
    ):
        while pending and (pending[0].answered_frame or 0) <= index:
            answer = pending.pop(0)
            style.show_answer(answer.query_id, answer.text)
        stamp = pictures.stamps_ns[index]
        overlay = draw_overlay(
            rgb,
            objects,
            style=style,
            stamp_ns=stamp,
            alpha=pictures.overlay_alpha,
            random_weights=pictures.random_weights,
        )
        strip = draw_timeline(
            width=overlay.shape[1],
            frame_count=len(pictures.stamps_ns),
            events=events,
            current_frame=index,
            seconds=(stamp - first_ns) / 1e9,
        )
        frames.append(np.concatenate([overlay, strip], axis=0))
    return write_gif(path, frames, frame_rate_hz=pictures.frame_rate_hz)


def track_strip_name(query_id: str) -> str:
    """The strip's file name for ``query_id`` (only safe characters)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in query_id)
    return f"track_{safe}.png"


def write_track_strips(out_dir: Path, tracks: Sequence[TrackPicture]) -> tuple[Path, ...]:
    """One PNG per track (`track_strip_name`), in ``tracks``' order."""
    paths = []
    for track in tracks:
        title = f"{track.query_id}: J&F {track.jf:.3f} - prediction filled, ground truth in white"
        strip = draw_track_strip(track.panels, title=title)
        path = out_dir / track_strip_name(track.query_id)
        # 256 colours keep the file small; the scenes and outlines lose nothing visible.
        Image.fromarray(strip).quantize(
            colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        ).save(path, optimize=True)
        paths.append(path)
    return tuple(paths)


def strip_frames(scored: Sequence[int]) -> tuple[tuple[str, int], ...]:
    """The first, middle and last of a track's scored frames, named (fewer when they repeat)."""
    if not scored:
        return ()
    picks = (("first", scored[0]), ("middle", scored[len(scored) // 2]), ("last", scored[-1]))
    seen: set[int] = set()
    out = []
    for name, index in picks:
        if index not in seen:
            seen.add(index)
            out.append((name, index))
    return tuple(out)


def track_pictures(
    *,
    spec: QuerySpec,
    scores: Sequence[QueryScore],
    predictions: Sequence[QueryPrediction],
    truths: Sequence[np.ndarray | None],
    images: Mapping[int, np.ndarray],
) -> tuple[TrackPicture, ...]:
    """The strip of every scored track of ``scores``.

    Args:
        spec: The spec the run was scored with.
        scores: The run's scores.
        predictions: What the node answered, by query.
        truths: Every frame's ground-truth label image (None without one).
        images: Colour images by frame index; must hold every track's `strip_frames`.

    Raises:
        BadInputError: a strip frame is missing from ``images``.
    """
    queries = {query.query_id: query for query in spec.queries}
    by_id = {prediction.query_id: prediction for prediction in predictions}
    pictures = []
    for score in scores:
        if score.kind is not QueryKind.TRACK or score.track is None:
            continue
        query = queries[score.query_id]
        prediction = by_id.get(score.query_id, QueryPrediction(query_id=score.query_id))
        scored = scored_track_frames(query, prediction, truths)
        panels = []
        for name, index in strip_frames(scored):
            if index not in images:
                msg = f"track {score.query_id!r}: no colour image of frame {index} was read"
                raise BadInputError(msg)
            truth = np.isin(truths[index], query.expected_ids)  # type: ignore[arg-type]
            mask = prediction.masks.get(index)
            panels.append(
                TrackPanel(
                    name=name,
                    frame_index=index,
                    rgb=images[index],
                    truth=truth,
                    prediction=np.zeros_like(truth) if mask is None else mask.astype(bool),
                    j=score.track.j_per_frame[scored.index(index)],
                )
            )
        pictures.append(
            TrackPicture(query_id=score.query_id, jf=score.track.jf_mean, panels=tuple(panels))
        )
    return tuple(pictures)


def strip_frames_of_tracks(
    *,
    spec: QuerySpec,
    predictions: Sequence[QueryPrediction],
    truths: Sequence[np.ndarray | None],
) -> set[int]:
    """Every frame some track's strip shows (to read their images)."""
    by_id = {prediction.query_id: prediction for prediction in predictions}
    frames: set[int] = set()
    for query in spec.queries:
        if query.kind is QueryKind.TRACK:
            prediction = by_id.get(query.query_id, QueryPrediction(query_id=query.query_id))
            scored = scored_track_frames(query, prediction, truths)
            frames.update(index for _, index in strip_frames(scored))
    return frames
