"""unipixel_ros: UniPixel pixel-level visual reasoning as a ROS 2 perception node."""

from __future__ import annotations

from unipixel_ros.errors import (
    BadInputError,
    BagError,
    BusyError,
    CancelledError,
    CheckpointError,
    ConfigError,
    EngineError,
    NotReadyError,
    UnipixelError,
)

__all__ = [
    "BadInputError",
    "BagError",
    "BusyError",
    "CancelledError",
    "CheckpointError",
    "ConfigError",
    "EngineError",
    "NotReadyError",
    "UnipixelError",
    "__version__",
]

__version__ = "0.1.0"
