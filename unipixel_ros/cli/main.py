"""`unipixel-ros`: one entry point with a subcommand per job."""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main"]


def _configure_middleware() -> None:
    # Best-effort camera images between processes are lost with Fast DDS's default transports
    # on many machines; LARGE_DATA (shared memory + TCP) delivers them. See docs/ros.md.
    os.environ.setdefault("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")


def _run_node(args: argparse.Namespace) -> int:
    from unipixel_ros.ros.perception_node import main as node_main

    node_main(["unipixel-ros", *args.ros_args])
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="unipixel-ros", description="UniPixel pixel-level visual reasoning for ROS 2."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    node = commands.add_parser("node", help="run the perception node")
    node.add_argument(
        "ros_args", nargs=argparse.REMAINDER, help="ROS arguments, e.g. --ros-args -p key:=value"
    )
    node.set_defaults(run=_run_node)

    from unipixel_ros.cli import bench, build_engines, demo, eval_command, train_nano

    demo.add_parser(commands)
    bench.add_parser(commands)
    build_engines.add_parser(commands)
    eval_command.add_parser(commands)
    train_nano.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    _configure_middleware()
    args = _build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
