"""Streaming object memory: frame ring, SAM 2.1 memory bank, tracker, clip API, worker."""

from __future__ import annotations

from unipixel_ros.tracking.batched_step import BatchedTracking, TrackingStepRunner
from unipixel_ros.tracking.clip import ClipStart, ClipTracks, encode_clip, track_clip
from unipixel_ros.tracking.config import InteractivePromptSettings, SamPrecision, TrackerConfig
from unipixel_ros.tracking.frame_encoder import FrameEncoder, ImageEncoderRunner
from unipixel_ros.tracking.frame_result import FrameResult
from unipixel_ros.tracking.frame_ring import FrameRing, RingFrame
from unipixel_ros.tracking.memory_bank import (
    MemoryEntry,
    MemoryWindows,
    ObjectMemory,
    ObjectMemoryBank,
    ObjectState,
)
from unipixel_ros.tracking.memory_slots import MemorySlots, SelectionRules
from unipixel_ros.tracking.ring_masks import RingMasks
from unipixel_ros.tracking.tracker import (
    FeatureTracker,
    StreamingTracker,
    memory_windows,
)
from unipixel_ros.tracking.worker import InferenceWorker, WorkerStats

__all__ = [
    "BatchedTracking",
    "ClipStart",
    "ClipTracks",
    "FeatureTracker",
    "FrameEncoder",
    "FrameResult",
    "FrameRing",
    "ImageEncoderRunner",
    "InferenceWorker",
    "InteractivePromptSettings",
    "MemoryEntry",
    "MemorySlots",
    "MemoryWindows",
    "ObjectMemory",
    "ObjectMemoryBank",
    "ObjectState",
    "RingFrame",
    "RingMasks",
    "SamPrecision",
    "SelectionRules",
    "StreamingTracker",
    "TrackerConfig",
    "TrackingStepRunner",
    "WorkerStats",
    "encode_clip",
    "memory_windows",
    "track_clip",
]
