"""Topic names, frames and storage formats of the bags this package writes and reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rosbags.rosbag2 import StoragePlugin

__all__ = [
    "CAMERA_LINK_FRAME",
    "OPTICAL_FRAME",
    "QUERIES_FILE_NAME",
    "TABLE_FRAME",
    "BagStorage",
    "BagTopics",
]

# The query spec sits inside the bag directory, next to metadata.yaml.
QUERIES_FILE_NAME = "queries.json"

# TF frames, named as the RealSense driver names them.
TABLE_FRAME = "table"
CAMERA_LINK_FRAME = "camera_link"
OPTICAL_FRAME = "camera_color_optical_frame"


class BagStorage(Enum):
    """rosbag2 storage plugin."""

    MCAP = "mcap"
    SQLITE3 = "sqlite3"

    @property
    def plugin(self) -> StoragePlugin:
        """The `rosbags` writer plugin."""
        return StoragePlugin.MCAP if self is BagStorage.MCAP else StoragePlugin.SQLITE3


@dataclass(frozen=True, kw_only=True)
class BagTopics:
    """Topic names, following the RealSense driver's layout.

    Args:
        color: RGB image, `sensor_msgs/msg/Image` rgb8.
        color_info: `sensor_msgs/msg/CameraInfo` of the colour camera.
        depth: Depth aligned to the colour image, 16UC1 millimetres.
        depth_info: `sensor_msgs/msg/CameraInfo` of the aligned depth (same intrinsics).
        ground_truth: Instance labels, mono16, pixel = object id, 0 = none.
        tf: Dynamic transforms, `tf2_msgs/msg/TFMessage`.
        tf_static: Static transforms, transient-local.
    """

    color: str = "/camera/color/image_raw"
    color_info: str = "/camera/color/camera_info"
    depth: str = "/camera/aligned_depth_to_color/image_raw"
    depth_info: str = "/camera/aligned_depth_to_color/camera_info"
    ground_truth: str = "/ground_truth/instances"
    tf: str = "/tf"
    tf_static: str = "/tf_static"
