"""SAM 2.1 alone from a UniPixel checkpoint, for a tracker that leaves the language model to a
reasoner elsewhere (split deployment, docs/deployment.md).

Only the ``sam2.*`` tensors are read: each safetensors file is opened lazily and no other
tensor is loaded, so a robot never holds the language model's weights in memory. The
architecture comes from the checkpoint's ``config.json``; the weights from the checkpoint
itself, from ``config.sam2_checkpoint`` (an adapter checkpoint), or from a SAM 2.1 ``.pt`` the
caller names. Loading is strict, as for the whole model.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

from unipixel_ros.errors import CheckpointError
from unipixel_ros.model.builder import sam2_config_for
from unipixel_ros.model.loading import read_config, resolve_checkpoint, safetensors_files
from unipixel_ros.sam import (
    UNIPIXEL_SAM2_PREFIX,
    Sam2Model,
    build_sam2,
    load_sam2_pt,
    load_sam2_state_dict,
)

__all__ = ["load_unipixel_sam2"]


def load_unipixel_sam2(
    source: str | Path,
    *,
    device: torch.device | str = "cpu",
    sam2_checkpoint: str | Path | None = None,
    local_files_only: bool = False,
) -> Sam2Model:
    """The SAM 2.1 of a UniPixel checkpoint, float32, in eval mode on ``device``.

    Args:
        source: UniPixel checkpoint directory or hub id (its ``config.json`` names the SAM 2.1
            architecture and image size).
        device: target device.
        sam2_checkpoint: an original SAM 2.1 ``.pt`` whose weights replace the checkpoint's.
        local_files_only: never contact the hub.

    Raises:
        CheckpointError: files missing or unreadable, or weights not fitting the architecture.
    """
    directory = resolve_checkpoint(source, local_files_only=local_files_only)
    config = read_config(directory)
    model = build_sam2(sam2_config_for(config))
    if sam2_checkpoint is not None:
        state_dict = load_sam2_pt(sam2_checkpoint)
        origin = str(sam2_checkpoint)
    elif _is_adapter(directory):
        if not config.sam2_checkpoint:
            raise CheckpointError(
                f"{directory} holds an adapter but config.sam2_checkpoint is empty"
            )
        path = Path(config.sam2_checkpoint)
        if not path.is_absolute() and (directory / path).is_file():
            path = directory / path
        state_dict, origin = load_sam2_pt(path), str(path)
    else:
        state_dict, origin = _sam2_tensors(directory), str(directory)
    load_sam2_state_dict(model, state_dict, source=origin)
    return model.to(device=torch.device(device)).float().eval()


def _is_adapter(directory: Path) -> bool:
    return any(
        (directory / name).is_file()
        for name in ("adapter_model.safetensors", "pytorch_model.safetensors")
    )


def _sam2_tensors(directory: Path) -> dict[str, torch.Tensor]:
    """The ``sam2.*`` tensors of a full checkpoint's safetensors, prefix stripped, on CPU."""
    tensors: dict[str, torch.Tensor] = {}
    for file in safetensors_files(directory, key_prefix=UNIPIXEL_SAM2_PREFIX):
        try:
            with safe_open(str(file), framework="pt", device="cpu") as handle:
                for key in handle.keys():  # noqa: SIM118 (safe_open has no __iter__)
                    if key.startswith(UNIPIXEL_SAM2_PREFIX):
                        tensors[key[len(UNIPIXEL_SAM2_PREFIX) :]] = handle.get_tensor(key)
        except (SafetensorError, OSError) as err:
            raise CheckpointError(f"cannot read {file}: {err}") from err
    if not tensors:
        raise CheckpointError(
            f"no tensor with prefix {UNIPIXEL_SAM2_PREFIX!r} in the safetensors of {directory}"
        )
    return tensors
