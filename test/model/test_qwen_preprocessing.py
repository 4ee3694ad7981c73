"""Our Qwen video preprocessing against transformers' own (PIL) image processor.

transformers' video processor needs torchvision, which this project does not install, so
multi-frame videos cannot be compared with it here; single images (our video path repeats an
image to two frames, exactly what the image processor does) and the resize rule can.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from PIL import Image
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
    Qwen2VLImageProcessorPil,
)
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
    smart_resize as hf_smart_resize,
)

from unipixel_ros.errors import BadInputError
from unipixel_ros.model import QwenVideoSpec, prepare_qwen_video, sample_frame_indices, smart_resize


@pytest.mark.parametrize("height", [28, 100, 480, 721, 1080])
@pytest.mark.parametrize("width", [30, 640, 1281])
@pytest.mark.parametrize("frames", [1, 2, 16])
def test_smart_resize_matches_transformers(height, width, frames):
    spec = QwenVideoSpec()
    bounds = {"min_pixels": spec.min_pixels, "max_pixels": spec.max_pixels(frames)}
    assert smart_resize(height, width, **bounds) == hf_smart_resize(
        height, width, factor=28, **bounds
    )


def test_single_image_patches_match_the_transformers_image_processor():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (50, 75, 3), dtype=np.uint8)
    ours = prepare_qwen_video(image[None])
    resized = np.asarray(
        Image.fromarray(image).resize(ours.resized_hw[::-1], Image.Resampling.BICUBIC)
    )
    theirs = Qwen2VLImageProcessorPil()(images=[resized], do_resize=False, return_tensors="pt")
    assert ours.grid_thw == tuple(theirs["image_grid_thw"][0].tolist())
    torch.testing.assert_close(
        ours.pixel_values, theirs["pixel_values"].float(), atol=1e-5, rtol=1e-5
    )


def test_odd_frame_count_is_padded_by_repeating_the_last_frame():
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 256, (3, 56, 56, 3), dtype=np.uint8)
    spec = QwenVideoSpec(min_pixels=56 * 56, pixels_per_frame_budget=56 * 56)
    video = prepare_qwen_video(frames, spec=spec)
    assert video.grid_thw == (2, 4, 4)
    padded = prepare_qwen_video(np.concatenate([frames, frames[-1:]]), spec=spec)
    torch.testing.assert_close(video.pixel_values, padded.pixel_values)
    assert video.num_tokens == 2 * 2 * 2


def test_uniform_sample_keeps_ends_and_caps_the_count():
    indices = sample_frame_indices(40, 16)
    assert len(indices) == 16 and indices[0] == 0 and indices[-1] == 39
    assert all(b > a for a, b in itertools.pairwise(indices))
    assert sample_frame_indices(7, 16) == list(range(7))


def test_pixel_budget_grows_as_fewer_frames_are_sampled():
    spec = QwenVideoSpec()
    assert spec.max_pixels(16) == 256 * 28 * 28
    assert spec.max_pixels(5) == 3 * 256 * 28 * 28
    assert spec.max_pixels(1) == 16 * 256 * 28 * 28


def test_float_frames_are_rejected():
    with pytest.raises(BadInputError, match="uint8"):
        prepare_qwen_video(np.zeros((2, 28, 28, 3), dtype=np.float32))
