"""Drawing for people: mask overlays, label images and GIFs, shared by the node and reports."""

from __future__ import annotations

from unipixel_ros.visualization.overlay import (
    instance_colour,
    label_image,
    overlay_instances,
    write_overlay_gif,
)

__all__ = [
    "instance_colour",
    "label_image",
    "overlay_instances",
    "write_overlay_gif",
]
