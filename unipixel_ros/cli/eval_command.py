"""`unipixel-ros eval BAG --queries SPEC`: replay a bag through the node and score its outputs.

Exit codes: 0 done; 2 the bag, the spec or the model cannot be used (the message says why);
1 the node failed during the run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "print_summary", "progress_bar", "run_eval"]

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
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--model",
        default="auto",
        help="checkpoint directory, hub id, 'tiny-random' (random weights), or 'auto': "
        "UniPixel-3B from the local cache, else the nano checkpoint, else tiny-random",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=1.0,
        help="replay speed factor; 0 = as fast as the node takes it (each frame waits for "
        "the node's output of the previous one)",
    )
    parser.add_argument(
        "--camera-info-topic", default=None, help="default: the image topic's sibling camera_info"
    )
    parser.add_argument("--use-depth", action="store_true", help="also replay aligned depth")
    parser.add_argument(
        "--backend",
        choices=("eager", "compile", "tensorrt"),
        default="eager",
        help="the node's backend parameter: the LLM decode loop and SAM 2.1's image encoder "
        "(falls back when unavailable; the report's node diagnostics say what ran)",
    )
    parser.add_argument(
        "--record-overlay", action="store_true", help="also record the node's ~/overlay"
    )
    parser.add_argument(
        "--frame-timeout", type=float, default=60.0, help="longest wait for one frame's output (s)"
    )
    parser.add_argument(
        "--start-timeout", type=float, default=180.0, help="longest wait for the node (s)"
    )
    parser.set_defaults(run=run_eval)


def progress_bar() -> Any:
    """A tqdm bar on stderr and the callback that feeds it from evaluation progress updates."""
    from tqdm import tqdm

    bar = tqdm(total=None, unit="frame", desc="replay", file=sys.stderr, dynamic_ncols=True)

    def update(progress: Any) -> None:
        if bar.total != progress.frame_count:
            bar.total = progress.frame_count
        bar.n = progress.frames_sent
        bar.set_postfix_str(progress.activity, refresh=False)
        bar.refresh()

    return bar, update


def print_summary(evaluation: Any, *, random: bool) -> None:
    """Print the answers and the scores of a finished evaluation."""
    result, details = evaluation.result, evaluation.details
    warning = "WARNING: the model has RANDOM weights; these answers and scores are meaningless."
    print()
    if random:
        print(warning)
    print(f"model: {details.model_description}")
    print("answers:")
    for request in details.requests:
        reply = " ".join(request.answer.split()) or "(empty answer)"
        if not request.success:
            reply = f"FAILED: {request.message}"
        elif request.service == "add_objects":
            reply = f"tracking object(s) {list(request.object_ids)}"
        reply = reply if len(reply) <= 100 else reply[:97] + "..."
        print(f"  [{request.query_id}] {request.request} -> {reply}")
    latency = result.latency

    def show(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    if random:
        print(warning)
    print("scores:")
    print(
        f"  J {show(result.track_j)}  F {show(result.track_f)}  J&F {show(result.track_jf)}  "
        f"cIoU {show(result.segment_ciou)}  gIoU {show(result.segment_giou)}  "
        f"answer accuracy {show(result.answer_accuracy)}"
    )
    print(
        f"  per-frame latency p50 {latency.p50_ms:.1f} ms, p95 {latency.p95_ms:.1f} ms; "
        f"frames sent {latency.frames_sent}, without output {latency.frames_dropped}"
    )
    files = evaluation.files
    print(f"report: {files.markdown} (json: {files.json.name}, gif: {files.overlay_gif})")
    print(f"result bag: {details.result_bag}; node log: {evaluation.node_log}")


def run_eval(args: argparse.Namespace) -> int:
    # Never reach for the network: a model is used only when it is on this machine.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from unipixel_ros.cli.model_choice import choose_model
    from unipixel_ros.errors import (
        BadInputError,
        BagError,
        CheckpointError,
        ConfigError,
        UnipixelError,
    )

    choice = choose_model(args.model)
    print(f"model: {choice.description}", file=sys.stderr)
    try:
        import rclpy

        from unipixel_ros.ros.evaluation.run import evaluate_bag
        from unipixel_ros.ros.evaluation.run_records import EvaluationConfig
    except ImportError as err:
        print(f"unipixel-ros eval: ROS 2 is not importable here: {err}", file=sys.stderr)
        return 2
    try:
        config = EvaluationConfig(
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
        )
        bar, update = progress_bar()
        try:
            evaluation = evaluate_bag(config, on_progress=update)
        finally:
            bar.close()
    except BagError as err:
        print(f"unipixel-ros eval: bad bag: {err}", file=sys.stderr)
        return 2
    except (ConfigError, CheckpointError, BadInputError) as err:
        print(f"unipixel-ros eval: {err}", file=sys.stderr)
        return 2
    except UnipixelError as err:
        print(f"unipixel-ros eval: the run failed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("unipixel-ros eval: interrupted", file=sys.stderr)
        return 130
    finally:
        rclpy.try_shutdown()
    print_summary(evaluation, random=evaluation.result.model_is_random)
    return 0
