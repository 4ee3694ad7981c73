"""Issue 9's acceptance figures for a nano checkpoint, measured through `unipixel-ros eval`.

For each held-out scene seed (``EVAL_SEEDS``, never trained on) it writes a bag of the scene
(``--size``, ``--frames``), replays it through the node with the checkpoint (``evaluate_bag``,
the code behind ``unipixel-ros eval``) with every query of the scene's spec, and reads the
report's four figures (``unipixel_ros.nano.report_figures``): language-query J&F, click IoU,
graspable answered right, tracking J&F.

Prints one line per scene and a summary against the targets; writes ``summary.json`` and
``acceptance.png`` (the four figures against their targets) into ``--out``.

    python benchmarks/nano_acceptance.py --scenes 10            # shipped checkpoint
    python benchmarks/nano_acceptance.py --checkpoint /tmp/nano --scenes 3 --frames 30
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")

import numpy as np

from unipixel_ros.nano.checkpoint import NANO_CHECKPOINT_DIR
from unipixel_ros.nano.dataset import EVAL_SEEDS
from unipixel_ros.nano.evaluate import report_figures
from unipixel_ros.ros.evaluation.run import evaluate_bag
from unipixel_ros.ros.evaluation.run_records import EvaluationConfig
from unipixel_ros.synthetic.sample_bag import generate_sample_bag

TARGETS = {"text_jf": 0.75, "click_iou": 0.85, "graspable": 0.80, "track_jf": 0.80}
LABELS = {
    "text_jf": "language J&F",
    "click_iou": "click IoU",
    "graspable": "graspable correct",
    "track_jf": "tracking J&F",
}


def plot(summary: dict[str, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    names = list(TARGETS)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.bar([LABELS[n] for n in names], [summary[n] for n in names], color="#4c72b0")
    ax.scatter(
        [LABELS[n] for n in names],
        [TARGETS[n] for n in names],
        color="#c44e52",
        marker="_",
        s=900,
        linewidths=3,
        label="target",
        zorder=3,
    )
    ax.set_ylim(0, 1)
    ax.set_title(f"UniPixel-nano, {summary['scenes']} held-out scenes")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=NANO_CHECKPOINT_DIR)
    parser.add_argument("--scenes", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=EVAL_SEEDS.start)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", default="128x96", help="WIDTHxHEIGHT of the bag's images")
    parser.add_argument("--out", type=Path, default=Path("out/nano_acceptance"))
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    figures: dict[str, list[float]] = {name: [] for name in TARGETS}
    started = time.monotonic()
    for seed in range(args.first_seed, args.first_seed + args.scenes):
        if seed not in EVAL_SEEDS:
            print(f"seed {seed} is not held out (EVAL_SEEDS = {EVAL_SEEDS})", file=sys.stderr)
            return 2
        run_dir = args.out / f"seed{seed}_{args.size}_{args.frames}f"
        bag = run_dir / "bag"
        if not bag.exists():
            generate_sample_bag(
                bag, seed=seed, frames=args.frames, width=width, height=height, progress=False
            )
        evaluate_bag(
            EvaluationConfig(
                bag=bag,
                out_dir=run_dir / "eval",
                model_path=str(args.checkpoint),
                rate=0.0,
                describe_tracked=True,
            )
        )
        scene = report_figures(json.loads((run_dir / "eval" / "report.json").read_text()))
        for name, values in scene.items():
            figures[name] += values
        line = ", ".join(f"{LABELS[n]} {np.mean(v):.3f}" for n, v in scene.items() if v)
        print(f"seed {seed}: {line}", flush=True)
    summary: dict = {name: float(np.mean(values)) for name, values in figures.items()}
    summary.update(
        scenes=args.scenes,
        frames=args.frames,
        size=args.size,
        checkpoint=str(args.checkpoint),
        seconds=round(time.monotonic() - started, 1),
        counts={name: len(values) for name, values in figures.items()},
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    plot(summary, args.out / "acceptance.png")
    for name, target in TARGETS.items():
        verdict = "meets" if summary[name] >= target else "BELOW"
        print(f"{LABELS[name]:>18}: {summary[name]:.3f} (target {target:.2f}: {verdict})")
    print(f"{args.scenes} scenes in {summary['seconds']} s; figures in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
