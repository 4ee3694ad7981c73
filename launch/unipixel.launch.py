"""Start the unipixel perception node with its parameter file and camera remappings.

    ros2 launch unipixel_ros unipixel.launch.py \
        image:=/camera/color/image_raw camera_info:=/camera/color/camera_info \
        model_path:=PolyU-ChenLab/UniPixel-3B backend:=tensorrt
"""

from __future__ import annotations

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription


def generate_launch_description() -> LaunchDescription:
    share = Path(get_package_share_directory("unipixel_ros"))
    arguments = {
        "image": ("/camera/color/image_raw", "colour image topic"),
        "camera_info": ("/camera/color/camera_info", "camera_info topic"),
        "params_file": (str(share / "config" / "unipixel.yaml"), "node parameter file"),
        "model_path": ("", "UniPixel checkpoint directory or hub id"),
        "backend": ("eager", "eager | compile | tensorrt"),
    }
    declared = [
        DeclareLaunchArgument(name, default_value=default, description=text)
        for name, (default, text) in arguments.items()
    ]
    node = Node(
        package="unipixel_ros",
        executable="unipixel_node",
        name="unipixel",
        output="screen",
        parameters=[
            LaunchConfiguration("params_file"),
            {
                "model_path": LaunchConfiguration("model_path"),
                "backend": LaunchConfiguration("backend"),
            },
        ],
        remappings=[
            ("image", LaunchConfiguration("image")),
            ("camera_info", LaunchConfiguration("camera_info")),
        ],
    )
    # Best-effort images between processes need Fast DDS's LARGE_DATA transports (docs/ros.md).
    transports = SetEnvironmentVariable("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
    return LaunchDescription([transports, *declared, node])
