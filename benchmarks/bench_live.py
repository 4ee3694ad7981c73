"""Tracking while reasoning: the live perception with a camera at a fixed rate and one long query.

Two runs on the same model, frames and query, one after the other:

- two lanes (the node today): frames go to the tracking lane, the query runs on its own thread
  (the reasoning lane) on a snapshot of the ring, with the ring's cached SAM 2.1 features;
- one lane (the node before the two lanes): the query runs on the tracking lane itself, so no
  frame is tracked until it returns. Its ``encoder_calls_per_query`` is that of the flow as
  the node ran it before the ring kept features: ``segment`` on the same 8 ring frames with
  ``features=None``, which encodes every frame again (counted after the timed query).

For each run it prints and writes (``--json``): ``tracking_fps_idle`` (frames tracked per second
before the query), ``tracking_fps_during_query``, ``tracking_ratio_during_query`` (the second
over the first), ``query_ms``, ``encoder_calls_per_query`` (frames the query put through SAM
2.1's image encoder; tracking's own pass per frame is not counted) and ``placement_ms``
(placing the answer's objects in the tracker). One object, clicked at the start, is tracked
all along.

The default model is the tiny configuration (``tiny_config``, text width 256 so that a long
answer can be steered; random SAM 2.1) with its language model steered by hand
(`unipixel_ros.bench.steering`) to answer ``--query-tokens`` word tokens and then
``[0] <|seg|>``: a long query that names one object. ``--model PATH`` loads a checkpoint
instead (its own answers decide the length). Examples::

    python benchmarks/bench_live.py --json out/bench_live.json
    python benchmarks/bench_live.py --device cuda --model PolyU-ChenLab/UniPixel-3B
"""

from __future__ import annotations

import argparse
import json
import platform
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from unipixel_ros.bench.steering import long_seg_answer, steer_answer
from unipixel_ros.model import (
    PredictorSettings,
    QwenVideoSpec,
    UniPixelPredictor,
    build_tiny_tokenizer,
    build_unipixel,
    tiny_config,
)
from unipixel_ros.model.builder import set_object_score_bias
from unipixel_ros.perception import LivePerception, ObjectPromptSpec, PerceptionConfig
from unipixel_ros.tracking import InferenceWorker, TrackerConfig

QUESTION = "Please segment the red cup."


@dataclass
class LiveFigures:
    """What one run measured (see the module docstring)."""

    lanes: str
    tracking_fps_idle: float
    tracking_fps_during_query: float
    tracking_ratio_during_query: float
    query_ms: float
    tokens_generated: int
    encoder_calls_per_query: int
    placement_ms: float


class _EncoderCalls:
    """Counts frames through SAM 2.1's image encoder on threads other than the tracking lane's
    (a batched pass of N frames counts N)."""

    def __init__(self, predictor: UniPixelPredictor, tracking_thread: str) -> None:
        self.count = 0
        self._tracking = tracking_thread
        predictor.model.sam2.image_encoder.register_forward_hook(self._seen)

    def _seen(self, _module: object, inputs: tuple[torch.Tensor, ...], _output: object) -> None:
        if threading.current_thread().name != self._tracking:
            self.count += int(inputs[0].shape[0])


