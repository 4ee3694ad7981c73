"""The one error hierarchy of unipixel_ros.

Every error the package raises on purpose derives from :class:`UnipixelError`. Messages name
the value seen and the value expected; third-party errors are translated at the boundary with
``raise ... from err``.
"""

from __future__ import annotations

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
]


class UnipixelError(Exception):
    """Base class of every error raised by unipixel_ros."""


class ConfigError(UnipixelError):
    """A configuration or parameter value is invalid."""


class CheckpointError(UnipixelError):
    """Weights are missing, unreadable, or do not match the architecture."""


class EngineError(UnipixelError):
    """A compiled engine cannot be built, loaded, or does not match its cache key."""


class BagError(UnipixelError):
    """A rosbag2 file is missing, corrupt, or lacks an expected topic."""


class NotReadyError(UnipixelError):
    """The request needs something that is not there yet (a model, a frame, an object)."""


class BadInputError(UnipixelError):
    """A request or message carries a value outside its documented contract."""


class BusyError(UnipixelError):
    """The bounded request queue is full; the caller should retry later."""


class CancelledError(UnipixelError):
    """The caller cancelled a running request (e.g. an Ask goal); partial work is discarded."""
