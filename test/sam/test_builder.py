from __future__ import annotations

from pathlib import Path

import torch
from sam2.sam2_video_predictor import SAM2VideoPredictor
from sam_reference import hydra_build

from unipixel_ros.sam import Sam2Config, Sam2Model, build_package_predictor, build_sam2, package_key

FIXTURE = Path(__file__).parent.parent / "fixtures" / "sam2_b_plus_768_keys.tsv"


def _released_layout() -> dict[str, tuple[int, ...]]:
    lines = [line for line in FIXTURE.read_text().splitlines() if not line.startswith("#")]
    rows = [line.split("\t") for line in lines]
    return {key: tuple(int(d) for d in shape.strip("[]").split(",")) for key, shape in rows}


def _layout(model: torch.nn.Module, prefix: str = "") -> dict[str, tuple[int, ...]]:
    return {prefix + k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_b_plus_768_on_meta_matches_the_released_unipixel_sam2_layout():
    with torch.device("meta"):
        model = build_sam2(Sam2Config.hiera_b_plus(768))
    assert next(model.parameters()).device.type == "meta"
    assert _layout(model, prefix="sam2.") == _released_layout()


def test_b_plus_768_matches_the_package_hydra_build_keys_and_shapes():
    with torch.device("meta"):
        ours = build_sam2(Sam2Config.hiera_b_plus(768))
    theirs = hydra_build(["++model.image_size=768"])
    assert {package_key(k): s for k, s in _layout(ours).items()} == _layout(theirs)


def test_b_plus_768_runs_at_768_pixels_with_a_48_grid_on_meta():
    with torch.device("meta"):
        model = build_sam2(Sam2Config.hiera_b_plus(768))
        features = model.encode_images(torch.empty(1, 3, 768, 768))
    assert features[0].feat_sizes == ((192, 192), (96, 96), (48, 48))
    assert tuple(features[0].vision_feats[-1].shape) == (48 * 48, 1, 256)


def test_tiny_build_gives_the_same_outputs_as_the_package_hydra_build(
    tiny_model: Sam2Model, package_tiny_model: torch.nn.Module
):
    torch.manual_seed(1)
    images = torch.randn(2, 3, 64, 64)
    points = {
        "point_coords": torch.tensor([[[20.0, 30.0]]]),
        "point_labels": torch.tensor([[1]], dtype=torch.int32),
    }
    outputs = []
    with torch.inference_mode():
        for model in (tiny_model, package_tiny_model):
            backbone = model.forward_image(images[:1])
            _, feats, pos, sizes = model._prepare_backbone_features(backbone)
            out = model.track_step(
                frame_idx=0,
                is_init_cond_frame=True,
                current_vision_feats=feats,
                current_vision_pos_embeds=pos,
                feat_sizes=sizes,
                point_inputs=points,
                mask_inputs=None,
                output_dict={"cond_frame_outputs": {}, "non_cond_frame_outputs": {}},
                num_frames=2,
                run_mem_encoder=True,
            )
            outputs.append(out)
    ours, theirs = outputs
    for key in ("pred_masks", "obj_ptr", "object_score_logits", "maskmem_features"):
        torch.testing.assert_close(ours[key], theirs[key], rtol=0, atol=0)


def test_builder_places_parameters_on_the_requested_device():
    model = build_sam2(Sam2Config.tiny(), device="meta")
    assert {p.device.type for p in model.parameters()} == {"meta"}
    assert not model.training


def test_package_predictor_carries_the_model_weights_and_the_model_has_no_inference_state(
    tiny_model: Sam2Model,
):
    predictor = build_package_predictor(tiny_model)
    assert isinstance(predictor, SAM2VideoPredictor)
    assert not hasattr(tiny_model, "init_state")
    ours, theirs = tiny_model.state_dict(), predictor.state_dict()
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[key], theirs[key]) for key in ours)


def test_package_predictor_leaves_the_random_stream_as_it_was(tiny_model: Sam2Model):
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    build_package_predictor(tiny_model)
    assert torch.equal(torch.rand(4), expected)
