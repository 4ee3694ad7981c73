"""Write a UniPixel model in the released full-model layout (what `load_unipixel` reads)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from unipixel_ros.errors import ConfigError
from unipixel_ros.model.layout import to_legacy_key
from unipixel_ros.model.tokenizer import QwenTokenizer
from unipixel_ros.model.unipixel_model import UniPixelModel

__all__ = ["legacy_state_dict", "save_unipixel"]


def legacy_state_dict(model: UniPixelModel) -> dict[str, torch.Tensor]:
    """The model's weights under the transformers-4.53 key names of the released files.

    A tied ``lm_head.weight`` is left out, as the released UniPixel-3B file does.
    """
    state = {
        to_legacy_key(k): v.detach().cpu().clone().contiguous()
        for k, v in model.state_dict().items()
    }
    if model.config.tie_word_embeddings:
        del state["lm_head.weight"]
    return state


def save_unipixel(
    model: UniPixelModel, tokenizer: QwenTokenizer, directory: str | Path, *, shards: int = 1
) -> Path:
    """Write ``config.json``, ``tokenizer.json`` and safetensors weights into ``directory``.

    Args:
        model: the model to save.
        tokenizer: its tokenizer.
        directory: created if missing.
        shards: 1 writes ``model.safetensors``; more write ``model-0000k-of-0000n`` files and a
            ``model.safetensors.index.json`` (keys spread round-robin).
    """
    if shards < 1:
        raise ConfigError(f"shards must be >= 1, got {shards}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(model.config.to_dict(), indent=2))
    tokenizer.save(directory / "tokenizer.json")
    state = legacy_state_dict(model)
    if shards == 1:
        save_file(state, str(directory / "model.safetensors"))
        return directory
    keys = sorted(state)
    weight_map: dict[str, str] = {}
    for index in range(shards):
        name = f"model-{index + 1:05d}-of-{shards:05d}.safetensors"
        part = {k: state[k] for k in keys[index::shards]}
        save_file(part, str(directory / name))
        weight_map.update(dict.fromkeys(part, name))
    index_file = directory / "model.safetensors.index.json"
    index_file.write_text(json.dumps({"weight_map": weight_map}, indent=2))
    return directory
