"""SAM 2.1 in bfloat16 (``TrackerConfig.sam_precision``, what ``auto`` picks on CUDA) tracks
like float32: over 60 frames of the synthetic tabletop (moving camera, real objects), the masks
of each object overlap the float32 ones with IoU >= 0.98, on the tiny model and on the trained
nano model. Run on the CPU, where bfloat16 is for this test only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unipixel_ros.nano import load_nano_predictor
from unipixel_ros.sam import PointPrompt, Sam2Config, Sam2Model, build_sam2, to_model_coordinates
from unipixel_ros.synthetic import SceneConfig, generate_scene
from unipixel_ros.tracking import SamPrecision, StreamingTracker, TrackerConfig

MIN_IOU = 0.98
FRAMES = 60


def test_auto_precision_is_float32_on_the_cpu() -> None:
    assert SamPrecision.AUTO.resolve(torch.device("cpu")) is torch.float32
    assert SamPrecision.BFLOAT16.resolve(torch.device("cpu")) is torch.bfloat16


@pytest.fixture(scope="module")
def tabletop() -> list[np.ndarray]:
    config = SceneConfig(width=128, height=96, frame_count=FRAMES, camera_sway_deg=12.0)
    scene = generate_scene(config=config, seed=5)
    return [scene.render(i).rgb for i in range(FRAMES)]


def _tiny() -> Sam2Model:
    torch.manual_seed(0)
    model = build_sam2(Sam2Config.tiny())
    last = model.sam_mask_decoder.pred_obj_score_head.layers[-1]
    with torch.no_grad():
        last.bias.fill_(3.0)  # mostly present
    return model.eval()


def _nano() -> Sam2Model:
    return load_nano_predictor(device="cpu").model.sam2.eval()


def _masks(model: Sam2Model, frames: list[np.ndarray], precision: SamPrecision) -> torch.Tensor:
    height, width = frames[0].shape[:2]
    clicks = torch.tensor([[[40.0, 60.0]], [[90.0, 55.0]]])
    prompt = PointPrompt(
        coords=to_model_coordinates(
            clicks, frame_height=height, frame_width=width, image_size=model.image_size
        ),
        labels=torch.ones(2, 1, dtype=torch.int32),
    )
    tracker = StreamingTracker(model=model, config=TrackerConfig(sam_precision=precision))
    masks = []
    for t, frame in enumerate(frames):
        result = tracker.push_frame(frame)
        if t == 0:
            result = tracker.add_objects(prompt)
        assert result.low_res_logits.dtype is torch.float32
        masks.append(
            (result.low_res_logits[:, 0] > 0) & (result.object_score_logits > 0)[:, None, None]
        )
    return torch.stack(masks)  # (T, objects, S/4, S/4)


@pytest.mark.slow
@pytest.mark.parametrize("build", [_tiny, _nano], ids=["tiny", "nano"])
def test_bfloat16_tracks_like_float32(build, tabletop: list[np.ndarray]) -> None:
    model = build()
    full = _masks(model, tabletop, SamPrecision.FLOAT32)
    half = _masks(model, tabletop, SamPrecision.BFLOAT16)
    assert full.any(), "the comparison needs non-empty masks"
    inter = (full & half).sum(dim=(0, 2, 3)).float()
    union = (full | half).sum(dim=(0, 2, 3)).float()
    iou = inter / union.clamp(min=1)
    assert bool((iou >= MIN_IOU).all()), f"bf16 vs fp32 mask IoU per object: {iou.tolist()}"
