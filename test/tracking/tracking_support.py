"""Helpers for tracking tests: prompts, presence-head control, the package's predictor state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from sam2.sam2_video_predictor import SAM2VideoPredictor

from unipixel_ros.sam import PointPrompt, Sam2Model

HEIGHT, WIDTH = 48, 80


def set_object_score(model: Sam2Model, logit: float, *, keep_weights: bool = False) -> None:
    """Shift (or fix) the presence head's output: random heads mostly say "absent"."""
    last = model.sam_mask_decoder.pred_obj_score_head.layers[-1]
    with torch.no_grad():
        if not keep_weights:
            last.weight.zero_()
        last.bias.fill_(logit)


def point_prompt(*points_xy: tuple[float, float]) -> PointPrompt:
    """One positive click per object, given in frame pixels (HEIGHT x WIDTH)."""
    scale = torch.tensor([64 / WIDTH, 64 / HEIGHT])
    coords = torch.tensor(points_xy, dtype=torch.float32)[:, None] * scale
    return PointPrompt(coords=coords, labels=torch.ones(len(points_xy), 1, dtype=torch.int32))


def package_state(predictor: SAM2VideoPredictor, images: torch.Tensor, frames_dir: Path) -> dict:
    """The package's ``inference_state`` over exactly ``images`` (it only reads JPEG folders,
    so placeholder JPEGs give it the video size and our tensor replaces the frames)."""
    frames_dir.mkdir(parents=True, exist_ok=True)
    for t in range(images.shape[0]):
        blank = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        Image.fromarray(blank).save(frames_dir / f"{t:05d}.jpg")
    state = predictor.init_state(str(frames_dir))
    state["images"] = images
    state["cached_features"] = {}
    return state
