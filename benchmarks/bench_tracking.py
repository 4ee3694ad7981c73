"""Per-frame tracking cost against the number of objects, next to the sam2 package's predictor.

Prints, for 1, 2, 4 and 8 objects (all prompted on frame 0, so they share one memory layout
and are tracked as one batch):

- prep: preprocessing one camera frame to S x S;
- encoder: one image-encoder pass (shared by all objects), on ``--backend`` (eager, compile or
  tensorrt, with the node's fallback);
- ours: `StreamingTracker.push_frame` per frame (prep + encoder + batched tracking step);
- per object: (ours - prep - encoder) / objects;
- sam2 pkg: the package's `SAM2VideoPredictor.propagate_in_video` per frame on the same
  (already preprocessed) frames and a copy of the same weights (``build_package_predictor``);
  it also encodes each frame once, then tracks the objects one by one.

Then a soak run (default 10,000 frames, 2 objects) prints held tensors and RSS at checkpoints.

Weights are random (architecture cost only); the object-score bias is set so objects are
present. Examples::

    python benchmarks/bench_tracking.py                      # tiny config on CPU
    python benchmarks/bench_tracking.py --device cuda --preset b+ --image-size 768
    python benchmarks/bench_tracking.py --backend compile --soak-frames 0
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # the package's propagate_in_video shows a bar

import numpy as np
import psutil
import torch
from PIL import Image
from sam2.sam2_video_predictor import SAM2VideoPredictor

from unipixel_ros.accel.parts.frame_encoder import resolve_frame_encoder
from unipixel_ros.bench.stage_timing import synchronize
from unipixel_ros.cli.options import add_backend_option
from unipixel_ros.model.builder import set_object_score_bias
from unipixel_ros.sam import (
    PointPrompt,
    Sam2Config,
    Sam2Model,
    build_package_predictor,
    build_sam2,
    preprocess_frames,
)
from unipixel_ros.tracking import FrameEncoder, StreamingTracker, TrackerConfig


def _clicks(count: int, image_size: int) -> PointPrompt:
    rng = np.random.default_rng(count)
    coords = torch.tensor(rng.uniform(0.2, 0.8, size=(count, 1, 2)) * image_size).float()
    return PointPrompt(coords=coords, labels=torch.ones(count, 1, dtype=torch.int32))


def _median_frame_ms(
    step: Callable[[np.ndarray], object], frames: np.ndarray, device: torch.device
) -> float:
    """Median ms of ``step(frame)`` over ``frames``, synchronised; the first call is not counted."""
    times = []
    for frame in frames:
        synchronize(device)
        start = time.perf_counter()
        step(frame)
        synchronize(device)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times[1:]))


def _preprocess_ms(frames: np.ndarray, image_size: int, device: torch.device) -> float:
    return _median_frame_ms(
        lambda frame: preprocess_frames(frame[None], image_size=image_size, device=device),
        frames,
        device,
    )


def _prep_and_encoder_ms(encoder: FrameEncoder, frames: np.ndarray, device: torch.device) -> float:
    with torch.inference_mode():
        return _median_frame_ms(encoder.encode, frames, device)


def _ours_ms(
    model: Sam2Model,
    encoder: FrameEncoder,
    frames: np.ndarray,
    objects: int,
    device: torch.device,
) -> float:
    tracker = StreamingTracker(
        model=model, config=TrackerConfig(max_objects=objects), encoder=encoder
    )
    tracker.push_frame(frames[0])
    tracker.add_objects(_clicks(objects, model.image_size))
    return _median_frame_ms(tracker.push_frame, frames[1:], device)


def _package_ms(
    predictor: SAM2VideoPredictor,
    frames: np.ndarray,
    images: torch.Tensor,
    objects: int,
    workdir: Path,
) -> float:
    """The package's offline predictor on the same frames (our tensor replaces its JPEGs)."""
    folder = workdir / f"frames_{objects}"
    folder.mkdir(exist_ok=True)
    blank = np.zeros(frames.shape[1:], np.uint8)
    for t in range(frames.shape[0]):
        Image.fromarray(blank).save(folder / f"{t:05d}.jpg")
    state = predictor.init_state(str(folder))
    state["images"] = images
    state["cached_features"] = {}
    prompt = _clicks(objects, predictor.image_size)
    scale = torch.tensor([frames.shape[2], frames.shape[1]]) / predictor.image_size
    for obj in range(objects):
        predictor.add_new_points_or_box(
            state,
            frame_idx=0,
            obj_id=obj,
            points=prompt.coords[obj] * scale,
            labels=prompt.labels[obj],
        )
    device = predictor.device
    synchronize(device)
    stamps = [time.perf_counter()]
    for _ in predictor.propagate_in_video(state):
        synchronize(device)
        stamps.append(time.perf_counter())
    return 1000 * float(np.median(np.diff(stamps)[2:]))


