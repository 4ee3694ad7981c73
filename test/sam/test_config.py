from __future__ import annotations

import dataclasses

import pytest

from unipixel_ros.errors import ConfigError
from unipixel_ros.sam import HieraConfig, Sam2Config

# The presets against the packaged yamls: test_presets.py.


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
