"""Small conversions between ROS messages and the core's records: headers, object prompts."""

from __future__ import annotations

from std_msgs.msg import Header
from unipixel_ros_interfaces.msg import ObjectPrompt

from unipixel_ros.perception.records import ObjectPromptSpec
from unipixel_ros.stamps import ns_to_sec_nanosec

__all__ = ["header_at", "prompt_spec"]


def header_at(stamp_ns: int, frame_id: str) -> Header:
    """A header stamped ``stamp_ns`` (nanoseconds) in ``frame_id``."""
    header = Header(frame_id=frame_id)
    header.stamp.sec, header.stamp.nanosec = ns_to_sec_nanosec(stamp_ns)
    return header


def prompt_spec(prompt: ObjectPrompt) -> ObjectPromptSpec:
    """An `ObjectPrompt` as the core's prompt: its ROI becomes an ``(x0, y0, x1, y1)`` box."""
    box = None
    if prompt.has_box:
        roi = prompt.box
        box = (
            float(roi.x_offset),
            float(roi.y_offset),
            float(roi.x_offset + roi.width),
            float(roi.y_offset + roi.height),
        )
    return ObjectPromptSpec(
        label=prompt.label,
        points=tuple((float(p.x), float(p.y)) for p in prompt.points),
        point_labels=tuple(int(v) for v in prompt.point_labels),
        box=box,
    )
