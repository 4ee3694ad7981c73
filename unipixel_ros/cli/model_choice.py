"""Which model the demo and `unipixel-ros eval` run when the user does not name one.

In order: UniPixel-3B when its weights are in the local Hugging Face cache (the network is never
asked), else the offline UniPixel-nano checkpoint shipped in ``unipixel_ros/nano/checkpoint``
when it exists, else the tiny model with random weights, announced as such. Callers that must
stay offline also set ``HF_HUB_OFFLINE=1`` before huggingface_hub is imported.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from unipixel_ros.cli.options import AUTO_MODEL
from unipixel_ros.model.predictor import TINY_RANDOM_MODEL

__all__ = [
    "UNIPIXEL_3B_REPO",
    "ModelChoice",
    "choose_model",
    "nano_checkpoint_dir",
]

UNIPIXEL_3B_REPO = "PolyU-ChenLab/UniPixel-3B"


@dataclass(frozen=True, kw_only=True)
class ModelChoice:
    """The model a run uses.

    Args:
        model_path: The node's ``model_path`` parameter.
        description: One plain sentence saying what the model is.
        is_random: True when the weights are random (results mean nothing).
    """

    model_path: str
    description: str
    is_random: bool


def nano_checkpoint_dir() -> Path:
    """Where the shipped UniPixel-nano checkpoint lives (it may not exist yet).

    Found without importing ``unipixel_ros.nano`` (which loads torch).
    """
    found = importlib.util.find_spec("unipixel_ros.nano")
    if found is None or not found.submodule_search_locations:
        return Path(__file__).resolve().parents[1] / "nano" / "checkpoint"
    return Path(next(iter(found.submodule_search_locations))) / "checkpoint"


def _cached_unipixel_3b(cache_dir: Path | None) -> Path | None:
    """The cached UniPixel-3B snapshot when config and weights are there; never goes online."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        directory = Path(
            snapshot_download(UNIPIXEL_3B_REPO, local_files_only=True, cache_dir=cache_dir)
        )
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None
    has_weights = any(directory.glob("*.safetensors")) or any(directory.glob("*.bin"))
    return directory if (directory / "config.json").is_file() and has_weights else None


def choose_model(
    requested: str = AUTO_MODEL,
    *,
    hf_cache_dir: Path | None = None,
    nano_dir: Path | None = None,
) -> ModelChoice:
    """The model to run: ``requested`` as given, or the best one available here for "auto".

    Args:
        requested: "auto", "tiny-random", a checkpoint directory or a hub id.
        hf_cache_dir: Hugging Face hub cache to look in; the default cache when None.
        nano_dir: UniPixel-nano checkpoint directory; the shipped one when None.
    """
    if requested == TINY_RANDOM_MODEL:
        return ModelChoice(
            model_path=TINY_RANDOM_MODEL,
            description="a tiny model with RANDOM weights (answers and masks are meaningless)",
            is_random=True,
        )
    if requested != AUTO_MODEL:
        return ModelChoice(model_path=requested, description=f"{requested}", is_random=False)
    cached = _cached_unipixel_3b(hf_cache_dir)
    if cached is not None:
        return ModelChoice(
            model_path=str(cached),
            description=f"{UNIPIXEL_3B_REPO} from the local Hugging Face cache ({cached})",
            is_random=False,
        )
    nano = nano_dir if nano_dir is not None else nano_checkpoint_dir()
    if (nano / "config.json").is_file() and (nano / "model.safetensors").is_file():
        return ModelChoice(
            model_path=str(nano),
            description=(
                f"{UNIPIXEL_3B_REPO} is not in the local Hugging Face cache; using the offline "
                f"UniPixel-nano checkpoint ({nano}), a small model trained on synthetic scenes"
            ),
            is_random=False,
        )
    choice = choose_model(TINY_RANDOM_MODEL)
    return ModelChoice(
        model_path=choice.model_path,
        description=(
            f"{UNIPIXEL_3B_REPO} is not in the local Hugging Face cache and no UniPixel-nano "
            f"checkpoint exists in {nano}; using {choice.description}"
        ),
        is_random=True,
    )
