"""Session-wide test settings: ROS traffic stays on this machine and in a domain of its own."""

from __future__ import annotations

import os

# Set before any test imports rclpy, and inherited by the node processes tests start.
os.environ.setdefault("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
# A domain per test session, so concurrent runs on one machine do not see each other.
os.environ.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))
