"""How long one ``~/overlay`` frame takes to draw (``draw_overlay``), at the node's frame size.

A frame with a noisy table texture, ``--objects`` tracked discs (each filled, outlined and
tagged), one lost object (its dashed box), the caption of a long answer (wrapped to three
lines) and the random-weights stamp: the most the overlay ever draws. Prints the median and the
95th percentile of ``--repeats`` frames after a warm-up (font loading, the caption's band), and
the share of a 30 Hz camera's frame time that is. CPU only: the overlay never touches a GPU.

    python benchmarks/bench_overlay.py
    python benchmarks/bench_overlay.py --width 1280 --height 720 --objects 8
"""

from __future__ import annotations

import argparse
import platform

import cv2
import numpy as np
import torch

from unipixel_ros.bench.stage_timing import time_call
from unipixel_ros.visualization.overlay import OverlayObject, draw_overlay
from unipixel_ros.visualization.overlay_style import Box, OverlayStyle

ANSWER = (
    "The red cup to the left of the bowl is the graspable one: its handle faces the robot and "
    "nothing stands in front of it, while the blue mug behind it is blocked by the box."
)


def _scene(width: int, height: int, objects: int) -> tuple[np.ndarray, list[OverlayObject]]:
    rng = np.random.default_rng(0)
    rgb = np.clip(rng.normal(120, 25, size=(height, width, 3)), 0, 255).astype(np.uint8)
    views = []
    for index in range(objects):
        mask = np.zeros((height, width), np.uint8)
        centre = (int(width * (index + 1) / (objects + 1)), height // 2)
        cv2.circle(mask, centre, max(8, height // 10), 1, thickness=-1)
        rgb[mask > 0] = (200, 30, 30)
        views.append(
            OverlayObject(
                object_id=index + 1,
                label=f"cup {index + 1}",
                score=3.0,
                lost=False,
                mask=mask.astype(bool),
            )
        )
    lost = np.zeros((height, width), bool)
    views.append(
        OverlayObject(object_id=objects + 1, label="bowl", score=-2.0, lost=True, mask=lost)
    )
    return rgb, views


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--objects", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    rgb, views = _scene(args.width, args.height, args.objects)
    style = OverlayStyle()
    style.colours.colour_for(args.objects + 1, rgb, np.ones(rgb.shape[:2], bool))
    style.remember_box(args.objects + 1, Box(20, 20, args.width // 4, args.height // 4))
    style.show_answer("q12", ANSWER)
    stamp = [0]

    def frame() -> None:
        stamp[0] += 33_000_000  # the caption stays within its hold time: always drawn
        draw_overlay(rgb, views, style=style, stamp_ns=stamp[0] % 10**9, random_weights=True)

    timing = time_call(frame, device=torch.device("cpu"), repeats=args.repeats, warmup=5)
    samples = np.asarray(timing.samples_ms)
    median, p95 = float(np.median(samples)), float(np.percentile(samples, 95))
    print(
        f"draw_overlay {args.width}x{args.height}, {args.objects} objects + 1 lost, caption, "
        f"stamp: median {median:.2f} ms, p95 {p95:.2f} ms over {args.repeats} frames "
        f"({100 * median / 33.3:.0f} % of a 30 Hz frame) on {platform.machine()}"
    )


if __name__ == "__main__":
    main()
