"""Loading tiny checkpoints written in tmp_path in the released (transformers 4.53) layout."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from unipixel_ros.errors import CheckpointError
from unipixel_ros.model import (
    UniPixelModel,
    build_unipixel,
    legacy_state_dict,
    load_unipixel,
    merge_lora,
    resolve_checkpoint,
    save_unipixel,
    tiny_config,
)
from unipixel_ros.sam import package_key


@pytest.fixture(scope="module")
def tiny_model(tokenizer) -> UniPixelModel:
    torch.manual_seed(3)
    return build_unipixel(tiny_config(tokenizer)).eval()


def _assert_same_weights(loaded: UniPixelModel, original: UniPixelModel) -> None:
    theirs = original.state_dict()
    ours = loaded.state_dict()
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        torch.testing.assert_close(ours[key], value, rtol=0, atol=0, msg=key)


@pytest.mark.parametrize("shards", [1, 3])
def test_full_checkpoint_in_legacy_layout_loads_strictly_and_ties_lm_head(
    tmp_path, tiny_model, tokenizer, shards
):
    save_unipixel(tiny_model, tokenizer, tmp_path / "ckpt", shards=shards)
    loaded = load_unipixel(tmp_path / "ckpt", device="cpu")
    assert loaded.model.lm_head.weight.dtype == torch.float32
    assert loaded.model.lm_head.weight is loaded.model.model.language_model.embed_tokens.weight
    assert not any(p.is_meta for p in loaded.model.parameters())
    assert not any(b.is_meta for b in loaded.model.buffers())
    _assert_same_weights(loaded.model, tiny_model)
    assert loaded.tokenizer.token_id("<|seg|>") == loaded.config.seg_token_id


def test_bfloat16_load_keeps_sam2_and_rotary_tables_in_float32(tmp_path, tiny_model, tokenizer):
    save_unipixel(tiny_model, tokenizer, tmp_path / "ckpt")
    model = load_unipixel(tmp_path / "ckpt", device="cpu", dtype=torch.bfloat16).model
    assert model.lm_head.weight.dtype == torch.bfloat16
    assert model.msk_proj[0].weight.dtype == torch.bfloat16
    assert next(model.sam2.parameters()).dtype == torch.float32
    assert model.model.language_model.rotary_emb.inv_freq.dtype == torch.float32


def test_bfloat16_file_loads_as_float32_on_cpu(tmp_path, tiny_model, tokenizer):
    directory = tmp_path / "ckpt"
    save_unipixel(tiny_model, tokenizer, directory)
    state = {k: v.to(torch.bfloat16) for k, v in legacy_state_dict(tiny_model).items()}
    save_file(state, str(directory / "model.safetensors"))
    model = load_unipixel(directory, device="cpu").model
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert {b.dtype for b in model.sam2.buffers() if b.is_floating_point()} == {torch.float32}


def test_missing_and_unexpected_keys_are_listed(tmp_path, tiny_model, tokenizer):
    directory = tmp_path / "ckpt"
    save_unipixel(tiny_model, tokenizer, directory)
    state = legacy_state_dict(tiny_model)
    del state["seg_head.1.weight"]
    state["seg_head.9.weight"] = torch.zeros(1)
    save_file(state, str(directory / "model.safetensors"))
    with pytest.raises(
        CheckpointError,
        match=r"missing keys: seg_head\.1\.weight.*unexpected keys: seg_head\.9\.weight",
    ):
        load_unipixel(directory, device="cpu")


def test_pickle_weights_are_not_read(tmp_path, tiny_model, tokenizer):
    directory = tmp_path / "ckpt"
    save_unipixel(tiny_model, tokenizer, directory)
    (directory / "model.safetensors").rename(directory / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="only safetensors"):
        load_unipixel(directory, device="cpu")


def test_hub_id_missing_from_cache_says_how_to_download(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "cache"))
    with pytest.raises(CheckpointError, match="download PolyU-ChenLab/UniPixel-3B --local-dir"):
        resolve_checkpoint("PolyU-ChenLab/UniPixel-3B", local_files_only=True)


def test_unreachable_hub_says_how_to_download(tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(
        CheckpointError, match=r"hub is unreachable.*download PolyU-ChenLab/UniPixel-7B"
    ):
        resolve_checkpoint("PolyU-ChenLab/UniPixel-7B")


def test_missing_directory_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        resolve_checkpoint(tmp_path / "nowhere")


def test_lora_merge_adds_the_scaled_low_rank_product():
    base = {"model.language_model.layers.0.self_attn.q_proj.weight": torch.randn(6, 4)}
    a, b = torch.randn(2, 4), torch.randn(6, 2)
    adapter = {
        "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": a,
        "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": b,
    }
    merged = merge_lora(base, adapter, {"r": 2, "lora_alpha": 4})
    key = "model.language_model.layers.0.self_attn.q_proj.weight"
    torch.testing.assert_close(merged[key], base[key] + 2.0 * b @ a)


def test_base_model_plus_adapter_partial_state_and_sam2_pt_load_strictly(
    tmp_path, tiny_model, tokenizer
):
    legacy = legacy_state_dict(tiny_model)
    base_dir = tmp_path / "base"
    base_dir.mkdir()
    qwen = {k: v for k, v in legacy.items() if k.startswith(("model.", "visual.", "lm_head"))}
    save_file(qwen, str(base_dir / "model.safetensors"))
    sam2 = {package_key(k[len("sam2.") :]): v for k, v in legacy.items() if k.startswith("sam2.")}
    torch.save({"model": sam2}, tmp_path / "sam2.1_tiny.pt")
    adapter_dir = tmp_path / "adapter"
    adapter_dir.mkdir()
    config = tiny_model.config.to_dict()
    config.update(base_model_path=str(base_dir), sam2_checkpoint=str(tmp_path / "sam2.1_tiny.pt"))
    (adapter_dir / "config.json").write_text(json.dumps(config))
    tokenizer.save(adapter_dir / "tokenizer.json")
    heads = {
        k: v
        for k, v in legacy.items()
        if not k.startswith(("model.", "visual.", "lm_head", "sam2."))
    }
    save_file(heads, str(adapter_dir / "pytorch_model.safetensors"))
    target = "model.layers.1.self_attn.v_proj"
    rows, cols = legacy[f"{target}.weight"].shape
    a, b = torch.randn(4, cols), torch.randn(rows, 4)
    save_file(
        {
            f"base_model.model.{target}.lora_A.weight": a,
            f"base_model.model.{target}.lora_B.weight": b,
        },
        str(adapter_dir / "adapter_model.safetensors"),
    )
    (adapter_dir / "adapter_config.json").write_text(json.dumps({"r": 4, "lora_alpha": 8}))

    model = load_unipixel(adapter_dir, device="cpu").model

    merged = model.model.language_model.layers[1].self_attn.v_proj.weight
    torch.testing.assert_close(merged, legacy[f"{target}.weight"] + 2.0 * b @ a)
    torch.testing.assert_close(model.seg_head[1].weight, tiny_model.seg_head[1].weight)
    layer_scale = model.sam2.memory_encoder.fuser.layers[0].weight
    torch.testing.assert_close(layer_scale, tiny_model.sam2.memory_encoder.fuser.layers[0].weight)
