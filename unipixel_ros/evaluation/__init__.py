"""Evaluation without ROS: rosbag2 files, scoring against ground truth, and reports."""

from __future__ import annotations

__all__: list[str] = []
