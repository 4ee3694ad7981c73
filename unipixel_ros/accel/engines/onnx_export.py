"""Export an :class:`AcceleratedPart` to ONNX and check the graph against PyTorch in onnxruntime.

The ONNX graph is what TensorRT's parser consumes, so an export that runs in onnxruntime and
matches the eager module (at several values of every dynamic dim) is the strongest evidence
available where TensorRT is not.

Exporter: ``torch.onnx.export`` with the TorchScript tracer (``dynamo=False``) by default. The
dynamo exporter (torch's default since 2.9) needs ``onnxscript``, which is not a project
dependency; :attr:`OnnxExporter.DYNAMO` uses it where it is installed (all SAM 2.1 parts export
and match with it too, at opset 18, see docs/acceleration.md), and :func:`export_onnx` falls
back to the TorchScript exporter (with a log line) when dynamo fails.
"""

from __future__ import annotations

import enum
import importlib.util
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.errors import EngineError

__all__ = [
    "DEFAULT_OPSET",
    "DYNAMO_OPSET",
    "OnnxExporter",
    "ParityReport",
    "check_onnx_parity",
    "export_onnx",
    "run_onnx",
]

_LOG = logging.getLogger(__name__)

DEFAULT_OPSET = 17
"""TorchScript exporter opset: native LayerNormalization; parsed by every TensorRT 10.x."""

DYNAMO_OPSET = 18
"""Dynamo exporter opset: its native one (down-converting its graphs to 17 fails for some)."""


class OnnxExporter(enum.Enum):
    """Which ``torch.onnx.export`` path to use."""

    TORCHSCRIPT = "torchscript"
    DYNAMO = "dynamo"


@dataclass(frozen=True)
class ParityReport:
    """Largest absolute difference between onnxruntime and PyTorch, per output.

    Args:
        max_abs_diff: output name -> max |onnxruntime - torch| over all elements.
        input_shapes: the input shapes the comparison ran at.
    """

    max_abs_diff: Mapping[str, float]
    input_shapes: Mapping[str, tuple[int, ...]]

    @property
    def worst(self) -> float:
        return max(self.max_abs_diff.values())

    def describe(self) -> str:
        """One line for assertion messages and logs."""
        shapes = ", ".join(f"{name}={list(shape)}" for name, shape in self.input_shapes.items())
        diffs = ", ".join(f"{name}={diff:.2e}" for name, diff in self.max_abs_diff.items())
        return f"max abs diff [{diffs}] at [{shapes}]"


def export_onnx(
    part: AcceleratedPart,
    path: Path,
    *,
    exporter: OnnxExporter = OnnxExporter.TORCHSCRIPT,
    opset: int | None = None,
) -> Path:
    """Export ``part`` to ``path`` (weights embedded), with its dynamic axes.

    Args:
        part: the part; its module is put in eval mode.
        path: the ``.onnx`` file to write; parent directories are created.
        exporter: TorchScript tracer (default) or dynamo (needs ``onnxscript``; falls back to
            TorchScript on failure).
        opset: ONNX opset version; default :data:`DEFAULT_OPSET` for TorchScript,
            :data:`DYNAMO_OPSET` for dynamo.

    Raises:
        EngineError: the export fails or the written model does not pass ``onnx.checker``.
    """
    import onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    part.module.eval()
    if exporter is OnnxExporter.DYNAMO:
        if importlib.util.find_spec("onnxscript") is None:
            _LOG.info("onnxscript is not installed; exporting %s with TorchScript", part.name)
        else:
            try:
                _export_dynamo(part, path, DYNAMO_OPSET if opset is None else opset)
            except Exception as err:
                _LOG.info("dynamo export of %s failed (%s); using TorchScript", part.name, err)
            else:
                return _checked(onnx, path)
    _export_torchscript(part, path, DEFAULT_OPSET if opset is None else opset)
    return _checked(onnx, path)


def _export_torchscript(part: AcceleratedPart, path: Path, opset: int) -> None:
    dynamic_axes = {name: dict(axes) for name, axes in part.dynamic_axes.items()}
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The legacy-exporter deprecation notice and tracer warnings about Python ints from
            # static shapes (image size, grid) are expected; parity tests catch real problems.
            warnings.simplefilter("ignore", category=DeprecationWarning)
            warnings.simplefilter("ignore", category=torch.jit.TracerWarning)
            torch.onnx.export(
                part.module,
                part.example_inputs,
                str(path),
                dynamo=False,
                input_names=list(part.input_names),
                output_names=list(part.output_names),
                dynamic_axes=dynamic_axes,
                opset_version=opset,
                do_constant_folding=True,
            )
    except Exception as err:
        raise EngineError(f"TorchScript ONNX export of {part.name} failed: {err}") from err


def _export_dynamo(part: AcceleratedPart, path: Path, opset: int) -> None:
    from torch.export import Dim

    dims: dict[str, Dim] = {}
    shapes: list[dict[int, Dim] | None] = []
    for name in part.input_names:
        axes = part.dynamic_axes.get(name)
        if not axes:
            shapes.append(None)
            continue
        shapes.append({axis: dims.setdefault(label, Dim(label)) for axis, label in axes.items()})
    with torch.no_grad():
        program = torch.onnx.export(
            part.module,
            part.example_inputs,
            dynamo=True,
            input_names=list(part.input_names),
            output_names=list(part.output_names),
            dynamic_shapes=tuple(shapes),
            opset_version=opset,
        )
    if program is None:
        raise EngineError(f"dynamo export of {part.name} returned no program")
    program.save(str(path))


def _checked(onnx: object, path: Path) -> Path:
    try:
        onnx.checker.check_model(str(path))  # type: ignore[attr-defined]
    except Exception as err:
        raise EngineError(f"exported ONNX {path} fails onnx.checker: {err}") from err
    return path


def run_onnx(path: Path, inputs: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Run ``path`` in onnxruntime (CPU) on ``inputs``; returns output name -> array."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        feed = {name: tensor.detach().cpu().numpy() for name, tensor in inputs.items()}
        names = [output.name for output in session.get_outputs()]
        return dict(zip(names, session.run(names, feed), strict=True))
    except Exception as err:
        raise EngineError(f"onnxruntime failed on {path}: {err}") from err


def check_onnx_parity(
    path: Path, part: AcceleratedPart, inputs: Sequence[torch.Tensor]
) -> ParityReport:
    """Run ``part`` in PyTorch and ``path`` in onnxruntime on ``inputs``; compare every output.

    Raises:
        EngineError: output names or shapes differ (the graph does not follow the contract).
    """
    with torch.inference_mode():
        expected = part.module(*inputs)
    feed = dict(zip(part.input_names, inputs, strict=True))
    actual = run_onnx(path, feed)
    diffs: dict[str, float] = {}
    for name, reference in zip(part.output_names, expected, strict=True):
        if name not in actual:
            raise EngineError(f"ONNX graph {path} has no output {name!r}: {sorted(actual)}")
        got = actual[name]
        want = reference.detach().float().cpu().numpy()
        if got.shape != want.shape:
            raise EngineError(
                f"ONNX output {name} has shape {got.shape}, PyTorch {want.shape} "
                f"(inputs {[tuple(x.shape) for x in inputs]})"
            )
        diffs[name] = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
    shapes = {name: tuple(tensor.shape) for name, tensor in feed.items()}
    return ParityReport(max_abs_diff=diffs, input_shapes=shapes)
