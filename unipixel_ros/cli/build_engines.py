"""`unipixel-ros build-engines`: SAM 2.1 parts -> ONNX (checked in onnxruntime) -> TensorRT.

Every part is exported to ``<engine dir>/onnx/<part>-<weights digest>.onnx`` and run in
onnxruntime against PyTorch at two shapes (the max abs diff is printed). Where ``tensorrt``
imports and a CUDA GPU is present, each graph is then built into the engine cache (key and
sidecar checked, shared timing cache, progress bars); otherwise the command says that no
engine was built, and why. Engines are specific to the GPU and the TensorRT version: build
them on the target (e.g. on the Jetson itself).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from unipixel_ros.cli.options import add_documented_command, add_preset_option

if TYPE_CHECKING:
    from unipixel_ros.accel.engines.cache import EngineCache
    from unipixel_ros.accel.engines.calibration import CalibrationSet
    from unipixel_ros.accel.engines.key import Precision
    from unipixel_ros.accel.engines.sam2_build import PartPair

__all__ = ["add_parser", "run_build_engines"]

DEFAULT_CALIBRATION_FRAMES = 32


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = add_documented_command(
        commands,
        "build-engines",
        help="export the SAM 2.1 parts to ONNX and build TensorRT engines into the cache",
        doc=__doc__,
    )
    add_preset_option(
        parser,
        default="3b",
        help="architecture; its SAM 2.1 (b+ at 768 px for 3b / 7b) gets random weights "
        "unless --sam2-checkpoint is given",
    )
    parser.add_argument(
        "--model-config", type=Path, default=None, help="config.json for the 3b / 7b presets"
    )
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument(
        "--model",
        default=None,
        help="UniPixel checkpoint (directory or hub id already in the local cache) whose SAM "
        "2.1 weights to export; its config replaces --preset",
    )
    weights.add_argument(
        "--sam2-checkpoint", type=Path, default=None, help="SAM 2.1 .pt weights to export"
    )
    parser.add_argument(
        "--engine-dir", type=Path, default=None, help="engine cache directory (default engines/)"
    )
    parser.add_argument("--precision", choices=("fp16", "bf16", "int8"), default="fp16")
    parser.add_argument(
        "--calibration-bag",
        type=Path,
        default=None,
        help="bag whose colour frames calibrate the INT8 image encoder (needed for int8)",
    )
    parser.add_argument(
        "--calibration-frames",
        type=int,
        default=DEFAULT_CALIBRATION_FRAMES,
        help="frames taken from the calibration bag, evenly spread",
    )
    parser.add_argument(
        "--force-rebuild", action="store_true", help="re-export and rebuild even if cached"
    )
    parser.add_argument("--skip-parity", action="store_true", help="skip the onnxruntime check")
    parser.add_argument(
        "--parity-tolerance",
        type=float,
        default=1e-3,
        help="largest max abs diff between onnxruntime and PyTorch accepted before building",
    )
    parser.add_argument("--device-index", type=int, default=0, help="CUDA device to build for")
    parser.add_argument(
        "--workspace-gib", type=float, default=2.0, help="TensorRT workspace (1 on 8 GB Jetsons)"
    )
    parser.set_defaults(run=run_build_engines)


def run_build_engines(args: argparse.Namespace) -> int:
    import torch

    from unipixel_ros.accel.backends.tensorrt import TensorRTBackend
    from unipixel_ros.accel.engines.cache import EngineCache
    from unipixel_ros.accel.engines.key import Precision
    from unipixel_ros.accel.engines.sam2_build import (
        engine_parts,
        export_and_check,
        tensorrt_unavailable_reason,
    )
    from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
    from unipixel_ros.bench.presets import BenchPreset, preset_config
    from unipixel_ros.errors import UnipixelError
    from unipixel_ros.model import load_unipixel, sam2_config_for
    from unipixel_ros.sam import build_sam2, load_sam2_checkpoint

    precision = Precision(args.precision)
    if precision is Precision.INT8 and args.calibration_bag is None:
        print(
            "unipixel-ros build-engines: --precision int8 needs --calibration-bag", file=sys.stderr
        )
        return 2
    try:
        if args.model is not None:
            # The LLM is loaded too (in bf16 to halve the memory); only SAM 2.1 is exported.
            loaded = load_unipixel(
                args.model, device="cpu", dtype=torch.bfloat16, local_files_only=True
            )
            config, model = loaded.config, loaded.model.sam2.float().eval()
            weights = f"weights from {args.model}"
        else:
            config = preset_config(BenchPreset(args.preset), config_path=args.model_config)
            torch.manual_seed(0)
            model = build_sam2(sam2_config_for(config)).eval()
            if args.sam2_checkpoint is not None:
                load_sam2_checkpoint(model, args.sam2_checkpoint)
                weights = f"weights from {args.sam2_checkpoint}"
            else:
                weights = "random weights (for benchmarks; pass --model or --sam2-checkpoint)"
        cache = EngineCache(directory=args.engine_dir)
        limits = Sam2PartLimits()
        pairs = engine_parts(model, limits=limits, hidden_tokens=config.sam2_hidden_tokens)
        print(f"SAM 2.1 at {model.image_size}px, {weights}")
        print(f"engine cache: {cache.directory}")
        calibration = None
        if precision is Precision.INT8:
            calibration = _calibration(args, model.image_size)
        backend = TensorRTBackend(cache=cache, precision=precision)
        onnx_paths = {}
        for index, pair in enumerate(pairs, start=1):
            part = pair.part
            path = backend.onnx_path_for(part)
            print(f"[{index}/{len(pairs)}] {part.name}: exporting ONNX ...", end="", flush=True)
            check = export_and_check(
                pair, path, force=args.force_rebuild, check_parity=not args.skip_parity
            )
            done = f"{check.seconds:.1f} s" if check.exported else "cached"
            size_mb = path.stat().st_size / 2**20
            print(f" {done}, {size_mb:.1f} MB -> {path}")
            for report in check.parity:
                dynamic = ", ".join(
                    f"{name}={list(shape)}"
                    for name, shape in report.input_shapes.items()
                    if name in part.dynamic_axes
                )
                print(f"      onnxruntime vs PyTorch: max abs diff {report.worst:.2e} at {dynamic}")
            if check.worst > args.parity_tolerance:
                print(
                    f"unipixel-ros build-engines: {part.name} differs from PyTorch by "
                    f"{check.worst:.2e} > --parity-tolerance {args.parity_tolerance:g}; "
                    "no engine is built from it",
                    file=sys.stderr,
                )
                return 1
            onnx_paths[part.name] = path
    except UnipixelError as err:
        print(f"\nunipixel-ros build-engines: {err}", file=sys.stderr)
        return 1

    reason = tensorrt_unavailable_reason(args.device_index, precision)
    if reason is not None:
        print(
            f"\nTensorRT engines were NOT built: {reason}.\n"
            f"The {len(onnx_paths)} ONNX graphs above are what TensorRT would consume; run "
            "this command on the target GPU with TensorRT 10 to build the engines."
        )
        return 0
    return _build(args, pairs, onnx_paths, cache, precision, calibration)


def _calibration(args: argparse.Namespace, image_size: int) -> CalibrationSet:
    from unipixel_ros.accel.engines.sam2_build import calibration_from_frames
    from unipixel_ros.evaluation.bags import read_bag_frames

    frames = (frame.rgb for frame in read_bag_frames(args.calibration_bag))
    calibration = calibration_from_frames(
        frames, image_size=image_size, max_frames=args.calibration_frames
    )
    print(
        f"INT8 calibration: {len(calibration.batches)} frames from {args.calibration_bag} "
        f"(sha256 {calibration.sha256[:12]}); the image encoder is built INT8, the decoder and "
        "memory parts FP16 (their inputs are not camera frames)"
    )
    return calibration


def _build(
    args: argparse.Namespace,
    pairs: list[PartPair],
    onnx_paths: dict[str, Path],
    cache: EngineCache,
    precision: Precision,
    calibration: CalibrationSet | None,
) -> int:
    """Build (or reuse) one engine per part; INT8 only for the image encoder."""
    from unipixel_ros.accel.engines.builder import TrtBuildSettings, build_cached_engine
    from unipixel_ros.accel.engines.key import Precision
    from unipixel_ros.errors import UnipixelError

    settings = TrtBuildSettings(workspace_bytes=int(args.workspace_gib * 2**30))
    failures = 0
    for index, pair in enumerate(pairs, start=1):
        part = pair.part
        part_precision = precision
        part_calibration = None
        if precision is Precision.INT8:
            if part.name == "sam2_image_encoder":
                part_calibration = calibration
            else:
                part_precision = Precision.FP16
        print(f"[{index}/{len(pairs)}] {part.name}: TensorRT {part_precision.value}", flush=True)
        start = time.perf_counter()
        try:
            engine = build_cached_engine(
                onnx_paths[part.name],
                part=part.name,
                precision=part_precision,
                shape_profile=part.shape_profile,
                cache=cache,
                settings=settings,
                device_index=args.device_index,
                calibration=part_calibration,
                force_rebuild=args.force_rebuild,
            )
        except UnipixelError as err:
            failures += 1
            print(f"      FAILED: {err}", file=sys.stderr)
            continue
        print(
            f"      {len(engine) / 2**20:.1f} MB engine ready in "
            f"{time.perf_counter() - start:.1f} s (a cached engine is reused when its key matches)"
        )
    if failures:
        print(f"\n{failures} of {len(pairs)} engines failed", file=sys.stderr)
        return 1
    print(f"\n{len(pairs)} engines in {cache.directory}")
    return 0
