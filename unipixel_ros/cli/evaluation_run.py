"""The step `unipixel-ros eval` and `unipixel-ros demo` share: evaluate a bag through the node
with a progress bar, turn errors into exit codes, and print the answers and the scores.

ROS and the evaluation harness are imported only when a command runs, so that building the
parser stays quick and works without ROS.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from unipixel_ros.errors import UnipixelError

if TYPE_CHECKING:
    from unipixel_ros.ros.evaluation.run_records import EvaluationConfig

__all__ = ["evaluate_and_report", "print_summary", "progress_bar"]


def evaluate_and_report(
    *,
    command: str,
    make_config: Callable[[], EvaluationConfig],
    failure: Callable[[UnipixelError], tuple[int, str]],
    random: bool,
) -> int:
    """Evaluate the config ``make_config`` builds, then print the summary; the exit code.

    Args:
        command: The subcommand, for messages (``unipixel-ros COMMAND: ...``).
        make_config: Builds the evaluation's config once ROS has imported; its errors are
            handled like the evaluation's.
        failure: For an error of the evaluation, the exit code and the words before its
            message.
        random: The weights are known to be random already (the summary warns then too).

    Returns:
        0 done, 2 ROS is not importable, 130 interrupted, else what ``failure`` says.
    """
    try:
        import rclpy

        from unipixel_ros.ros.evaluation.run import evaluate_bag
    except ImportError as err:
        print(f"unipixel-ros {command}: ROS 2 is not importable here: {err}", file=sys.stderr)
        return 2
    try:
        config = make_config()
        bar, update = progress_bar()
        try:
            evaluation = evaluate_bag(config, on_progress=update)
        finally:
            bar.close()
    except UnipixelError as err:
        code, reason = failure(err)
        print(f"unipixel-ros {command}: {reason}{err}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print(f"unipixel-ros {command}: interrupted", file=sys.stderr)
        return 130
    finally:
        rclpy.try_shutdown()
    print_summary(evaluation, random=random or evaluation.result.model_is_random)
    return 0


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
    print(
        f"report: {files.markdown} (json: {files.json.name}, html: {files.html.name}, "
        f"gif: {files.overlay_gif}, track strips: {len(files.track_strips)})"
    )
    print(f"result bag: {details.result_bag}; node log: {evaluation.node_log}")
