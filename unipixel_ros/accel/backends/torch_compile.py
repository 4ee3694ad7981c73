"""The ``torch.compile`` backend and its runners (plain, and CUDA-graph replay)."""

from __future__ import annotations

import importlib.util
import logging
import shutil
from collections.abc import Callable

import torch

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.protocol import Availability, InferenceModeRunner, PartRunner
from unipixel_ros.accel.parts.part import AcceleratedPart

__all__ = ["CompileBackend"]

_LOG = logging.getLogger(__name__)


class CompileBackend:
    """``torch.compile`` (TorchInductor).

    On CUDA, parts flagged ``cuda_graphs`` (the tracker step, the LLM decode step) compile with
    ``mode="reduce-overhead"``, which records CUDA graphs and replays them, removing the
    per-kernel launch cost that dominates these small-batch steps. A CUDA-graph replay writes
    its outputs into the same memory every time, so the runner clones them before returning.
    Other parts, and every part on CPU, use the default mode.

    Args:
        dynamic: passed to ``torch.compile``; ``None`` lets it detect dynamic dims after a
            recompile, ``False`` specialises on every new shape.
        fullgraph: fail instead of splitting the graph at unsupported Python (use in tests to
            prove a part compiles whole).
    """

    def __init__(self, *, dynamic: bool | None = None, fullgraph: bool = False) -> None:
        self._dynamic = dynamic
        self._fullgraph = fullgraph

    @property
    def name(self) -> BackendName:
        return BackendName.COMPILE

    def availability(self, device: torch.device) -> Availability:
        import torch._dynamo

        if not torch._dynamo.is_dynamo_supported():
            return Availability(False, "torch.compile is not supported on this Python/platform")
        if device.type == "cuda":
            if importlib.util.find_spec("triton") is None:
                return Availability(False, "torch.compile on CUDA needs triton, not installed")
            return Availability(True, f"torch.compile with CUDA graphs for step parts on {device}")
        if device.type == "cpu":
            compiler = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
            if compiler is None:
                return Availability(False, "torch.compile on CPU needs a C++ compiler, none found")
            return Availability(True, f"torch.compile (inductor C++ kernels via {compiler}) on cpu")
        return Availability(False, f"torch.compile is not set up for device type {device.type}")

    def mode_for(self, part: AcceleratedPart, device: torch.device) -> str:
        """The ``torch.compile`` mode used for ``part`` on ``device``."""
        return "reduce-overhead" if part.cuda_graphs and device.type == "cuda" else "default"

    def prepare(self, part: AcceleratedPart, device: torch.device) -> PartRunner:
        part.module.eval()
        mode = self.mode_for(part, device)
        compiled = torch.compile(
            part.module, mode=mode, dynamic=self._dynamic, fullgraph=self._fullgraph
        )
        _LOG.debug("compiled %s with mode=%s", part.name, mode)
        if mode == "reduce-overhead":
            return _CudaGraphRunner(compiled)
        return InferenceModeRunner(compiled)


class _CudaGraphRunner:
    """Marks each call as a new CUDA-graph step and copies outputs out of the graph's pool."""

    def __init__(self, module: Callable[..., tuple[torch.Tensor, ...]]) -> None:
        self._module = module

    def __call__(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with torch.inference_mode():
            torch.compiler.cudagraph_mark_step_begin()
            return tuple(output.clone() for output in self._module(*inputs))
