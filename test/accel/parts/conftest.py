"""A prepared LLM query on the tiny model, shared by the decode-loop tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unipixel_ros.bench.llm import LlmStageBench, reference_generator, synthetic_prompt
from unipixel_ros.model import QwenVideoSpec, UniPixelModel, prepare_qwen_video


@pytest.fixture(scope="module")
def query(_untied_model: UniPixelModel) -> LlmStageBench:
    """Four 48x64 frames and a synthetic prompt around their video tokens, embedded."""
    frames = np.random.default_rng(3).integers(0, 256, (4, 48, 64, 3), dtype=np.uint8)
    spec = QwenVideoSpec(min_pixels=3136, pixels_per_frame_budget=3136)
    video = prepare_qwen_video(frames, spec=spec)
    return LlmStageBench(
        model=_untied_model,
        reference=reference_generator(_untied_model),
        video=video,
        prompt=synthetic_prompt(_untied_model, video, seed=3),
        device=torch.device("cpu"),
        decode_tokens=1,
        repeats=1,
        warmup=0,
    )
