from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sam2
from omegaconf import OmegaConf

from unipixel_ros.errors import ConfigError
from unipixel_ros.sam import HieraConfig, Sam2Config

PACKAGED_B_PLUS = Path(sam2.__file__).parent / "configs" / "sam2.1" / "sam2.1_hiera_b+.yaml"


def test_b_plus_preset_equals_the_packaged_sam2_1_yaml_with_image_size_overridden():
    yaml = OmegaConf.load(PACKAGED_B_PLUS).model
    config = Sam2Config.hiera_b_plus(image_size=768)
    trunk, neck = yaml.image_encoder.trunk, yaml.image_encoder.neck
    layer = yaml.memory_attention.layer
    assert config.image_size == 768
    assert config.trunk.embed_dim == trunk.embed_dim
    assert config.trunk.num_heads == trunk.num_heads
    # Hiera's own defaults apply to b+ (the yaml sets only width and heads).
    assert config.trunk.stages == (2, 3, 16, 3)
    assert config.trunk.global_att_blocks == (12, 16, 20)
    assert config.trunk.window_spec == (8, 4, 14, 7)
    assert config.trunk.window_pos_embed_bkg_spatial_size == (14, 14)
    assert config.neck.d_model == neck.d_model == neck.position_encoding.num_pos_feats
    assert list(config.trunk.channel_list) == list(neck.backbone_channel_list)
    assert list(config.neck.fpn_top_down_levels) == list(neck.fpn_top_down_levels)
    assert config.neck.fpn_interp_model == neck.fpn_interp_model
    assert config.neck.scalp == yaml.image_encoder.scalp
    assert config.memory_attention.num_layers == yaml.memory_attention.num_layers
    assert config.memory_attention.dim_feedforward == layer.dim_feedforward
    assert config.memory_attention.num_heads == layer.self_attention.num_heads
    assert config.memory_attention.rope_theta == layer.self_attention.rope_theta
    assert config.memory_attention.dropout == layer.dropout
    assert config.memory_encoder.out_dim == yaml.memory_encoder.out_dim
    assert config.memory_encoder.out_dim == layer.cross_attention.kv_in_dim
    assert config.memory_encoder.fuser_num_layers == yaml.memory_encoder.fuser.num_layers
    assert config.memory_encoder.fuser_kernel_size == yaml.memory_encoder.fuser.layer.kernel_size
    assert config.memory_encoder.layer_scale_init_value == pytest.approx(
        yaml.memory_encoder.fuser.layer.layer_scale_init_value
    )
    flags = {
        k: v
        for k, v in OmegaConf.to_container(yaml).items()
        if not isinstance(v, dict) and k not in ("_target_", "image_size", "compile_image_encoder")
    }
    assert flags, "the yaml lists top-level flags"
    for name, value in flags.items():
        assert getattr(config, name) == value, name


def test_tiny_preset_is_valid_at_several_image_sizes():
    for size in (64, 128, 256):
        assert Sam2Config.tiny(image_size=size).feature_grid_size == size // 16


def test_config_rejects_image_size_that_is_not_a_multiple_of_the_trunk_stride():
    with pytest.raises(ConfigError, match="image_size must be a positive multiple of 32"):
        Sam2Config.hiera_b_plus(image_size=770)


def test_config_rejects_global_attention_on_a_query_pooling_block():
    with pytest.raises(ConfigError, match="block 2 pools the query"):
        HieraConfig(
            embed_dim=8,
            num_heads=1,
            stages=(1, 1, 1, 1),
            global_att_blocks=(2,),
            window_spec=(4, 2, 2, 1),
            window_pos_embed_bkg_spatial_size=(4, 4),
        )


def test_config_rejects_hidden_dim_not_a_multiple_of_memory_dim():
    base = Sam2Config.tiny()
    with pytest.raises(ConfigError, match=r"must be a multiple of memory_encoder\.out_dim"):
        dataclasses.replace(
            base, memory_encoder=dataclasses.replace(base.memory_encoder, out_dim=12)
        )


def test_config_is_frozen():
    config = Sam2Config.tiny()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.image_size = 128  # type: ignore[misc]


def test_derived_sizes_at_768_are_a_48_grid_and_192_low_res_masks():
    config = Sam2Config.hiera_b_plus(768)
    assert (config.feature_grid_size, config.low_res_mask_size, config.hidden_dim) == (48, 192, 256)
