"""A `rosbags` typestore that knows our interface messages, for writing and reading result bags."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from rosbags.typesys import Stores, get_types_from_msg, get_typestore

from unipixel_ros.errors import ConfigError

__all__ = ["INTERFACE_PACKAGE", "interface_msg_dir", "interface_typestore"]

INTERFACE_PACKAGE = "unipixel_ros_interfaces"


def interface_msg_dir() -> Path:
    """The installed `msg/` folder of unipixel_ros_interfaces.

    Found through the ament index (AMENT_PREFIX_PATH, set by a sourced ROS workspace); on the
    pip install, where nothing sets it, the venv itself is the prefix.
    """
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    for prefix in [*prefixes, sys.prefix]:
        candidate = Path(prefix) / "share" / INTERFACE_PACKAGE / "msg"
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        f"{INTERFACE_PACKAGE} is not installed in any of {[*prefixes, sys.prefix]}; "
        "build it (make setup, or colcon build) and source the workspace"
    )


def interface_typestore() -> Any:
    """The ROS 2 Kilted typestore plus every message of unipixel_ros_interfaces."""
    store = get_typestore(Stores.ROS2_KILTED)
    types: dict[str, Any] = {}
    for msg_file in sorted(interface_msg_dir().glob("*.msg")):
        name = f"{INTERFACE_PACKAGE}/msg/{msg_file.stem}"
        types.update(get_types_from_msg(msg_file.read_text(), name))
    store.register(types)
    return store
