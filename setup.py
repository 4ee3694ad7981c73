"""ament_python package definition; also installs with pip (see README)."""

from __future__ import annotations

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "unipixel_ros"

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
    install_requires=["setuptools"],
    zip_safe=False,
    entry_points={
        "console_scripts": [
            "unipixel-ros = unipixel_ros.cli.main:main",
            "unipixel_node = unipixel_ros.ros.perception_node:main",
        ],
    },
)
