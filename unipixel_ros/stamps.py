"""Header stamps (`builtin_interfaces/msg/Time`: sec + nanosec) to and from integer nanoseconds.

Duck-typed on ``.sec`` and ``.nanosec``, so rclpy and `rosbags` messages both work and the core
stays ROS-free.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NANOSECONDS_PER_SECOND", "ns_to_sec_nanosec", "stamp_to_ns", "stamp_to_seconds"]

NANOSECONDS_PER_SECOND = 1_000_000_000


def stamp_to_ns(stamp: Any) -> int:
    """A `builtin_interfaces/msg/Time` in nanoseconds."""
    return int(stamp.sec) * NANOSECONDS_PER_SECOND + int(stamp.nanosec)


def stamp_to_seconds(stamp: Any) -> float:
    """A `builtin_interfaces/msg/Time` in seconds (float)."""
    return stamp.sec + stamp.nanosec * 1e-9


def ns_to_sec_nanosec(stamp_ns: int) -> tuple[int, int]:
    """``(sec, nanosec)`` of a stamp given in nanoseconds."""
    sec, nanosec = divmod(int(stamp_ns), NANOSECONDS_PER_SECOND)
    return sec, nanosec
