from __future__ import annotations

from pathlib import Path

import pytest
import torch

from unipixel_ros.errors import CheckpointError
from unipixel_ros.sam import (
    Sam2Model,
    build_sam2,
    load_sam2_checkpoint,
    load_sam2_pt,
    load_sam2_state_dict,
    package_key,
    released_key,
    sam2_state_dict_from_unipixel,
)


def test_layer_scale_key_is_renamed_between_package_and_released_names():
    assert released_key("memory_encoder.fuser.layers.1.gamma") == (
        "memory_encoder.fuser.layers.1.weight"
    )
    assert package_key("memory_encoder.fuser.layers.1.weight") == (
        "memory_encoder.fuser.layers.1.gamma"
    )
    assert package_key("memory_encoder.fuser.layers.1.dwconv.weight") == (
        "memory_encoder.fuser.layers.1.dwconv.weight"
    )


def test_original_pt_from_the_package_model_loads_strictly_into_ours(
    tmp_path: Path, tiny_model: Sam2Model, package_tiny_model: torch.nn.Module
):
    path = tmp_path / "sam2.1_tiny.pt"
    torch.save({"model": package_tiny_model.state_dict()}, path)
    target = build_sam2(tiny_model.config)
    load_sam2_checkpoint(target, path)
    for key, value in tiny_model.state_dict().items():
        torch.testing.assert_close(target.state_dict()[key], value, rtol=0, atol=0)


def test_checkpoint_with_missing_and_unexpected_keys_is_rejected_with_the_keys_listed(
    tmp_path: Path, tiny_model: Sam2Model
):
    weights = {package_key(k): v for k, v in tiny_model.state_dict().items()}
    weights.pop("no_obj_ptr")
    weights["extra.head.weight"] = torch.zeros(1)
    path = tmp_path / "broken.pt"
    torch.save({"model": weights}, path)
    with pytest.raises(
        CheckpointError,
        match=r"1 missing keys: no_obj_ptr.*1 unexpected keys: "
        r"extra\.head\.weight",
    ):
        load_sam2_checkpoint(build_sam2(tiny_model.config), path)


def test_checkpoint_with_a_mis_shaped_tensor_is_rejected(tiny_model: Sam2Model):
    weights = dict(tiny_model.state_dict())
    weights["no_obj_ptr"] = torch.zeros(1, 7)
    with pytest.raises(CheckpointError, match=r"no_obj_ptr \(1, 7\) != \(1, 32\)"):
        load_sam2_state_dict(build_sam2(tiny_model.config), weights, source="test")


def test_file_without_a_model_entry_is_not_a_sam2_checkpoint(tmp_path: Path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(CheckpointError, match="expected a dict with a 'model' state dict"):
        load_sam2_pt(path)


def test_missing_checkpoint_file_raises_checkpoint_error(tmp_path: Path):
    with pytest.raises(CheckpointError, match="not found"):
        load_sam2_pt(tmp_path / "absent.pt")


def test_unipixel_state_dict_gives_the_sam2_part_without_prefix(tiny_model: Sam2Model):
    released = {"sam2." + k: v for k, v in tiny_model.state_dict().items()}
    released["seg_head.0.weight"] = torch.zeros(3)
    sam2 = sam2_state_dict_from_unipixel(released)
    load_sam2_state_dict(build_sam2(tiny_model.config), sam2)
    assert set(sam2) == set(tiny_model.state_dict())
    with pytest.raises(CheckpointError, match=r"no tensor with prefix 'sam2\.'"):
        sam2_state_dict_from_unipixel({"seg_head.0.weight": torch.zeros(3)})
