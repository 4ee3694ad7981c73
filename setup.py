"""ament_python package definition; also installs with pip (see README)."""

from __future__ import annotations

from glob import glob
from pathlib import Path

from setuptools import find_packages, setup

PACKAGE = "unipixel_ros"
HERE = Path(__file__).resolve().parent
# requirements.txt pins torch to the CPU build the bootstrap installs; a pip user brings their
# own build (CPU or CUDA), so the package asks only for a recent one.
TORCH = "torch>=2.5"


def requirements(name: str) -> list[str]:
    """The requirement lines of a requirements file beside this one (comments dropped)."""
    lines = (HERE / name).read_text().splitlines()
    wanted = [line.split("#")[0].strip() for line in lines]
    return [TORCH if line.startswith("torch==") else line for line in wanted if line]


setup(
    name=PACKAGE,
    version="0.1.0",
    description="UniPixel pixel-level visual reasoning as a ROS 2 perception node",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    package_data={
        PACKAGE: ["py.typed"],
        f"{PACKAGE}.model": ["reference_configs/*.json"],
        f"{PACKAGE}.nano": ["checkpoint/*.json", "checkpoint/*.safetensors"],
    },
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.launch.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml") + glob("config/*.rviz")),
    ],
    # sam2 is not listed: its metadata pulls torchvision, which breaks transformers here; install
    # it with `pip install --no-deps sam2==1.1.0` (README). ROS comes from rosdep or the extra.
    install_requires=["setuptools", *requirements("requirements.txt")],
    extras_require={
        "ros": requirements("requirements-ros.txt"),
        "dev": requirements("requirements-dev.txt"),
    },
    zip_safe=False,
    entry_points={
        "console_scripts": [
            "unipixel-ros = unipixel_ros.cli.main:main",
            "unipixel_node = unipixel_ros.ros.perception_node:main",
            "unipixel_lifecycle_node = unipixel_ros.ros.lifecycle_node:main",
            "unipixel_tracker = unipixel_ros.ros.tracker_node:main",
            "unipixel_reasoner = unipixel_ros.ros.reasoner_node:main",
        ],
    },
)
