"""rosbag2 files: layout, message conversion, reading, writing and dataset converters."""

from __future__ import annotations

from unipixel_ros.evaluation.bags.bag_content import (
    MAX_GIF_FRAMES,
    BagContent,
    frame_rate_hz,
    read_bag_content,
)
from unipixel_ros.evaluation.bags.converters import (
    convert_vos_video,
    list_vos_videos,
)
from unipixel_ros.evaluation.bags.interface_types import (
    INTERFACE_PACKAGE,
    interface_msg_dir,
    interface_typestore,
)
from unipixel_ros.evaluation.bags.layout import (
    CAMERA_LINK_FRAME,
    OPTICAL_FRAME,
    QUERIES_FILE_NAME,
    TABLE_FRAME,
    BagStorage,
    BagTopics,
)
from unipixel_ros.evaluation.bags.messages import (
    CAMERA_INFO_TYPE,
    IMAGE_TYPE,
    TF_TYPE,
    StampedTransform,
    camera_from_info,
    camera_info_message,
    image_from_message,
    image_message,
    stamp_ns_of,
    tf_message,
    transforms_from_message,
    typestore,
)
from unipixel_ros.evaluation.bags.reader import (
    BagFrame,
    bag_topic_counts,
    read_bag_frames,
)
from unipixel_ros.evaluation.bags.writer import (
    CameraBagWriter,
    WrittenBag,
)

__all__ = [
    "CAMERA_INFO_TYPE",
    "CAMERA_LINK_FRAME",
    "IMAGE_TYPE",
    "INTERFACE_PACKAGE",
    "MAX_GIF_FRAMES",
    "OPTICAL_FRAME",
    "QUERIES_FILE_NAME",
    "TABLE_FRAME",
    "TF_TYPE",
    "BagContent",
    "BagFrame",
    "BagStorage",
    "BagTopics",
    "CameraBagWriter",
    "StampedTransform",
    "WrittenBag",
    "bag_topic_counts",
    "camera_from_info",
    "camera_info_message",
    "convert_vos_video",
    "frame_rate_hz",
    "image_from_message",
    "image_message",
    "interface_msg_dir",
    "interface_typestore",
    "list_vos_videos",
    "read_bag_content",
    "read_bag_frames",
    "stamp_ns_of",
    "tf_message",
    "transforms_from_message",
    "typestore",
]
