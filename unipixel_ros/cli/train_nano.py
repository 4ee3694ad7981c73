"""`unipixel-ros train-nano`: train the offline UniPixel-nano model on synthetic scenes."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_parser"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train-nano", help="train UniPixel-nano on synthetic tabletop scenes (docs/nano.md)"
    )
    parser.add_argument("out_dir", type=Path, help="where the checkpoint is written")
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--minutes", type=float, default=36.0, help="training time budget")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if present)")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from unipixel_ros.nano import train_nano

    report = train_nano(
        args.out_dir, seed=args.seed, minutes_budget=args.minutes, device=args.device
    )
    print(report)
    return 0
