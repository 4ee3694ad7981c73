"""The repository is a valid pair of ROS 2 packages that colcon discovers and orders."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from catkin_pkg.package import parse_package

from unipixel_ros.ros.parameters import NodeParameters

ROOT = Path(__file__).parents[2]


def test_package_manifests_parse_and_the_node_depends_on_the_interfaces() -> None:
    node = parse_package(ROOT / "package.xml")
    interfaces = parse_package(ROOT / "msg" / "package.xml")
    assert (node.name, node.get_build_type()) == ("unipixel_ros", "ament_python")
    assert (interfaces.name, interfaces.get_build_type()) == (
        "unipixel_ros_interfaces",
        "ament_cmake",
    )
    assert "unipixel_ros_interfaces" in {d.name for d in node.build_depends + node.exec_depends}
    assert "rosidl_interface_packages" in {g.name for g in interfaces.member_of_groups}


def test_colcon_finds_both_packages_with_the_documented_base_paths(tmp_path: Path) -> None:
    venv_colcon = Path(sys.executable).with_name("colcon")
    colcon = venv_colcon if venv_colcon.exists() else shutil.which("colcon")
    assert colcon, "colcon is missing: requirements-dev.txt installs it"
    workspace = tmp_path / "ws" / "src"
    shutil.copytree(
        ROOT,
        workspace / "unipixel_ros",
        ignore=shutil.ignore_patterns(".venv", ".git", "out", "*.egg-info", "__pycache__"),
    )
    # The command docs/ros.md gives for a workspace whose src/ holds this repository.
    listed = subprocess.run(
        [str(colcon), "list", "--topological-order", "--base-paths", "src", "src/unipixel_ros/msg"],
        cwd=workspace.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    names = [line.split("\t")[0] for line in listed if line]
    assert names == ["unipixel_ros_interfaces", "unipixel_ros"]


def test_resource_marker_launch_and_config_are_installed_by_setup_py() -> None:
    assert (ROOT / "resource" / "unipixel_ros").is_file()
    setup_text = (ROOT / "setup.py").read_text()
    for needle in ('glob("launch/*.launch.py")', 'glob("config/*.yaml")', "console_scripts"):
        assert needle in setup_text
    assert list((ROOT / "launch").glob("*.launch.py"))


def test_shipped_parameter_file_sets_every_node_parameter_to_its_default() -> None:
    values = yaml.safe_load((ROOT / "config" / "unipixel.yaml").read_text())["unipixel"][
        "ros__parameters"
    ]
    defaults = NodeParameters()
    assert set(values) == set(NodeParameters.__dataclass_fields__)
    values["cameras"] = tuple(values["cameras"])
    assert NodeParameters(**values) == defaults


def test_launch_file_describes_the_node_with_its_remappings() -> None:
    pytest.importorskip("launch_ros", reason="launch_ros is not on PyPI: needs a full ROS install")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "launch_file", ROOT / "launch" / "unipixel.launch.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    names = {getattr(entity, "name", None) for entity in description.entities}
    assert {"image", "camera_info", "depth", "params_file", "model_path", "rviz"} <= names


def test_rviz_config_shows_the_overlay_and_the_markers_and_publishes_clicks() -> None:
    rviz = yaml.safe_load((ROOT / "config" / "unipixel.rviz").read_text())
    displays = {d["Class"]: d for d in rviz["Visualization Manager"]["Displays"]}
    assert displays["rviz_default_plugins/Image"]["Topic"]["Value"] == "/unipixel/overlay"
    assert displays["rviz_default_plugins/MarkerArray"]["Topic"]["Value"] == "/unipixel/markers"
    tools = {t["Class"]: t for t in rviz["Visualization Manager"]["Tools"]}
    assert tools["rviz_default_plugins/PublishPoint"]["Topic"]["Value"] == "/clicked_point"


def _requirement_names(lines: list[str]) -> set[str]:
    names = set()
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("["):
            names.add(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def test_pip_metadata_declares_every_runtime_dependency_and_the_extras(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "setup.py", "-q", "egg_info", "--egg-base", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    requires = (tmp_path / "unipixel_ros.egg-info" / "requires.txt").read_text()
    runtime, *extras = requires.split("\n[")
    declared = _requirement_names(runtime.splitlines())
    wanted = _requirement_names((ROOT / "requirements.txt").read_text().splitlines())
    assert wanted <= declared, f"not declared: {sorted(wanted - declared)}"
    assert "torch>=2.5" in runtime.splitlines(), "pip users bring their own torch build"
    assert "sam2" not in declared, "sam2 installs with --no-deps (its torchvision breaks ours)"
    sections = {block.split("]")[0]: block for block in extras}
    assert set(sections) == {"dev", "ros"}
    assert _requirement_names((ROOT / "requirements-ros.txt").read_text().splitlines()) <= (
        _requirement_names(sections["ros"].split("]", 1)[1].splitlines())
    )
