from __future__ import annotations

from pathlib import Path

import pytest
import torch
from sam2.modeling.sam2_base import NO_OBJ_SCORE
from sam_reference import package_inference_state

from unipixel_ros.errors import BadInputError
from unipixel_ros.sam import (
    BoxPrompt,
    HiddenStatePrompt,
    MaskPrompt,
    PointPrompt,
    Sam2Model,
    upscale_logits,
)


def set_object_score(model: torch.nn.Module, logit: float) -> None:
    """Make the presence head output ``logit`` for every input (random heads say "absent")."""
    last = model.sam_mask_decoder.pred_obj_score_head.layers[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(logit)


@pytest.fixture
def images() -> torch.Tensor:
    torch.manual_seed(3)
    return torch.randn(1, 3, 64, 64)


def _capture_decoder_calls(model: Sam2Model) -> tuple[list[dict], list[tuple]]:
    inputs: list[dict] = []
    outputs: list[tuple] = []
    model.sam_mask_decoder.register_forward_pre_hook(
        lambda _m, _a, kwargs: inputs.append(kwargs), with_kwargs=True
    )
    model.sam_mask_decoder.register_forward_hook(lambda _m, _a, out: outputs.append(out))
    return inputs, outputs


def test_hidden_state_tokens_follow_the_two_padding_point_tokens(
    tiny_model: Sam2Model, images: torch.Tensor
):
    tokens = torch.randn(3, 2, 32)
    inputs, _ = _capture_decoder_calls(tiny_model)
    with torch.inference_mode():
        features = tiny_model.encode_images(images)[0]
        tiny_model.decode_prompt(features, HiddenStatePrompt(tokens))
        pad, _ = tiny_model.sam_prompt_encoder(
            points=(torch.zeros(1, 1, 2), -torch.ones(1, 1, dtype=torch.int32)),
            boxes=None,
            masks=None,
        )
    (call,) = inputs
    sparse = call["sparse_prompt_embeddings"]
    assert sparse.shape == (3, 4, 32)
    torch.testing.assert_close(sparse[:, :2], pad.expand(3, -1, -1))
    torch.testing.assert_close(sparse[:, 2:], tokens)
    torch.testing.assert_close(
        call["dense_prompt_embeddings"][0, :, 0, 0],
        tiny_model.sam_prompt_encoder.no_mask_embed.weight[0],
    )


def test_hidden_state_prompt_keeps_the_mask_with_the_highest_predicted_iou(
    tiny_model: Sam2Model, images: torch.Tensor
):
    set_object_score(tiny_model, 5.0)
    _, outputs = _capture_decoder_calls(tiny_model)
    with torch.inference_mode():
        features = tiny_model.encode_images(images)[0]
        result = tiny_model.decode_prompt(features, HiddenStatePrompt(torch.randn(4, 2, 32)))
    ((masks, ious, _, scores),) = outputs
    assert masks.shape[1] == 3, "an initial hidden-state prompt asks for 3 candidate masks"
    best = ious.argmax(dim=1)
    torch.testing.assert_close(result.low_res_logits[:, 0], masks[torch.arange(4), best])
    torch.testing.assert_close(result.object_score_logits, scores)


def test_absent_object_gets_no_object_logits_everywhere(
    tiny_model: Sam2Model, images: torch.Tensor
):
    set_object_score(tiny_model, -3.0)
    with torch.inference_mode():
        features = tiny_model.encode_images(images)[0]
        result = tiny_model.decode_prompt(features, HiddenStatePrompt(torch.randn(2, 2, 32)))
    assert (result.low_res_logits == NO_OBJ_SCORE).all()
    assert (result.object_score_logits <= 0).all()


@pytest.mark.parametrize("kind", ["points", "box", "mask"])
def test_point_box_and_mask_prompts_match_the_package_video_predictor(
    kind: str,
    tiny_model: Sam2Model,
    package_tiny_model: torch.nn.Module,
    images: torch.Tensor,
    tmp_path: Path,
):
    height, width = 48, 80
    for model in (tiny_model, package_tiny_model):
        set_object_score(model, 4.0)
    state = package_inference_state(
        package_tiny_model, images, tmp_path / "frames", height=height, width=width
    )
    scale = torch.tensor([64 / width, 64 / height])
    if kind == "points":
        frame_points = torch.tensor([[30.0, 20.0], [60.0, 10.0]])
        labels = torch.tensor([1, 0], dtype=torch.int32)
        prompt = PointPrompt(coords=(frame_points * scale)[None], labels=labels[None])
        _, _, theirs = package_tiny_model.add_new_points_or_box(
            state, frame_idx=0, obj_id=1, points=frame_points, labels=labels
        )
    elif kind == "box":
        frame_box = torch.tensor([10.0, 5.0, 50.0, 40.0])
        prompt = BoxPrompt(boxes=(frame_box.view(2, 2) * scale).view(1, 4))
        _, _, theirs = package_tiny_model.add_new_points_or_box(
            state, frame_idx=0, obj_id=1, box=frame_box
        )
    else:
        mask = torch.zeros(height, width, dtype=torch.bool)
        mask[10:30, 20:60] = True
        prompt = MaskPrompt(masks=mask[None])
        _, _, theirs = package_tiny_model.add_new_mask(state, frame_idx=0, obj_id=1, mask=mask)
    with torch.inference_mode():
        ours = tiny_model.decode_prompt(tiny_model.encode_images(images)[0], prompt)
    ours_video = upscale_logits(ours.low_res_logits, (height, width))
    torch.testing.assert_close(ours_video, theirs[:, 0], rtol=0, atol=1e-5)
    assert torch.equal(ours_video > 0, theirs[:, 0] > 0)


def test_hidden_tokens_of_the_wrong_width_are_rejected(tiny_model: Sam2Model, images: torch.Tensor):
    with torch.inference_mode():
        features = tiny_model.encode_images(images)[0]
        with pytest.raises(BadInputError, match="width C = 32, got 16"):
            tiny_model.decode_prompt(features, HiddenStatePrompt(torch.randn(1, 2, 16)))


def test_images_of_the_wrong_size_are_rejected(tiny_model: Sam2Model):
    with pytest.raises(BadInputError, match=r"shape \(T, 3, 64, 64\), got \(1, 3, 32, 32\)"):
        tiny_model.encode_images(torch.zeros(1, 3, 32, 32))


def test_prompts_check_their_shapes():
    with pytest.raises(BadInputError, match="labels must have shape"):
        PointPrompt(coords=torch.zeros(1, 2, 2), labels=torch.ones(1, 3, dtype=torch.int32))
    with pytest.raises(BadInputError, match=r"shape \(num_objects, 4\)"):
        BoxPrompt(boxes=torch.zeros(4))
    with pytest.raises(BadInputError, match="K >= 1"):
        HiddenStatePrompt(tokens=torch.zeros(1, 0, 32))
