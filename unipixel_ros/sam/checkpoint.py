"""SAM 2.1 weights: the one key rename, and strict loading.

Two sources exist:

- the original SAM 2.1 ``.pt`` (``torch.save({"model": state_dict})``), with the `sam2` package's
  names, where the memory fuser's layer scale is ``memory_encoder.fuser.layers.N.gamma``;
- the released UniPixel checkpoints, whose ``sam2.*`` tensors call it
  ``memory_encoder.fuser.layers.N.weight`` (transformers rewrote ``gamma`` on save).

`Sam2Model` uses the released name (see `unipixel_ros.sam.layer_scale`), so the rename below is
the only one: package name -> released name. Loading is strict: missing, unexpected and
mis-shaped keys are listed in the `CheckpointError`.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from unipixel_ros.errors import CheckpointError
from unipixel_ros.strict_loading import check_state_dict

__all__ = [
    "UNIPIXEL_SAM2_PREFIX",
    "load_sam2_checkpoint",
    "load_sam2_pt",
    "load_sam2_state_dict",
    "package_key",
    "released_key",
    "sam2_state_dict_from_unipixel",
]

UNIPIXEL_SAM2_PREFIX = "sam2."
"""Prefix of the SAM 2.1 tensors inside a released UniPixel full-model checkpoint."""

_PACKAGE_LAYER_SCALE = re.compile(r"^(memory_encoder\.fuser\.layers\.\d+)\.gamma$")
_RELEASED_LAYER_SCALE = re.compile(r"^(memory_encoder\.fuser\.layers\.\d+)\.weight$")


def released_key(key: str) -> str:
    """`sam2` package name -> released UniPixel (and `Sam2Model`) name."""
    return _PACKAGE_LAYER_SCALE.sub(r"\1.weight", key)


def package_key(key: str) -> str:
    """Released UniPixel (and `Sam2Model`) name -> `sam2` package name."""
    return _RELEASED_LAYER_SCALE.sub(r"\1.gamma", key)


def load_sam2_pt(path: str | Path) -> dict[str, torch.Tensor]:
    """Read an original SAM 2.1 ``.pt`` (``weights_only=True``) into `Sam2Model` names.

    Returns:
        The state dict, on CPU, with the layer-scale keys renamed.
    """
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as err:
        raise CheckpointError(f"SAM 2.1 checkpoint not found: {path}") from err
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as err:
        raise CheckpointError(f"cannot read SAM 2.1 checkpoint {path}: {err}") from err
    if not isinstance(payload, Mapping) or not isinstance(payload.get("model"), Mapping):
        seen = sorted(payload)[:10] if isinstance(payload, Mapping) else type(payload).__name__
        raise CheckpointError(
            f"{path} is not a SAM 2.1 checkpoint: expected a dict with a 'model' state dict, "
            f"got {seen}"
        )
    return {released_key(k): v for k, v in payload["model"].items()}


def sam2_state_dict_from_unipixel(
    state_dict: Mapping[str, torch.Tensor], *, prefix: str = UNIPIXEL_SAM2_PREFIX
) -> dict[str, torch.Tensor]:
    """The SAM 2.1 part of a released UniPixel state dict, prefix stripped (names unchanged)."""
    sam2 = {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}
    if not sam2:
        raise CheckpointError(f"no tensor with prefix {prefix!r} in the UniPixel state dict")
    return sam2


def load_sam2_state_dict(
    model: nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    *,
    source: str = "state dict",
    assign: bool = False,
) -> None:
    """Load ``state_dict`` into ``model`` strictly.

    Args:
        model: a `Sam2Model`.
        state_dict: tensors under `Sam2Model` names.
        source: named in the error message (e.g. the file path).
        assign: pass-through to `nn.Module.load_state_dict` (needed for meta-built models).

    Raises:
        CheckpointError: listing missing, unexpected and mis-shaped keys.
    """
    check_state_dict(
        model.state_dict(), state_dict, what=f"SAM 2.1 weights from {source} do not fit"
    )
    model.load_state_dict(state_dict, strict=True, assign=assign)


def load_sam2_checkpoint(model: nn.Module, path: str | Path) -> None:
    """Load an original SAM 2.1 ``.pt`` into ``model`` strictly (see `load_sam2_state_dict`)."""
    load_sam2_state_dict(model, load_sam2_pt(path), source=str(path))
