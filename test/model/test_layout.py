"""The architecture at real sizes, on the meta device, against the released key lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from unipixel_ros.model import PixelQwen2_5_VLConfig, build_unipixel, to_legacy_key, to_module_key

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE_CONFIGS = (
    Path(__file__).resolve().parents[2] / "unipixel_ros" / "model" / "reference_configs"
)


def _fixture_keys(name: str) -> dict[str, list[int]]:
    keys = {}
    for line in (FIXTURES / name).read_text().splitlines():
        if line and not line.startswith("#"):
            key, shape = line.split("\t")
            keys[key] = json.loads(shape)
    return keys


@pytest.mark.parametrize("size", ["3b", "7b"])
def test_meta_architecture_has_the_released_keys_and_shapes(size):
    config = PixelQwen2_5_VLConfig.from_dict(
        json.loads((REFERENCE_CONFIGS / f"unipixel_{size}_config.json").read_text())
    )
    with torch.device("meta"):
        model = build_unipixel(config)
    ours = {to_legacy_key(k): list(v.shape) for k, v in model.state_dict().items()}
    if config.tie_word_embeddings:
        assert model.lm_head.weight is model.model.language_model.embed_tokens.weight
        del ours["lm_head.weight"]
    released = _fixture_keys(f"unipixel_{size}_keys.tsv")
    assert sorted(set(released) - set(ours)) == []
    assert sorted(set(ours) - set(released)) == []
    assert {k: v for k, v in ours.items() if released[k] != v} == {}


@pytest.mark.parametrize(
    ("legacy", "module"),
    [
        ("model.layers.3.mlp.up_proj.weight", "model.language_model.layers.3.mlp.up_proj.weight"),
        ("model.embed_tokens.weight", "model.language_model.embed_tokens.weight"),
        ("model.norm.weight", "model.language_model.norm.weight"),
        ("visual.merger.mlp.0.weight", "model.visual.merger.mlp.0.weight"),
        ("lm_head.weight", "lm_head.weight"),
        ("sam2.maskmem_tpos_enc", "sam2.maskmem_tpos_enc"),
        ("seg_head.0.weight", "seg_head.0.weight"),
    ],
)
def test_legacy_keys_map_to_module_names_and_back(legacy, module):
    assert to_module_key(legacy) == module
    assert to_module_key(module) == module
    assert to_legacy_key(module) == legacy
