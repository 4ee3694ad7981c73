"""The notes of a run report: the facts a reader needs to interpret its numbers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from unipixel_ros.evaluation.scoring.queries import QuerySpec

__all__ = ["run_notes"]


def run_notes(
    *,
    rate: float,
    random: bool,
    spec: QuerySpec,
    truths: Sequence[np.ndarray | None],
) -> tuple[str, ...]:
    """The notes of a replay at ``rate`` (0: each frame waited for the node's output).

    Args:
        rate: The replay speed factor.
        random: Whether the weights were random.
        spec: The query spec.
        truths: Every frame's ground truth, None where the bag has none.
    """
    notes = []
    if random:
        notes.append(
            "The weights are RANDOM: every score and answer here is meaningless; the run only "
            "shows that the pipeline works."
        )
    unlabelled = sum(truth is None for truth in truths)
    if unlabelled:
        notes.append(
            f"{unlabelled} of {len(truths)} frames have no ground truth on "
            f"{spec.ground_truth_topic}; they are left out of every mask score."
        )
    if rate == 0:
        notes.append(
            "Each frame was sent only after the node had published the masks of the frame "
            "before it, so a frame without output is one the node failed on, not one it had no "
            "time for."
        )
    else:
        notes.append(
            f"Frames kept their recorded spacing (x{rate:g}); the replay paused on each "
            "frame with queries until they were answered, then resumed."
        )
    notes += [
        "Per-frame latency: image published by the replayer to its masks received back (both "
        "on this machine, transport included).",
        "Segment queries are asked with track: false; text track queries with track: true.",
        "Click tracks are scored from the frame after the click: AddObjects returns no mask "
        "for the clicked frame.",
    ]
    return tuple(notes)
