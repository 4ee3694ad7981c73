"""Start the unipixel perception node with its parameter file and camera remappings.

    ros2 launch unipixel_ros unipixel.launch.py \
        image:=/camera/color/image_raw camera_info:=/camera/color/camera_info \
        depth:=/camera/aligned_depth_to_color/image_raw use_depth:=true \
        model_path:=PolyU-ChenLab/UniPixel-3B backend:=tensorrt rviz:=true

`lifecycle:=true` starts the managed node instead (unipixel_lifecycle_node): it waits,
unconfigured, for a lifecycle manager or `ros2 lifecycle set /unipixel configure`.

`mode:=tracker` starts the tracker of a split deployment (SAM 2.1 only, named `unipixel`, the
same topics and services), `mode:=reasoner` the reasoner (the whole UniPixel, one action);
docs/deployment.md. `mode:=single` (the default) is the node above.
"""

from __future__ import annotations

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PythonExpression
from launch_ros.actions import LifecycleNode, Node
from launch_ros.parameter_descriptions import ParameterValue

from launch import LaunchDescription


def generate_launch_description() -> LaunchDescription:
    share = Path(get_package_share_directory("unipixel_ros"))
    arguments = {
        "image": ("/camera/color/image_raw", "colour image topic"),
        "camera_info": ("/camera/color/camera_info", "camera_info topic"),
        "depth": ("/camera/aligned_depth_to_color/image_raw", "aligned depth topic"),
        "use_depth": ("false", "publish 3-D centroids and markers from depth"),
        "params_file": (str(share / "config" / "unipixel.yaml"), "node parameter file"),
        "model_path": ("", "UniPixel checkpoint directory or hub id"),
        "backend": ("eager", "eager | compile | tensorrt"),
        "rviz": ("false", "also start RViz2 with the overlay and the markers"),
        "lifecycle": ("false", "start the managed (lifecycle) node, unconfigured"),
        "mode": ("single", "single | tracker | reasoner (split deployment)"),
        "split_params_file": (str(share / "config" / "split.yaml"), "split parameter file"),
        "reasoner_frames": ("jpeg", "tracker: frames to the reasoner, jpeg | raw"),
    }
    declared = [
        DeclareLaunchArgument(name, default_value=default, description=text)
        for name, (default, text) in arguments.items()
    ]
    # The same node either way: the plain one serves at once, the managed one on activate.
    node_arguments = {
        "package": "unipixel_ros",
        "name": "unipixel",
        "output": "screen",
        "parameters": [
            LaunchConfiguration("params_file"),
            {
                "model_path": LaunchConfiguration("model_path"),
                "backend": LaunchConfiguration("backend"),
                "use_depth": ParameterValue(LaunchConfiguration("use_depth"), value_type=bool),
            },
        ],
        "remappings": [
            ("image", LaunchConfiguration("image")),
            ("camera_info", LaunchConfiguration("camera_info")),
            ("depth", LaunchConfiguration("depth")),
        ],
    }
    mode = LaunchConfiguration("mode")
    lifecycle = LaunchConfiguration("lifecycle")

    def single(managed: bool) -> IfCondition:
        wanted = "==" if managed else "!="
        return IfCondition(
            PythonExpression(
                ["'", mode, "' == 'single' and '", lifecycle, f"'.lower() {wanted} 'true'"]
            )
        )

    plain_node = Node(executable="unipixel_node", condition=single(False), **node_arguments)
    managed_node = LifecycleNode(
        executable="unipixel_lifecycle_node",
        namespace="",
        condition=single(True),
        **node_arguments,
    )
    tracker_arguments = dict(node_arguments)
    tracker_arguments["parameters"] = [
        *node_arguments["parameters"],
        LaunchConfiguration("split_params_file"),
        {"reasoner_frames": LaunchConfiguration("reasoner_frames")},
    ]
    tracker = Node(
        executable="unipixel_tracker",
        condition=IfCondition(PythonExpression(["'", mode, "' == 'tracker'"])),
        **tracker_arguments,
    )
    reasoner = Node(
        package="unipixel_ros",
        executable="unipixel_reasoner",
        name="unipixel_reasoner",
        output="screen",
        parameters=[
            LaunchConfiguration("split_params_file"),
            {
                "model_path": LaunchConfiguration("model_path"),
                "backend": LaunchConfiguration("backend"),
            },
        ],
        condition=IfCondition(PythonExpression(["'", mode, "' == 'reasoner'"])),
    )
    rviz = Node(
        package="rviz2",
        executable="rviz2",
        arguments=["-d", str(share / "config" / "unipixel.rviz")],
        condition=IfCondition(LaunchConfiguration("rviz")),
    )
    # Best-effort images between processes need Fast DDS's LARGE_DATA transports (docs/ros.md).
    transports = SetEnvironmentVariable("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
    return LaunchDescription(
        [transports, *declared, plain_node, managed_node, tracker, reasoner, rviz]
    )
