"""Drawing for people: overlays, label images, GIFs and strips, shared by the node and reports."""

from __future__ import annotations

from unipixel_ros.visualization.gif import write_gif
from unipixel_ros.visualization.overlay import (
    OverlayObject,
    draw_overlay,
    label_image,
    mask_box,
    mask_contour,
)
from unipixel_ros.visualization.overlay_style import Caption, OverlayStyle
from unipixel_ros.visualization.palette import ColourAssignments, instance_colour
from unipixel_ros.visualization.timeline import TimelineEvent, draw_timeline
from unipixel_ros.visualization.track_strip import TrackPanel, draw_track_strip

__all__ = [
    "Caption",
    "ColourAssignments",
    "OverlayObject",
    "OverlayStyle",
    "TimelineEvent",
    "TrackPanel",
    "draw_overlay",
    "draw_timeline",
    "draw_track_strip",
    "instance_colour",
    "label_image",
    "mask_box",
    "mask_contour",
    "write_gif",
]
