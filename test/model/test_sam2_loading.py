"""SAM 2.1 alone from a UniPixel checkpoint: the same weights as the whole model's, strictly."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from unipixel_ros.errors import CheckpointError
from unipixel_ros.model import save_unipixel
from unipixel_ros.model.sam2_loading import load_unipixel_sam2
from unipixel_ros.sam import package_key


@pytest.mark.parametrize("shards", [1, 3])
def test_the_sam2_of_a_checkpoint_has_the_whole_models_sam2_weights(
    steered_predictor, tmp_path: Path, shards: int
) -> None:
    predictor = steered_predictor("[0] <|seg|>")
    directory = save_unipixel(predictor.model, predictor.tokenizer, tmp_path, shards=shards)
    sam2 = load_unipixel_sam2(directory)
    expected = predictor.model.sam2.state_dict()
    loaded = sam2.state_dict()
    assert set(loaded) == set(expected)
    for key, value in expected.items():
        assert torch.equal(loaded[key], value), key
    assert not sam2.training and next(sam2.parameters()).dtype == torch.float32


def test_a_sam2_checkpoint_of_its_own_replaces_the_weights_and_a_wrong_one_is_refused(
    steered_predictor, tmp_path: Path
) -> None:
    predictor = steered_predictor("[0] <|seg|>")
    directory = save_unipixel(predictor.model, predictor.tokenizer, tmp_path / "ckpt")
    state = {package_key(k): v.clone() for k, v in predictor.model.sam2.state_dict().items()}
    key = next(k for k in state if k.endswith("weight"))
    state[key] += 1.0
    own = tmp_path / "sam2.1_own.pt"
    torch.save({"model": state}, own)
    sam2 = load_unipixel_sam2(directory, sam2_checkpoint=own)
    assert torch.equal(sam2.state_dict()[key], state[key])
    del state[key]
    torch.save({"model": state}, own)
    with pytest.raises(CheckpointError, match="missing"):
        load_unipixel_sam2(directory, sam2_checkpoint=own)


def test_a_checkpoint_without_sam2_tensors_is_refused(steered_predictor, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    predictor = steered_predictor("[0] <|seg|>")
    directory = save_unipixel(predictor.model, predictor.tokenizer, tmp_path)
    weights = load_file(str(directory / "model.safetensors"))
    save_file(
        {k: v for k, v in weights.items() if not k.startswith("sam2.")},
        str(directory / "model.safetensors"),
    )
    with pytest.raises(CheckpointError, match=r"no tensor with prefix 'sam2\.'"):
        load_unipixel_sam2(directory)