def _frames(count: int, width: int, height: int) -> list[np.ndarray]:
    """A red cup-sized square moving across a grey table."""
    frames = []
    for t in range(count):
        frame = np.full((height, width, 3), 110, dtype=np.uint8)
        x = (20 + 3 * t) % (width - 60)
        frame[height // 3 : height // 3 + 50, x : x + 40] = (210, 40, 40)
        frames.append(frame)
    return frames


def _predictor(args: argparse.Namespace) -> UniPixelPredictor:
    if args.model != "tiny":
        return UniPixelPredictor.from_pretrained(args.model, device=args.device)
    tokenizer = build_tiny_tokenizer()
    torch.manual_seed(1)  # seed 0's random SAM 2.1 leaves the cup's mask empty
    config = tiny_config(tokenizer, hidden_size=256, tie_word_embeddings=False)
    model = build_unipixel(config).eval().to(args.device)
    set_object_score_bias(model.sam2, 10.0)
    steer_answer(model, tokenizer, long_seg_answer(tokenizer, args.query_tokens))
    video = QwenVideoSpec(sample_frames=4, min_pixels=56 * 56, pixels_per_frame_budget=56 * 56)
    settings = PredictorSettings(video=video, max_new_tokens=args.query_tokens + 8)
    return UniPixelPredictor(model=model, tokenizer=tokenizer, settings=settings)


def _run(predictor: UniPixelPredictor, args: argparse.Namespace, *, two_lanes: bool) -> LiveFigures:
    frames = _frames(400, args.width, args.height)
    config = PerceptionConfig(tracker=TrackerConfig(ring_capacity=8), query_frames=8)
    tracked: list[float] = []
    pushed: list[int] = []
    perception: LivePerception | None = None

    def track(t: int) -> None:
        assert perception is not None
        perception.push_frame("", frames[t % len(frames)], stamp_ns=t * 1_000_000)
        tracked.append(time.perf_counter())
        pushed.append(t)

    lane: InferenceWorker[int, None] = InferenceWorker(
        process_frame=track, max_pending_requests=2, name="bench-tracking"
    )
    lane.use_device(predictor.model.device)
    perception = LivePerception(
        predictor=predictor, config=config, tracking_lane=lane if two_lanes else None
    )
    calls = _EncoderCalls(predictor, "bench-tracking")
    stop = threading.Event()

    def camera() -> None:
        t = 0
        while not stop.wait(1.0 / args.camera_hz):
            lane.submit_frame(t)
            t += 1

    with lane:
        camera_thread = threading.Thread(target=camera, daemon=True)
        camera_thread.start()
        while len(tracked) < 8:  # the ring fills
            time.sleep(0.05)
        click = ObjectPromptSpec(points=((40.0, args.height / 3 + 25),), point_labels=(1,))
        lane.submit(lambda: perception.add_objects([click])).result()
        idle_from, idle_count = time.perf_counter(), len(tracked)
        time.sleep(args.idle_s)
        fps_idle = (len(tracked) - idle_count) / (time.perf_counter() - idle_from)
        calls.count = 0
        query_from, query_count = time.perf_counter(), len(tracked)
        if two_lanes:
            output = perception.query(QUESTION)
        else:
            output = lane.submit(lambda: perception.query(QUESTION)).result()
        query_s = time.perf_counter() - query_from
        fps_during = (len(tracked) - query_count) / query_s
        encoder_calls = calls.count
        stop.set()
        camera_thread.join()
        if not two_lanes:  # the ring (stride 1) holds the last 8 frames tracked
            images = np.stack([frames[t % len(frames)] for t in pushed[-8:]])
            calls.count = 0
            predictor.segment(images, QUESTION)
            encoder_calls = calls.count
    return LiveFigures(
        lanes="two" if two_lanes else "one",
        tracking_fps_idle=round(fps_idle, 2),
        tracking_fps_during_query=round(fps_during, 2),
        tracking_ratio_during_query=round(fps_during / fps_idle, 3) if fps_idle else 0.0,
        query_ms=round(query_s * 1000, 1),
        tokens_generated=output.tokens_generated,
        encoder_calls_per_query=encoder_calls,
        placement_ms=round(output.tracking_ms, 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny", help="tiny (random) or a checkpoint")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--camera-hz", type=float, default=15.0)
    parser.add_argument(
        "--query-tokens", type=int, default=150, help="tiny model: answer length (<= 160)"
    )
    parser.add_argument("--idle-s", type=float, default=3.0, help="tracking-only phase")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    predictor = _predictor(args)
    runs = [_run(predictor, args, two_lanes=True), _run(predictor, args, two_lanes=False)]
    header = f"{'':>32} {'two lanes':>10} {'one lane':>10}"
    print(f"bench_live: {args.model} on {args.device}, camera {args.camera_hz:g} Hz")
    print(header)
    for key in asdict(runs[0]):
        if key != "lanes":
            print(f"{key:>32} {getattr(runs[0], key):>10} {getattr(runs[1], key):>10}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            **{k: v for k, v in asdict(runs[0]).items() if k != "lanes"},
            "one_lane": {k: v for k, v in asdict(runs[1]).items() if k != "lanes"},
            "model": args.model,
            "device": args.device,
            "camera_hz": args.camera_hz,
            "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
            "torch": torch.__version__,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
