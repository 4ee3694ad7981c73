"""ROS 2 glue: the perception node and message conversions. The only place that imports rclpy."""

from __future__ import annotations

__all__: list[str] = []
