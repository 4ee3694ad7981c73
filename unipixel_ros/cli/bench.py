"""`unipixel-ros bench`: per-stage latency of UniPixel next to the reference paths.

Ours: SAM 2.1 parts on the chosen backend (eager / compile / tensorrt, with fallback), our
LLM loop. Reference, in the same run on the same weights: the ``sam2`` package's own code and
video predictor, and transformers' ``Qwen2_5_VLForConditionalGeneration.generate``.
Every number is the median of ``--repeats`` timed calls after ``--warmup`` untimed ones,
synchronised on CUDA. Output: a table on stdout and, with ``--json``, a JSON file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

from unipixel_ros.cli.options import (
    SAM2_SIZE_CHOICES,
    add_backend_option,
    add_device_option,
    add_documented_command,
    add_preset_option,
)

__all__ = ["add_parser", "run_bench"]

DEFAULT_OBJECTS = (1, 2, 4, 8)
#: Height and width of the synthetic camera frames (a VGA camera).
FRAME_SIZE = (480, 640)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = add_documented_command(
        commands,
        "bench",
        help="per-stage latency, ours next to the sam2 package and transformers generate",
        doc=__doc__,
    )
    add_preset_option(
        parser,
        default="tiny",
        help="architecture (random weights): tiny test model, or UniPixel-3B / -7B with SAM "
        "2.1 b+ at 768 px",
    )
    parser.add_argument(
        "--sam2",
        choices=SAM2_SIZE_CHOICES,
        default=None,
        help="SAM 2.1 size to build instead of the preset's own (3b / 7b: base_plus; tiny: "
        "the test SAM 2.1), at the preset's image size",
    )
    add_device_option(parser)
    add_backend_option(
        parser,
        help="backend of the SAM 2.1 parts and the LLM decode loop (falls back when "
        "unavailable; the reason is printed)",
    )
    parser.add_argument("--frames", type=int, default=8, help="frames of the language query")
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per stage")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls per stage")
    parser.add_argument(
        "--decode-tokens", type=int, default=32, help="generated tokens (decode and query)"
    )
    parser.add_argument(
        "--objects",
        default=",".join(str(n) for n in DEFAULT_OBJECTS),
        help="object counts of the tracking stages, comma separated (at most 8)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument(
        "--model-config", type=Path, default=None, help="config.json for the 3b / 7b presets"
    )
    parser.add_argument(
        "--engine-dir", type=Path, default=None, help="TensorRT engine cache (default engines/)"
    )
    parser.add_argument(
        "--precision", choices=("fp16", "bf16"), default="fp16", help="TensorRT precision"
    )
    parser.add_argument(
        "--llm-weights",
        choices=("bf16", "int8"),
        default="bf16",
        help="LLM decoder weights: unquantized (the loader's dtype) or int8 weight-only (torchao)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    parser.set_defaults(run=run_bench)


def _object_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        counts = ()
    if not counts or any(not 1 <= n <= 8 for n in counts):
        raise SystemExit(f"unipixel-ros bench: --objects wants counts in 1..8, got {text!r}")
    return counts


def run_bench(args: argparse.Namespace) -> int:
    # The sam2 package's predictor draws a progress bar per call; bars would bury the table.
    os.environ.setdefault("TQDM_DISABLE", "1")
    import numpy as np
    import torch

    from unipixel_ros.accel.backends.fallback import make_backends
    from unipixel_ros.accel.engines.cache import EngineCache
    from unipixel_ros.accel.engines.key import Precision
    from unipixel_ros.accel.parts.llm_decode import resolve_llm_decoder
    from unipixel_ros.accel.parts.llm_weights import quantize_llm_weights
    from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
    from unipixel_ros.accel.parts.tracking_step import resolve_tracking_step
    from unipixel_ros.accel.parts.vision_tower import resolve_vision_tower
    from unipixel_ros.bench.llm import LlmStageBench, reference_generator, synthetic_prompt
    from unipixel_ros.bench.presets import BenchPreset, build_bench_model
    from unipixel_ros.bench.query import language_query_stage, qwen_preprocess_stage
    from unipixel_ros.bench.sam2 import Sam2StageBench
    from unipixel_ros.bench.sam2_runners import prepare_sam2_runners
    from unipixel_ros.bench.steady_memory import steady_memory
    from unipixel_ros.errors import UnipixelError
    from unipixel_ros.model import prepare_qwen_video
    from unipixel_ros.sam import Sam2Size

    objects = _object_counts(args.objects)
    for name in ("frames", "repeats", "decode_tokens"):
        if getattr(args, name) < 1:
            raise SystemExit(f"unipixel-ros bench: --{name.replace('_', '-')} must be >= 1")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("unipixel-ros bench: --device cuda, but torch sees no CUDA device", file=sys.stderr)
        return 2
    try:
        built = build_bench_model(
            BenchPreset(args.preset),
            device=device,
            seed=args.seed,
            config_path=args.model_config,
            sam2=None if args.sam2 is None else Sam2Size(args.sam2),
        )
        quantized = quantize_llm_weights(built.model, args.llm_weights)
    except UnipixelError as err:
        print(f"unipixel-ros bench: {err}", file=sys.stderr)
        return 2
    model = built.model
    print(built.description, flush=True)
    print(f"LLM weights {args.llm_weights} ({quantized} linears quantized)", flush=True)
    engine_cache = EngineCache(directory=args.engine_dir)
    tower = resolve_vision_tower(args.backend, model=model)
    model.use_vision_tower(tower.tower)
    print(tower.reason, flush=True)
    limits = Sam2PartLimits()
    backends = make_backends(engine_cache=engine_cache, precision=Precision(args.precision))
    runners = prepare_sam2_runners(
        model.sam2,
        requested=args.backend,
        device=device,
        backends=backends,
        hidden_tokens=model.sizes.hidden_tokens,
        limits=limits,
    )
    for reason in runners.reasons:
        print(f"SAM 2.1 parts: {reason}", flush=True)
    tracking = resolve_tracking_step(
        args.backend, model=model.sam2, max_objects=max(objects), warm_up=True
    )
    print(tracking.reason, flush=True)

    rng = np.random.default_rng(args.seed)
    frames = rng.integers(0, 256, size=(args.frames, *FRAME_SIZE, 3), dtype=np.uint8)
    video = prepare_qwen_video(frames, spec=built.video)
    prompt = synthetic_prompt(model, video)
    llm_choice = resolve_llm_decoder(
        args.backend,
        model=model,
        max_length=int(prompt.input_ids.shape[0]) + args.decode_tokens + 2,
        engine_cache=engine_cache,
    )
    print(f"{llm_choice.reason}; reference: transformers generate", flush=True)
    llm = LlmStageBench(
        model=model,
        reference=reference_generator(model),
        video=video,
        prompt=prompt,
        device=device,
        decode_tokens=args.decode_tokens,
        repeats=args.repeats,
        warmup=args.warmup,
        decoder=llm_choice.decoder,
    )
    results = []

    def record(result: Any) -> None:
        results.append(result)
        print(f"  measured {_row(result)}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="unipixel-bench-") as workdir:
        sam = Sam2StageBench(
            model=model.sam2,
            runners=runners,
            device=device,
            frames=frames,
            repeats=args.repeats,
            warmup=args.warmup,
            workdir=Path(workdir),
            tracking_step=tracking.step,
        )
        record(
            qwen_preprocess_stage(
                frames, spec=built.video, repeats=args.repeats, warmup=args.warmup
            )
        )
        record(sam.preprocess())
        record(sam.image_encoder())
        for count in sorted({1, max(objects)}):
            record(sam.decoder(count))
        for count in objects:
            memory = steady_memory(model.sam2, count, seed=args.seed)
            record(sam.memory_attention(memory))
            record(sam.memory_encoder(count))
            record(sam.track_step(memory))
            record(sam.track_frame(memory))
        record(sam.click_to_mask())
        record(llm.vision_tower())
        record(llm.prefill())
        record(llm.vision_and_prefill())
        record(llm.decode())
        record(
            language_query_stage(
                model=model,
                runners=runners,
                llm=llm,
                sam=sam,
                memory=steady_memory(model.sam2, 1, seed=args.seed),
                frames=frames,
                spec=built.video,
                answer_tokens=args.decode_tokens,
                device=device,
                repeats=args.repeats,
                warmup=args.warmup,
                max_frames_per_encoder_call=limits.max_frames,
            )
        )
    summary = {
        "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "preset": args.preset,
        "sam2": args.sam2,
        "model": built.description,
        "device": _device_name(device),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
        },
        "backend": {
            "requested": args.backend,
            "sam2_parts": {name: b.value for name, b in runners.backends.items()},
            "reasons": list(runners.reasons),
            "llm": llm_choice.backend.value,
            "llm_reason": llm_choice.reason,
            "llm_weights": args.llm_weights,
            "vision_tower": tower.backend.value,
            "sam2_tracking": tracking.backend.value,
            "sam2_tracking_reason": tracking.reason,
        },
        "frames": args.frames,
        "frame_size": list(FRAME_SIZE),
        "repeats": args.repeats,
        "warmup": args.warmup,
        "decode_tokens": args.decode_tokens,
        "prompt_tokens": int(prompt.input_ids.shape[0]),
        "stages": [_finite(result.to_json()) for result in results],
    }
    print(f"\n{_table(results)}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


def _device_name(device: Any) -> str:
    import torch

    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    return f"cpu: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: a failed measurement (e.g. a negative decode difference) is null."""
    return {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in row.items()
    }


def _format(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _header() -> str:
    return f"{'stage':<28} {'ours':>9} {'reference':>10} {'unit':>6} {'speedup':>8}  detail"


def _row(result: Any) -> str:
    speedup = result.speedup
    ratio = "-" if speedup is None else f"{speedup:.2f}x"
    return (
        f"{result.name:<28} {_format(result.ours):>9} {_format(result.reference):>10} "
        f"{result.unit.value:>6} {ratio:>8}  {result.detail}"
    )


def _table(results: list[Any]) -> str:
    return "\n".join([_header(), "-" * 100, *(_row(result) for result in results)])
