"""Capacities of the live perception: cameras, the trackers' settings and the query limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from unipixel_ros.errors import ConfigError
from unipixel_ros.tracking import TrackerConfig

__all__ = ["PerceptionConfig"]


@dataclass(frozen=True, kw_only=True)
class PerceptionConfig:
    """Capacities of the live perception.

    Args:
        cameras: camera names; the first is the default camera of a request.
        tracker: per-camera tracker capacities (ring length and stride, object limit).
        query_frames: recent ring frames a query gives the model when it names no number.
        max_query_chars: longest accepted query text.
        stamp_capacity: recent frame stamps remembered per camera for prompts "at a stamp".
    """

    cameras: tuple[str, ...] = ("",)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    query_frames: int = 8
    max_query_chars: int = 2000
    stamp_capacity: int = 64

    def __post_init__(self) -> None:
        if not self.cameras or len(set(self.cameras)) != len(self.cameras):
            raise ConfigError(f"cameras must be unique and non-empty, got {list(self.cameras)}")
        if not 1 <= self.query_frames <= self.tracker.ring_capacity:
            raise ConfigError(
                f"query_frames is {self.query_frames}; it must be in 1..ring_capacity "
                f"({self.tracker.ring_capacity})"
            )
        if self.max_query_chars < 1 or self.stamp_capacity < 1:
            raise ConfigError("max_query_chars and stamp_capacity must be positive")
