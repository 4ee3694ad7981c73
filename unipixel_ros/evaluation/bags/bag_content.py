"""What scoring and the overlay GIF of a replay need from its bag, checked against the spec."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unipixel_ros.errors import BagError
from unipixel_ros.evaluation.bags.layout import BagTopics
from unipixel_ros.evaluation.bags.reader import read_bag_frames
from unipixel_ros.evaluation.scoring.queries import QuerySpec

__all__ = [
    "MAX_GIF_FRAMES",
    "BagContent",
    "frame_rate_hz",
    "read_bag_content",
    "read_bag_images",
]

# Longer bags show every n-th frame in overlay.gif.
MAX_GIF_FRAMES = 150


@dataclass(frozen=True, kw_only=True, eq=False)
class BagContent:
    """Every frame's ground truth, and the colour images of every ``gif_stride``-th frame only
    (a long bag would not fit in memory).

    Args:
        truths: Per frame, the instance label image `(height, width)`, None without one.
        gif_stride: Every how many frames the GIF shows one.
        gif_indices: The frames the GIF shows.
        gif_rgb: Their colour images, `(height, width, 3)` uint8 each.
    """

    truths: list[np.ndarray | None]
    gif_stride: int
    gif_indices: tuple[int, ...]
    gif_rgb: list[np.ndarray]


def read_bag_content(bag: Path, spec: QuerySpec, topics: BagTopics) -> BagContent:
    """Read ``bag``'s ground truth and GIF frames.

    Raises:
        BagError: the bag is unreadable, or its colour frames are not the spec's.
    """
    stride = max(1, -(-spec.frame_count // MAX_GIF_FRAMES))
    stamps: list[int] = []
    truths: list[np.ndarray | None] = []
    gif_rgb: list[np.ndarray] = []
    for frame in read_bag_frames(bag, topics=topics, fixed_frame=spec.fixed_frame or "table"):
        stamps.append(frame.stamp_ns)
        truths.append(frame.instance_labels)
        if frame.index % stride == 0:
            gif_rgb.append(frame.rgb)
    _check_stamps_match(spec, stamps, bag)
    return BagContent(
        truths=truths,
        gif_stride=stride,
        gif_indices=tuple(range(0, len(stamps), stride)),
        gif_rgb=gif_rgb,
    )


def read_bag_images(
    bag: Path, spec: QuerySpec, topics: BagTopics, indices: Iterable[int]
) -> dict[int, np.ndarray]:
    """The colour images of the frames ``indices`` (a second pass over the bag, which stops
    after the last of them), `(height, width, 3)` uint8 each, by frame index.

    Raises:
        BagError: the bag is unreadable.
    """
    wanted = set(indices)
    images: dict[int, np.ndarray] = {}
    if not wanted:
        return images
    for frame in read_bag_frames(bag, topics=topics, fixed_frame=spec.fixed_frame or "table"):
        if frame.index in wanted:
            images[frame.index] = frame.rgb
        if frame.index >= max(wanted):
            break
    return images


def frame_rate_hz(stamps_ns: Sequence[int]) -> float:
    """The recorded frame rate (median spacing); 10 Hz when it cannot be told."""
    if len(stamps_ns) < 2:
        return 10.0
    step = float(np.median(np.diff(np.asarray(stamps_ns, dtype=np.int64)))) / 1e9
    return 1.0 / step if step > 0 else 10.0


def _check_stamps_match(spec: QuerySpec, stamps: Sequence[int], bag: Path) -> None:
    if tuple(stamps) != spec.stamps_ns:
        raise BagError(
            f"bag {bag} has {len(stamps)} colour frames, the query spec lists "
            f"{spec.frame_count}; the first that differ: bag "
            f"{_first_difference(stamps, spec.stamps_ns)}"
        )


def _first_difference(bag: Sequence[int], spec: Sequence[int]) -> str:
    for index, (ours, theirs) in enumerate(zip(bag, spec, strict=False)):
        if ours != theirs:
            return f"frame {index}: stamp {ours} in the bag, {theirs} in the spec"
    return f"the bag has {len(bag)} frames, the spec {len(spec)}"
