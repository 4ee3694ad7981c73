"""`unipixel-ros eval BAG --queries SPEC`: replay a bag through the node and score its outputs.

Exit codes: 0 done; 2 the bag, the spec or the model cannot be used (the message says why);
1 the node failed during the run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from unipixel_ros.cli.options import (
    add_backend_option,
    add_model_option,
    add_out_option,
    add_rate_option,
)
from unipixel_ros.errors import (
    BadInputError,
    BagError,
    CheckpointError,
    ConfigError,
    UnipixelError,
)

if TYPE_CHECKING:
    from unipixel_ros.ros.evaluation.run_records import EvaluationConfig

__all__ = ["add_parser", "run_eval"]

DEFAULT_OUT = Path("out/eval")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "eval",
        help="replay a bag through the node, ask its queries, score and report",
        description=(
            "Start the node, replay BAG over ROS topics, ask the queries of its query spec, "
            "record every output into OUT/results (MCAP), and write OUT/report.md, "
            "report.json, plots and overlay.gif."
        ),
    )
    parser.add_argument("bag", type=Path, help="rosbag2 directory (MCAP or sqlite3)")
    parser.add_argument(
        "--queries", type=Path, help="query spec (default: BAG/queries.json)", default=None
    )
    add_out_option(parser, default=DEFAULT_OUT)
    add_model_option(
        parser,
        help="checkpoint directory, hub id, 'tiny-random' (random weights), or 'auto': "
        "UniPixel-3B from the local cache, else the nano checkpoint, else tiny-random",
    )
    add_rate_option(
        parser,
        default=1.0,
        help="replay speed factor; 0 = as fast as the node takes it (each frame waits for "
        "the node's output of the previous one)",
    )
    parser.add_argument(
        "--camera-info-topic", default=None, help="default: the image topic's sibling camera_info"
    )
    parser.add_argument("--use-depth", action="store_true", help="also replay aligned depth")
    add_backend_option(
        parser,
        help="the node's backend parameter: the LLM decode loop and SAM 2.1's image encoder "
        "(falls back when unavailable; the report's node diagnostics say what ran)",
    )
    parser.add_argument(
        "--record-overlay", action="store_true", help="also record the node's ~/overlay"
    )
    parser.add_argument(
        "--mode",
        choices=["single", "split"],
        default="single",
        help="single: the perception node; split: a tracker and a reasoner in two processes, "
        "raw frames between them (docs/deployment.md)",
    )
    parser.add_argument(
        "--frame-timeout", type=float, default=60.0, help="longest wait for one frame's output (s)"
    )
    parser.add_argument(
        "--start-timeout", type=float, default=180.0, help="longest wait for the node (s)"
    )
    parser.set_defaults(run=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    # Never reach for the network: a model is used only when it is on this machine.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from unipixel_ros.cli.evaluation_run import evaluate_and_report
    from unipixel_ros.cli.model_choice import choose_model

    choice = choose_model(args.model)
    print(f"model: {choice.description}", file=sys.stderr)

    def make_config() -> EvaluationConfig:
        from unipixel_ros.ros.evaluation.run_records import Deployment, EvaluationConfig

        return EvaluationConfig(
            bag=args.bag,
            out_dir=args.out,
            model_path=choice.model_path,
            queries=args.queries,
            rate=args.rate,
            camera_info_topic=args.camera_info_topic,
            use_depth=args.use_depth,
            record_overlay=args.record_overlay,
            frame_timeout_s=args.frame_timeout,
            start_timeout_s=args.start_timeout,
            node_parameters={"backend": args.backend},
            deployment=Deployment(args.mode),
        )

    return evaluate_and_report(
        command="eval", make_config=make_config, failure=_failure, random=choice.is_random
    )


def _failure(err: UnipixelError) -> tuple[int, str]:
    """2 when the bag, the spec or the model cannot be used; 1 when the run failed."""
    if isinstance(err, BagError):
        return 2, "bad bag: "
    if isinstance(err, (ConfigError, CheckpointError, BadInputError)):
        return 2, ""
    return 1, "the run failed: "
