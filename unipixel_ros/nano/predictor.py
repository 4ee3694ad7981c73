"""The shipped nano checkpoint as a ready predictor (the offline default of the demo)."""

from __future__ import annotations

from pathlib import Path

import torch

from unipixel_ros.errors import CheckpointError
from unipixel_ros.model import UniPixelPredictor
from unipixel_ros.nano.architecture import nano_settings
from unipixel_ros.nano.checkpoint import NANO_CHECKPOINT_DIR

__all__ = ["load_nano_predictor"]


def load_nano_predictor(
    directory: str | Path = NANO_CHECKPOINT_DIR,
    *,
    device: torch.device | str | None = None,
    max_new_tokens: int = 24,
) -> UniPixelPredictor:
    """Load a nano checkpoint (the shipped one by default) with the settings it was trained with.

    Args:
        directory: checkpoint directory.
        device: CUDA when available by default.
        max_new_tokens: generation limit per answer.

    Raises:
        CheckpointError: the directory holds no nano checkpoint.
    """
    path = Path(directory)
    if not (path / "model.safetensors").is_file():
        raise CheckpointError(
            f"no nano checkpoint in {path}; train one with `unipixel-ros train-nano`"
        )
    return UniPixelPredictor.from_pretrained(
        path,
        device=device,
        dtype=torch.float32,
        local_files_only=True,
        settings=nano_settings(max_new_tokens=max_new_tokens),
    )
