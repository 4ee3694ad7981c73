"""The UniPixel heads: shapes, the temporal code, and the point path through SAM 2.1's encoder."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.model import RefPrompt, SegHead, TemporalPositionEncoding


def test_seg_head_turns_each_state_into_k_prompt_tokens_of_width_c():
    head = SegHead(llm_dim=16, sam_dim=8, hidden_tokens=2)
    assert [name for name, _ in head.named_parameters()] == [
        "0.weight",
        "1.weight",
        "1.bias",
        "3.weight",
        "3.bias",
    ]
    assert head(torch.randn(3, 16)).shape == (3, 2, 8)
    with pytest.raises(BadInputError, match=r"\(num_seg, 16\)"):
        head(torch.randn(3, 15))


def test_temporal_code_maps_the_first_and_last_frame_to_minus_one_and_one():
    encoding = TemporalPositionEncoding(num_features=4)
    gaussian = encoding.positional_encoding_gaussian_matrix
    code = encoding(torch.tensor([0, 7]), 8)
    for row, coordinate in zip(code, (-1.0, 1.0), strict=True):
        angle = 2 * math.pi * coordinate * gaussian[0]
        torch.testing.assert_close(row, torch.cat([torch.sin(angle), torch.cos(angle)]))


def test_point_reaches_the_projection_as_sam2_encodes_it_with_its_padding_token(_untied_model):
    model = copy.deepcopy(_untied_model)
    sam_encoder = model.sam2.sam_prompt_encoder
    model.ref_encoder.load_state_dict(sam_encoder.state_dict())
    seen = []
    handle = model.ref_proj_single.register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
    try:
        coords = torch.tensor([[12.0, 40.0]])
        with torch.no_grad():
            model.embed_ref_prompts(
                [RefPrompt(coords=coords, labels=torch.tensor([1]), frame_index=0)], grid_t=1
            )
            sparse, _ = sam_encoder(
                (coords[None], torch.tensor([[1]], dtype=torch.int32)), None, None
            )
    finally:
        handle.remove()
    assert sparse.shape == (1, 2, model.sizes.sam_dim)  # the point and SAM's padding token
    torch.testing.assert_close(seen[0], sparse.flatten(1))


def test_ref_prompt_labels_must_be_a_point_or_box_corners():
    with pytest.raises(BadInputError, match=r"labels must be \[2, 3\]"):
        RefPrompt(coords=torch.zeros(2, 2), labels=torch.tensor([1, 1]), frame_index=0)
