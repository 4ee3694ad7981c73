"""Live perception: camera streams, per-camera trackers and UniPixel queries (ROS-free)."""

from __future__ import annotations

from unipixel_ros.perception.config import PerceptionConfig
from unipixel_ros.perception.live import FORBIDDEN_QUERY_TOKENS, LivePerception
from unipixel_ros.perception.records import FrameOutput, ObjectPromptSpec, ObjectView, QueryOutput

__all__ = [
    "FORBIDDEN_QUERY_TOKENS",
    "FrameOutput",
    "LivePerception",
    "ObjectPromptSpec",
    "ObjectView",
    "PerceptionConfig",
    "QueryOutput",
]
