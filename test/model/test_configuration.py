from __future__ import annotations

import json
from pathlib import Path

import pytest

from unipixel_ros.errors import CheckpointError, ConfigError
from unipixel_ros.model import HeadSizes, PixelQwen2_5_VLConfig, read_config

REFERENCE_CONFIGS = (
    Path(__file__).resolve().parents[2] / "unipixel_ros" / "model" / "reference_configs"
)


def _released_3b() -> dict:
    return json.loads((REFERENCE_CONFIGS / "unipixel_3b_config.json").read_text())


def test_released_3b_config_reads_with_flat_text_fields_and_unipixel_fields():
    config = PixelQwen2_5_VLConfig.from_dict(_released_3b())
    assert config.model_type == "pixel_qwen2_5_vl"
    assert config.text_config.hidden_size == 2048
    assert config.text_config.num_hidden_layers == 36
    assert config.tie_word_embeddings is True
    assert config.vision_config.model_type == "qwen2_5_vl_vision"
    assert (config.ref_token_id, config.seg_token_id, config.mem_token_id) == (
        151665,
        151666,
        151667,
    )
    assert config.sam2_image_size == 768
    assert config.text_config.rope_parameters["mrope_section"] == [16, 24, 24]


def test_config_round_trip_keeps_the_unipixel_fields():
    config = PixelQwen2_5_VLConfig.from_dict(_released_3b())
    again = PixelQwen2_5_VLConfig.from_dict(config.to_dict())
    for name in (
        "sam2_config",
        "sam2_image_size",
        "sam2_hidden_tokens",
        "seg_token_id",
        "base_model_path",
    ):
        assert getattr(again, name) == getattr(config, name)
    assert again.text_config.hidden_size == config.text_config.hidden_size


def test_head_sizes_of_3b_are_those_of_the_design_note():
    sizes = HeadSizes.from_config(PixelQwen2_5_VLConfig.from_dict(_released_3b()))
    assert (sizes.llm_dim, sizes.sam_dim, sizes.hidden_tokens, sizes.merger_dim) == (
        2048,
        256,
        2,
        5120,
    )
    assert sizes.feature_size == 48


def test_head_sizes_reject_an_image_size_off_the_feature_stride():
    with pytest.raises(ConfigError, match="multiple of 16"):
        HeadSizes(llm_dim=64, merger_dim=128, image_size=100)


def test_config_without_sam2_has_no_heads():
    config = PixelQwen2_5_VLConfig.from_dict({**_released_3b(), "sam2_config": None})
    with pytest.raises(ConfigError, match="sam2_config is None"):
        HeadSizes.from_config(config)


def test_read_config_rejects_a_plain_qwen_checkpoint(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps({**_released_3b(), "model_type": "qwen2_5_vl"})
    )
    with pytest.raises(CheckpointError, match="model_type 'qwen2_5_vl'"):
        read_config(tmp_path)
