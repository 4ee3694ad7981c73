"""The four SAM 2.1 sizes against the `sam2` package's own yamls, builds and checkpoints."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import sam2
import torch
from omegaconf import OmegaConf
from sam2.modeling.backbones.hieradet import Hiera
from sam_reference import hydra_build

from unipixel_ros.sam import (
    SAM2_1_CONFIG_NAMES,
    Sam2Config,
    Sam2Size,
    build_sam2,
    load_sam2_pt,
    load_sam2_state_dict,
    package_key,
    sam2_1_config,
)

PACKAGED = Path(sam2.__file__).parent / "configs" / "sam2.1"
# Top-level yaml keys that are not architecture: the image size is overridden (as UniPixel
# does) and compilation is a deployment choice (False in all four yamls).
NOT_ARCHITECTURE = ("_target_", "image_size", "compile_image_encoder")
# Hiera's defaults, which the yamls rely on where they are silent (b+ sets only width, heads).
HIERA_DEFAULTS = {
    name: parameter.default for name, parameter in inspect.signature(Hiera).parameters.items()
}
# The Hiera fields the four SAM 2.1 sizes set differently.
VARIED_TRUNK_FIELDS = (
    "embed_dim",
    "num_heads",
    "stages",
    "global_att_blocks",
    "window_spec",
    "window_pos_embed_bkg_spatial_size",
)


def _yaml(size: Sam2Size) -> Any:
    return OmegaConf.load(PACKAGED / f"sam2.1_hiera_{size.letter}.yaml").model


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(tree, dict):
        return {prefix: tree}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else key))
    return flat


def _package_build(size: Sam2Size, image_size: int) -> torch.nn.Module:
    """The package's hydra build of the size's packaged yaml (its own random weights)."""
    return hydra_build(
        [f"++model.image_size={image_size}"],
        config_name=f"configs/sam2.1/sam2.1_hiera_{size.letter}.yaml",
    )


@pytest.mark.parametrize("size", list(Sam2Size))
def test_preset_equals_the_packaged_sam2_1_yaml_with_image_size_overridden(size: Sam2Size):
    yaml = _yaml(size)
    config = sam2_1_config(size, image_size=768)
    trunk, neck = yaml.image_encoder.trunk, yaml.image_encoder.neck
    layer = yaml.memory_attention.layer
    assert config.image_size == 768
    for name in (
        *VARIED_TRUNK_FIELDS,
        "q_pool",
        "q_stride",
        "dim_mul",
        "head_mul",
        "drop_path_rate",
    ):
        expected = trunk.get(name, HIERA_DEFAULTS[name])
        if not isinstance(expected, (int, float)):
            expected = tuple(expected)
        assert getattr(config.trunk, name) == expected, name
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
        if not isinstance(v, dict) and k not in NOT_ARCHITECTURE
    }
    assert flags, "the yaml lists top-level flags"
    for name, value in flags.items():
        assert getattr(config, name) == value, name


def test_the_four_yamls_differ_only_in_what_the_presets_vary():
    flat = {size: _flatten(OmegaConf.to_container(_yaml(size))) for size in Sam2Size}
    keys = set().union(*flat.values())
    differing = {k for k in keys if len({repr(f.get(k)) for f in flat.values()}) > 1}
    trunk = "image_encoder.trunk."
    assert differing, "the sizes differ"
    assert {k for k in differing if not k.startswith(trunk)} == {
        "image_encoder.neck.backbone_channel_list"
    }
    assert {k.removeprefix(trunk) for k in differing if k.startswith(trunk)} <= set(
        VARIED_TRUNK_FIELDS
    )


def test_base_plus_preset_is_the_hiera_b_plus_config():
    assert sam2_1_config(Sam2Size.BASE_PLUS, image_size=768) == Sam2Config.hiera_b_plus(768)


@pytest.mark.parametrize("size", list(Sam2Size))
def test_every_spelling_of_a_size_names_it(size: Sam2Size):
    assert size.names[0] == size.config_name
    assert {SAM2_1_CONFIG_NAMES[name] for name in size.names} == {size}
    assert f"configs/sam2.1/sam2.1_hiera_{size.letter}.yaml" in size.names
    assert size.value in size.names


def test_reference_launch_script_name_is_the_canonical_base_plus_name():
    # scripts/launch_3b.sh of the reference: --sam2_config configs/sam2.1_hiera_b+
    assert SAM2_1_CONFIG_NAMES["configs/sam2.1_hiera_b+"] is Sam2Size.BASE_PLUS
    assert Sam2Size.BASE_PLUS.config_name == "configs/sam2.1_hiera_b+"
    assert SAM2_1_CONFIG_NAMES["sam2.1_hiera_base_plus"] is Sam2Size.BASE_PLUS
    assert SAM2_1_CONFIG_NAMES["sam2.1_hiera_large"] is Sam2Size.LARGE


@pytest.mark.parametrize("size", list(Sam2Size))
def test_original_pt_of_each_size_loads_strictly_and_computes_what_the_package_computes(
    tmp_path: Path, size: Sam2Size
):
    torch.manual_seed(0)
    package_model = _package_build(size, 128)
    package_layout = {k: tuple(v.shape) for k, v in package_model.state_dict().items()}
    with torch.device("meta"):
        ours = build_sam2(sam2_1_config(size, image_size=128))
    assert {package_key(k): tuple(v.shape) for k, v in ours.state_dict().items()} == (
        package_layout
    )
    path = tmp_path / f"sam2.1_hiera_{size.value}.pt"
    torch.save({"model": package_model.state_dict()}, path)
    # Built on meta, as a deployment loads it: the file's tensors become the parameters.
    load_sam2_state_dict(ours, load_sam2_pt(path), source=str(path), assign=True)
    assert not any(p.is_meta for p in ours.parameters())

    # Window sizes and global-attention blocks have no weights; the features show them.
    images = torch.randn(1, 3, 128, 128)
    with torch.inference_mode():
        features = [model.forward_image(images) for model in (ours, package_model)]
    for level in range(3):
        torch.testing.assert_close(
            features[0]["backbone_fpn"][level],
            features[1]["backbone_fpn"][level],
            rtol=0,
            atol=0,
        )
