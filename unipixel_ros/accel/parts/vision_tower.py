"""The Qwen2.5-VL vision tower under ``torch.compile`` (the ``compile`` backend's vision part).

The tower runs once per query on every sampled frame's patches. Its patch count and its window
layout follow the patch grid ``(t, h, w)``, and the layout is computed in Python from the grid
(``grid_thw.tolist()`` in transformers' window index), so ``torch.compile`` breaks the graph
there and compiles the blocks around it. It is compiled per grid (``dynamic=False``): a node's
grid is fixed by its camera resolution, the pixel budget and the sampled frames, so one compile
serves every query; symbolic patch counts would buy nothing, because the window index already
specialises on the grid's values. A new grid (another camera size, ``multi_image`` with another
image count) compiles once more, up to dynamo's recompile limit, after which that grid runs
eagerly.

``tensorrt`` has no vision-tower engine (the data-dependent window index does not export); it
compiles the tower as ``compile`` does, saying so.

NOT VERIFIED HERE: GPU speed. On CPU the compiled tower is checked against eager (1e-5) and a
query flow against eager (same tokens).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch import nn
from transformers.modeling_outputs import BaseModelOutputWithPooling

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.torch_compile import CompileBackend
from unipixel_ros.model import UniPixelModel
from unipixel_ros.model.unipixel_model import VisionTower

__all__ = ["VisionTowerChoice", "compiled_vision_tower", "resolve_vision_tower"]

_LOG = logging.getLogger(__name__)


def _run_tower(
    visual: nn.Module, pixels: torch.Tensor, grid: torch.Tensor
) -> BaseModelOutputWithPooling:
    output: BaseModelOutputWithPooling = visual(pixels, grid_thw=grid)
    return output


def compiled_vision_tower() -> VisionTower:
    """``torch.compile`` of the tower call, specialised per grid (see the module docstring).

    The encoder is an argument, not captured, so the compiled code guards on the module it
    was given: a copied model compiles for itself instead of running the original's weights.
    """
    compiled: VisionTower = torch.compile(_run_tower, dynamic=False)
    return compiled


@dataclass(frozen=True)
class VisionTowerChoice:
    """The vision tower a backend name gives.

    Args:
        tower: the compiled call, or ``None`` for eager.
        backend: what runs the tower.
        reason: one line for the log.
    """

    tower: VisionTower | None
    backend: BackendName
    reason: str


def resolve_vision_tower(
    requested: BackendName | str, *, model: UniPixelModel
) -> VisionTowerChoice:
    """The vision tower for ``requested``: compiled for ``compile`` and ``tensorrt`` where
    ``torch.compile`` can run, else eager.

    Raises:
        ConfigError: ``requested`` names no backend.
    """
    wanted = BackendName.parse(requested)
    if wanted is BackendName.EAGER:
        return VisionTowerChoice(None, wanted, "vision tower eager")
    availability = CompileBackend().availability(model.device)
    note = " (no TensorRT engine for the vision tower)" if wanted is BackendName.TENSORRT else ""
    if not availability.available:
        line = f"vision tower eager (requested {wanted.value}: {availability.detail}){note}"
        return VisionTowerChoice(None, BackendName.EAGER, line)
    _LOG.debug("vision tower compiled per patch grid")
    line = f"vision tower compile: torch.compile per patch grid{note}"
    return VisionTowerChoice(compiled_vision_tower(), BackendName.COMPILE, line)
