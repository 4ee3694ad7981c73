"""UniPixel checkpoints built with each SAM 2.1 size: the name chooses it, the files reload."""

from __future__ import annotations

import pytest
import torch

from unipixel_ros.errors import ConfigError
from unipixel_ros.model import (
    NANO_SAM2_CONFIG_NAME,
    TINY_SAM2_CONFIG_NAME,
    QwenTokenizer,
    build_unipixel,
    load_unipixel,
    sam2_config_for,
    save_unipixel,
    small_config,
    tiny_config,
)
from unipixel_ros.sam import Sam2Config, Sam2Size, sam2_1_config

# The smallest input every Hiera trunk takes (a multiple of 32): fast to build and save.
IMAGE_SIZE = 64


def _config_with(tokenizer: QwenTokenizer, sam2_config: str):
    return small_config(
        tokenizer,
        hidden_size=64,
        num_layers=2,
        vision_width=32,
        rope_theta=1000000.0,
        sam2_config=sam2_config,
        sam2_image_size=IMAGE_SIZE,
    )


@pytest.mark.parametrize("size", list(Sam2Size))
def test_every_spelling_of_a_size_builds_that_sam2_1(tokenizer: QwenTokenizer, size: Sam2Size):
    for name in size.names:
        config = _config_with(tokenizer, name)
        assert sam2_config_for(config) == sam2_1_config(size, image_size=IMAGE_SIZE), name


def test_test_model_names_still_build_their_own_sam2(tokenizer: QwenTokenizer):
    assert sam2_config_for(tiny_config(tokenizer)) == Sam2Config.tiny(image_size=64)
    config = _config_with(tokenizer, NANO_SAM2_CONFIG_NAME)
    assert sam2_config_for(config) == Sam2Config.nano(image_size=IMAGE_SIZE)
    assert TINY_SAM2_CONFIG_NAME not in {name for size in Sam2Size for name in size.names}


def test_unknown_sam2_config_is_refused_with_every_accepted_spelling(tokenizer: QwenTokenizer):
    config = _config_with(tokenizer, "configs/sam2.1_hiera_xl")
    with pytest.raises(
        ConfigError, match=r"unsupported sam2_config 'configs/sam2\.1_hiera_xl'"
    ) as e:
        sam2_config_for(config)
    message = str(e.value)
    for size in Sam2Size:
        assert all(name in message for name in size.names), size
    assert TINY_SAM2_CONFIG_NAME in message and NANO_SAM2_CONFIG_NAME in message


def test_sam2_0_config_is_refused_as_not_sam2_1(tokenizer: QwenTokenizer):
    config = _config_with(tokenizer, "configs/sam2/sam2_hiera_t.yaml")
    with pytest.raises(ConfigError, match=r"SAM 2, not 2\.1, is not supported"):
        build_unipixel(config)


@pytest.mark.parametrize("size", list(Sam2Size))
def test_checkpoint_with_each_sam2_1_size_reloads_strictly_with_the_same_weights(
    tmp_path, tokenizer: QwenTokenizer, size: Sam2Size
):
    torch.manual_seed(0)
    original = build_unipixel(_config_with(tokenizer, size.config_name)).eval()
    directory = save_unipixel(original, tokenizer, tmp_path / size.value)

    # Strict: a missing, unexpected or mis-shaped key would raise a CheckpointError here.
    loaded = load_unipixel(directory, device="cpu").model

    assert loaded.config.sam2_config == size.config_name
    assert loaded.sam2.config == sam2_1_config(size, image_size=IMAGE_SIZE)
    assert loaded.sam2.hidden_dim == 256
    theirs, ours = original.state_dict(), loaded.state_dict()
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        assert torch.equal(ours[key], value), key
