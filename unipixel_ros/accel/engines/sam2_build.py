"""The SAM 2.1 parts ``unipixel-ros build-engines`` exports and builds, and the steps around it:
ONNX export with an onnxruntime parity check, INT8 calibration frames, TensorRT readiness.

The builds themselves go through :func:`unipixel_ros.accel.build_cached_engine` (engine cache,
sidecar key, timing cache, progress bars).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from unipixel_ros.accel.engines.calibration import CalibrationSet
from unipixel_ros.accel.engines.key import DeviceIdentity, Precision
from unipixel_ros.accel.engines.onnx_export import ParityReport, check_onnx_parity, export_onnx
from unipixel_ros.accel.engines.runtime import import_tensorrt
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.image_encoder import image_encoder_part
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
from unipixel_ros.accel.parts.sam2.memory_attention import memory_attention_part
from unipixel_ros.accel.parts.sam2.memory_encoder import memory_encoder_part
from unipixel_ros.accel.parts.sam2.prompt_decoder import prompt_decoder_part
from unipixel_ros.errors import ConfigError, EngineError
from unipixel_ros.sam import Sam2Model, preprocess_frames

__all__ = [
    "ExportCheck",
    "PartPair",
    "calibration_from_frames",
    "engine_parts",
    "export_and_check",
    "tensorrt_unavailable_reason",
]


@dataclass(frozen=True)
class PartPair:
    """A part to export and the same part traced at other values of its dynamic dims.

    Args:
        part: exported as is (its example inputs fix nothing but the trace).
        other_shapes: the same module with different example shapes; its inputs check that
            the exported graph really is dynamic.
    """

    part: AcceleratedPart
    other_shapes: AcceleratedPart


def engine_parts(model: Sam2Model, *, limits: Sam2PartLimits, hidden_tokens: int) -> list[PartPair]:
    """Every SAM 2.1 part the node can run from an engine, in build order.

    Image encoder; points decoder with multimask output (first click, tracked frames) and
    with one mask (2+ clicks); ``<|seg|>`` decoder (K = ``hidden_tokens``); memory
    attention; memory encoder.
    """
    pairs = [
        PartPair(
            image_encoder_part(model, limits=limits),
            image_encoder_part(model, limits=limits, example_frames=min(2, limits.max_frames)),
        )
    ]
    objects = min(3, limits.max_objects)
    points = min(2, limits.max_points)
    for tokens, multimask in ((0, True), (0, False), (hidden_tokens, True)):
        pairs.append(
            PartPair(
                prompt_decoder_part(
                    model, limits=limits, num_hidden_tokens=tokens, multimask_output=multimask
                ),
                prompt_decoder_part(
                    model,
                    limits=limits,
                    num_hidden_tokens=tokens,
                    multimask_output=multimask,
                    example_objects=objects,
                    example_points=points,
                ),
            )
        )
    pairs.append(
        PartPair(
            memory_attention_part(model, limits=limits),
            memory_attention_part(
                model,
                limits=limits,
                example_objects=objects,
                example_memory_frames=min(3, limits.max_memory_frames),
                example_pointers=min(4, limits.max_object_pointers),
            ),
        )
    )
    pairs.append(
        PartPair(
            memory_encoder_part(model, limits=limits),
            memory_encoder_part(model, limits=limits, example_objects=objects),
        )
    )
    return pairs


@dataclass(frozen=True)
class ExportCheck:
    """Result of exporting one part.

    Args:
        path: the ONNX file.
        exported: False when a file for the same weights and contract was already there.
        seconds: export time (0 when reused).
        parity: onnxruntime against PyTorch at the export shapes and at other shapes.
    """

    path: Path
    exported: bool
    seconds: float
    parity: tuple[ParityReport, ...]

    @property
    def worst(self) -> float:
        return max(report.worst for report in self.parity) if self.parity else 0.0


def export_and_check(
    pair: PartPair, path: Path, *, force: bool = False, check_parity: bool = True
) -> ExportCheck:
    """Export ``pair.part`` to ``path`` (unless it exists and not ``force``), then run the
    graph in onnxruntime at both example shapes and compare with PyTorch.

    Raises:
        EngineError: the export or onnxruntime fails, or outputs differ in name or shape.
    """
    exported = force or not path.is_file()
    start = time.perf_counter()
    if exported:
        export_onnx(pair.part, path)
    seconds = time.perf_counter() - start if exported else 0.0
    parity: tuple[ParityReport, ...] = ()
    if check_parity:
        parity = tuple(
            check_onnx_parity(path, pair.part, inputs)
            for inputs in (pair.part.example_inputs, pair.other_shapes.example_inputs)
        )
    return ExportCheck(path=path, exported=exported, seconds=seconds, parity=parity)


def calibration_from_frames(
    frames: Iterable[np.ndarray], *, image_size: int, max_frames: int
) -> CalibrationSet:
    """INT8 calibration batches for the image encoder: one preprocessed frame per batch.

    Args:
        frames: `(H, W, 3)` uint8 RGB camera frames (e.g. ``BagFrame.rgb``).
        image_size: S of the model.
        max_frames: keep this many frames, evenly spread over the ones given.

    Raises:
        ConfigError: no frames, or ``max_frames`` < 1.
    """
    if max_frames < 1:
        raise ConfigError(f"max_frames must be >= 1, got {max_frames}")
    every = list(frames)
    if not every:
        raise ConfigError("no calibration frames: the bag has no colour frames")
    keep = np.linspace(0, len(every) - 1, num=min(max_frames, len(every))).round().astype(int)
    batches = [
        {"frames": preprocess_frames(every[i][None], image_size=image_size)}
        for i in sorted(set(keep.tolist()))
    ]
    return CalibrationSet(batches)


def tensorrt_unavailable_reason(device_index: int, precision: Precision) -> str | None:
    """Why engines cannot be built here (every reason, ``; ``-joined), or ``None``."""
    reasons = []
    try:
        import_tensorrt()
    except EngineError as err:
        reasons.append(str(err))
    if not torch.cuda.is_available():
        reasons.append("no CUDA device (torch.cuda.is_available() is False)")
    elif not reasons:
        identity = DeviceIdentity.current(device_index)
        if not precision.supported_on(identity.compute_capability):
            major, minor = identity.compute_capability
            reasons.append(
                f"{precision.value} is not supported on {identity.gpu_name} ({major}.{minor})"
            )
    return "; ".join(reasons) or None