def _live_tensors() -> int:
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor))


def _soak(
    model: Sam2Model, encoder: FrameEncoder, frames: np.ndarray, count: int
) -> list[dict[str, float]]:
    tracker = StreamingTracker(model=model, config=TrackerConfig(), encoder=encoder)
    tracker.push_frame(frames[0])
    tracker.add_objects(_clicks(2, model.image_size))
    process = psutil.Process()
    rows = []
    checkpoint = max(count // 10, 1)
    window_time = 0.0
    for t in range(1, count + 1):
        start = time.perf_counter()
        tracker.push_frame(frames[t % len(frames)])
        window_time += time.perf_counter() - start
        if t % checkpoint == 0 or t == count:
            frames_in_window = t - (rows[-1]["frame"] if rows else 0)
            rows.append(
                {
                    "frame": t,
                    "rss_mib": process.memory_info().rss / 2**20,
                    "bank_tensors": tracker.bank.held_tensors(),
                    "live_tensors": _live_tensors(),
                    "ms_per_frame": 1000 * window_time / frames_in_window,
                }
            )
            window_time = 0.0
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--preset", choices=("tiny", "b+"), default="tiny")
    parser.add_argument("--image-size", type=int, default=None, help="default 64 tiny, 768 b+")
    parser.add_argument("--frames", type=int, default=24, help="frames per timing run")
    parser.add_argument("--objects", default="1,2,4,8")
    parser.add_argument("--soak-frames", type=int, default=10_000, help="0 skips the soak run")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    add_backend_option(
        parser,
        help="backend of the image encoder (falls back when unavailable; the reason is printed)",
    )
    args = parser.parse_args()

    device = torch.device(args.device)
    if args.preset == "tiny":
        config = Sam2Config.tiny(image_size=args.image_size or 64)
    else:
        config = Sam2Config.hiera_b_plus(image_size=args.image_size or 768)
    torch.manual_seed(0)
    model = build_sam2(config, device=device)
    set_object_score_bias(model, 3.0)
    predictor = build_package_predictor(model)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(args.frames, 480, 640, 3), dtype=np.uint8)
    images = preprocess_frames(frames, image_size=config.image_size, device=device)

    choice = resolve_frame_encoder(args.backend, model=model)
    preprocess = _preprocess_ms(frames, config.image_size, device)
    encoder = _prep_and_encoder_ms(choice.encoder, frames, device) - preprocess
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for objects in (int(n) for n in args.objects.split(",")):
            ours = _ours_ms(model, choice.encoder, frames, objects, device)
            theirs = _package_ms(predictor, frames, images, objects, Path(workdir))
            rows.append(
                {
                    "objects": objects,
                    "preprocess_ms": preprocess,
                    "encoder_ms": encoder,
                    "ours_ms": ours,
                    "per_object_ms": (ours - preprocess - encoder) / objects,
                    "sam2_offline_ms": theirs,
                }
            )
    threads = torch.get_num_threads()
    print(
        f"{args.preset} @ {config.image_size}px on {device} ({threads} threads), "
        f"{args.frames} frames of 640x480, median ms per frame"
    )
    print(choice.reason)
    print(f"{'objects':>7} {'prep':>7} {'encoder':>9} {'ours':>9} {'per obj':>9} {'sam2 pkg':>9}")
    for row in rows:
        print(
            f"{row['objects']:>7} {row['preprocess_ms']:>7.2f} {row['encoder_ms']:>9.2f} "
            f"{row['ours_ms']:>9.2f} {row['per_object_ms']:>9.2f} "
            f"{row['sam2_offline_ms']:>9.2f}"
        )
    soak = _soak(model, choice.encoder, frames, args.soak_frames) if args.soak_frames > 0 else []
    if soak:
        print(f"soak: {args.soak_frames} frames, 2 objects")
        print(f"{'frame':>7} {'RSS MiB':>9} {'bank t.':>8} {'live t.':>8} {'ms/frame':>9}")
        for row in soak:
            print(
                f"{row['frame']:>7} {row['rss_mib']:>9.1f} {row['bank_tensors']:>8} "
                f"{row['live_tensors']:>8} {row['ms_per_frame']:>9.2f}"
            )
    if args.json is not None:
        payload = {
            "preset": args.preset,
            "image_size": config.image_size,
            "device": str(device),
            "backend": choice.backend.value,
            "threads": threads,
            "per_frame": rows,
            "soak": soak,
        }
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
