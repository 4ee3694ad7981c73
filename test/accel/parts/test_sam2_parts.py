"""Each exportable SAM 2.1 wrapper computes what the sam2 package (and UniPixel's hidden-state
prompt in unipixel_ros.sam) computes for that stage."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from unipixel_ros.accel.parts.sam2.image_encoder import Sam2ImageEncoderPart
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
from unipixel_ros.accel.parts.sam2.memory_attention import memory_attention_part
from unipixel_ros.accel.parts.sam2.memory_encoder import Sam2MemoryEncoderPart
from unipixel_ros.accel.parts.sam2.prompt_decoder import Sam2PromptDecoderPart, prompt_decoder_part
from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.sam import Sam2Model

# Same arithmetic in a different order (no complex numbers, split memory): fp32 rounding only.
WRAPPER_TOLERANCE = 1e-5


def grid_of(model: Sam2Model) -> int:
    return model.image_size // model.backbone_stride


def frame_inputs(model: Sam2Model, num_objects: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(1)
    frames = torch.randn(1, 3, model.image_size, model.image_size)
    embed, feat0, feat1, pos = Sam2ImageEncoderPart(model=model)(frames)
    return {
        "image_embed": embed.expand(num_objects, -1, -1, -1) + model.no_mem_embed.view(1, -1, 1, 1),
        "feat0": feat0,
        "feat1": feat1,
        "pos": pos,
        "frame": embed,
    }


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


@torch.inference_mode()
def test_image_encoder_part_matches_package_frame_features(sam2_present: Sam2Model) -> None:
    torch.manual_seed(2)
    frames = torch.randn(3, 3, sam2_present.image_size, sam2_present.image_size)
    embed, feat0, feat1, pos = Sam2ImageEncoderPart(model=sam2_present)(frames)
    expected = sam2_present.encode_images(frames)
    for t, features in enumerate(expected):
        levels = [feat0[t : t + 1], feat1[t : t + 1], embed[t : t + 1]]
        for level, want in zip(levels, features.vision_feats, strict=True):
            assert max_diff(level.flatten(2).permute(2, 0, 1), want) == 0.0
        assert max_diff(pos.flatten(2).permute(2, 0, 1), features.vision_pos_embeds[-1]) == 0.0


@pytest.mark.parametrize(("num_objects", "num_points"), [(1, 1), (3, 4)])
@pytest.mark.parametrize("multimask", [True, False])
@torch.inference_mode()
def test_prompt_decoder_part_matches_package_sam_heads(
    sam2_present: Sam2Model, num_objects: int, num_points: int, multimask: bool
) -> None:
    model = sam2_present
    inputs = frame_inputs(model, num_objects)
    coords = torch.rand(num_objects, num_points, 2) * model.image_size
    labels = torch.randint(0, 4, (num_objects, num_points), dtype=torch.int32)
    part = Sam2PromptDecoderPart(model=model, num_hidden_tokens=0, multimask_output=multimask)
    masks, ious, best, pointer, score = part(
        inputs["image_embed"], inputs["feat0"], inputs["feat1"], coords, labels
    )
    high_res = [
        inputs["feat0"].expand(num_objects, -1, -1, -1),
        inputs["feat1"].expand(num_objects, -1, -1, -1),
    ]
    want = model._forward_sam_heads(
        backbone_features=inputs["image_embed"],
        point_inputs={"point_coords": coords, "point_labels": labels},
        high_res_features=high_res,
        multimask_output=multimask,
    )
    assert (score > 0).all(), "fixture must make objects present"
    assert masks.shape == (
        num_objects,
        3 if multimask else 1,
        4 * grid_of(model),
        4 * grid_of(model),
    )
    assert max_diff(masks, want[0]) <= WRAPPER_TOLERANCE
    assert max_diff(ious, want[2]) <= WRAPPER_TOLERANCE
    assert max_diff(best, want[3]) <= WRAPPER_TOLERANCE
    assert max_diff(pointer, want[5]) <= WRAPPER_TOLERANCE
    assert max_diff(score, want[6]) <= WRAPPER_TOLERANCE


@pytest.mark.parametrize("num_objects", [1, 3])
@torch.inference_mode()
def test_hidden_prompt_decoder_part_matches_unipixel_hidden_state_prompt(
    sam2_present: Sam2Model, num_objects: int
) -> None:
    model = sam2_present
    inputs = frame_inputs(model, num_objects)
    hidden = torch.randn(num_objects, 2, model.hidden_dim)
    pad_coords = torch.zeros(num_objects, 1, 2)
    pad_labels = torch.full((num_objects, 1), -1, dtype=torch.int32)
    part = Sam2PromptDecoderPart(model=model, num_hidden_tokens=2, multimask_output=True)
    masks, ious, best, pointer, _ = part(
        inputs["image_embed"], inputs["feat0"], inputs["feat1"], pad_coords, pad_labels, hidden
    )
    high_res = [
        inputs["feat0"].expand(num_objects, -1, -1, -1),
        inputs["feat1"].expand(num_objects, -1, -1, -1),
    ]
    want = model._forward_sam_heads(
        backbone_features=inputs["image_embed"],
        high_res_features=high_res,
        multimask_output=True,
        hidden_tokens=hidden,
    )
    assert max_diff(masks, want[0]) <= WRAPPER_TOLERANCE
    assert max_diff(ious, want[2]) <= WRAPPER_TOLERANCE
    assert max_diff(best, want[3]) <= WRAPPER_TOLERANCE
    assert max_diff(pointer, want[5]) <= WRAPPER_TOLERANCE


@torch.inference_mode()
def test_prompt_decoder_part_gates_absent_objects_like_the_package(sam2_absent: Sam2Model) -> None:
    model = sam2_absent
    inputs = frame_inputs(model, 2)
    coords = torch.rand(2, 1, 2) * model.image_size
    labels = torch.ones(2, 1, dtype=torch.int32)
    part = Sam2PromptDecoderPart(model=model, num_hidden_tokens=0, multimask_output=True)
    masks, _, _, pointer, score = part(
        inputs["image_embed"], inputs["feat0"], inputs["feat1"], coords, labels
    )
    want = model._forward_sam_heads(
        backbone_features=inputs["image_embed"],
        point_inputs={"point_coords": coords, "point_labels": labels},
        high_res_features=[
            inputs["feat0"].expand(2, -1, -1, -1),
            inputs["feat1"].expand(2, -1, -1, -1),
        ],
        multimask_output=True,
    )
    assert (score <= 0).all()
    assert (masks == -1024.0).all()
    assert max_diff(pointer, want[5]) <= WRAPPER_TOLERANCE


@pytest.mark.parametrize(("num_objects", "memory_frames", "pointers"), [(1, 1, 1), (2, 3, 4)])
@torch.inference_mode()
def test_memory_attention_part_matches_package_rope_memory_attention(
    sam2_present: Sam2Model, num_objects: int, memory_frames: int, pointers: int
) -> None:
    model = sam2_present
    part = memory_attention_part(
        model,
        limits=Sam2PartLimits(),
        example_objects=num_objects,
        example_memory_frames=memory_frames,
        example_pointers=pointers,
    )
    curr, curr_pos, spatial, spatial_pos, ptr, ptr_pos = part.example_inputs
    (got,) = part.module(*part.example_inputs)

    def seq_first(x: torch.Tensor) -> torch.Tensor:
        return x.transpose(0, 1)

    grid = grid_of(model)
    want = model.memory_attention(
        curr=[curr.flatten(2).permute(2, 0, 1).expand(-1, num_objects, -1)],
        curr_pos=[curr_pos.flatten(2).permute(2, 0, 1).expand(-1, num_objects, -1)],
        memory=seq_first(torch.cat([spatial, ptr], dim=1)),
        memory_pos=seq_first(torch.cat([spatial_pos, ptr_pos], dim=1)),
        num_obj_ptr_tokens=ptr.shape[1],
    )
    want = want.permute(1, 2, 0).reshape(num_objects, -1, grid, grid)
    assert max_diff(got, want) <= WRAPPER_TOLERANCE


@pytest.mark.parametrize("num_objects", [1, 3])
@torch.inference_mode()
def test_memory_encoder_part_matches_package_encode_new_memory(
    sam2_present: Sam2Model, num_objects: int
) -> None:
    model = sam2_present
    inputs = frame_inputs(model, num_objects)
    grid = grid_of(model)
    logits = torch.randn(num_objects, 1, 4 * grid, 4 * grid) * 4
    scores = torch.linspace(-2, 2, num_objects).reshape(num_objects, 1)
    features, pos = Sam2MemoryEncoderPart(model=model)(inputs["frame"], logits, scores)
    frame_seq = inputs["frame"].flatten(2).permute(2, 0, 1).expand(-1, num_objects, -1)
    want_features, want_pos = model._encode_new_memory(
        current_vision_feats=[frame_seq],
        feat_sizes=[(grid, grid)],
        pred_masks_high_res=F.interpolate(
            logits, size=(model.image_size,) * 2, mode="bilinear", align_corners=False
        ),
        object_score_logits=scores,
        is_mask_from_pts=False,
    )
    assert max_diff(features, want_features) <= WRAPPER_TOLERANCE
    assert max_diff(pos, want_pos[-1]) == 0.0


def test_decoder_part_refuses_a_missing_hidden_token_tensor(sam2_present: Sam2Model) -> None:
    part = prompt_decoder_part(sam2_present, limits=Sam2PartLimits(), num_hidden_tokens=2)
    with pytest.raises(BadInputError, match="K=2 hidden tokens got hidden_tokens none"):
        part.module(*part.example_inputs[:-1])


def test_part_limits_reject_opt_above_max() -> None:
    with pytest.raises(ConfigError, match="opt_objects 9 exceeds max_objects 8"):
        Sam2PartLimits(opt_objects=9)


def test_decoder_shape_profile_covers_limits(sam2_present: Sam2Model) -> None:
    limits = Sam2PartLimits(max_objects=5, max_points=6)
    part = prompt_decoder_part(sam2_present, limits=limits, num_hidden_tokens=2)
    assert part.shape_profile["point_coords"].max == (5, 6, 2)
    assert part.shape_profile["hidden_tokens"].max == (5, 2, sam2_present.hidden_dim)
    assert part.name == "sam2_hidden_prompt_decoder"
