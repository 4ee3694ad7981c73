from __future__ import annotations

import numpy as np
import pytest
import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.sam import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    masks_from_logits,
    preprocess_frames,
    to_model_coordinates,
    upscale_logits,
)


def test_frames_become_normalised_square_float_tensors():
    frames = np.full((3, 30, 50, 3), (255, 0, 128), dtype=np.uint8)
    out = preprocess_frames(frames, image_size=64)
    assert out.shape == (3, 3, 64, 64) and out.dtype == torch.float32
    expected = [
        (v / 255 - m) / s
        for v, m, s in zip((255, 0, 128), IMAGENET_MEAN, IMAGENET_STD, strict=True)
    ]
    torch.testing.assert_close(out[:, :, 10, 20], torch.tensor([expected] * 3), rtol=0, atol=1e-5)


def test_resize_is_antialiased_bilinear_without_keeping_the_aspect_ratio():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(1, 40, 90, 3), dtype=np.uint8)
    out = preprocess_frames(frames, image_size=32)
    pixels = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255
    resized = torch.nn.functional.interpolate(
        pixels, size=(32, 32), mode="bilinear", antialias=True, align_corners=False
    )
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    torch.testing.assert_close(out, (resized - mean) / std)


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        (np.zeros((2, 8, 8, 3), np.float32), "dtype uint8"),
        (np.zeros((8, 8, 3), np.uint8), r"shape \(T, H, W, 3\)"),
        (np.zeros((1, 8, 8, 4), np.uint8), r"shape \(T, H, W, 3\)"),
    ],
)
def test_frames_with_wrong_dtype_or_shape_are_rejected(frames: np.ndarray, message: str):
    with pytest.raises(BadInputError, match=message):
        preprocess_frames(frames, image_size=64)


def test_frame_pixels_scale_to_model_pixels_per_axis():
    xy = torch.tensor([[50.0, 20.0]])
    out = to_model_coordinates(xy, frame_height=40, frame_width=100, image_size=768)
    torch.testing.assert_close(out, torch.tensor([[384.0, 384.0]]))


def test_masks_are_empty_where_the_object_score_is_not_positive():
    logits = torch.full((2, 1, 4, 4), 5.0)
    scores = torch.tensor([[1.0], [0.0]])
    masks = masks_from_logits(logits, scores, (8, 6))
    assert masks.shape == (2, 8, 6) and masks.dtype == torch.bool
    assert masks[0].all() and not masks[1].any()


def test_logits_upscale_bilinearly_to_the_frame_size():
    logits = torch.tensor([[[-1.0, 1.0]]])
    out = upscale_logits(logits, (1, 4))
    torch.testing.assert_close(out, torch.tensor([[[-1.0, -0.5, 0.5, 1.0]]]))
    with pytest.raises(BadInputError, match=r"shape \(N, 1, h, w\) or \(N, h, w\)"):
        upscale_logits(torch.zeros(4, 4), (8, 8))
