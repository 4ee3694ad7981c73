"""LLM stage bench: synthetic prompts and the transformers reference sharing our weights."""

from __future__ import annotations

import numpy as np
import torch

from unipixel_ros.bench.llm import LlmStageBench, reference_generator, synthetic_prompt
from unipixel_ros.model import QwenVideoInput, QwenVideoSpec, UniPixelModel, prepare_qwen_video

CPU = torch.device("cpu")


def _video() -> QwenVideoInput:
    frames = np.random.default_rng(0).integers(0, 256, (4, 48, 64, 3), dtype=np.uint8)
    return prepare_qwen_video(
        frames, spec=QwenVideoSpec(min_pixels=3136, pixels_per_frame_budget=3136)
    )


def test_synthetic_prompt_holds_one_video_block_and_ends_with_seg(
    _untied_model: UniPixelModel,
) -> None:
    config = _untied_model.config
    video = _video()
    prompt = synthetic_prompt(_untied_model, video, text_tokens=10)
    ids = prompt.input_ids.tolist()
    assert ids.count(config.video_token_id) == video.num_tokens == prompt.num_video_tokens
    assert ids.count(config.vision_start_token_id) == ids.count(config.vision_end_token_id) == 1
    assert ids[-1] == config.seg_token_id
    assert len(ids) == 10 + video.num_tokens + 3
    assert max(ids[:5]) < config.get_text_config().bos_token_id


def test_reference_generator_shares_the_qwen_modules(_untied_model: UniPixelModel) -> None:
    reference = reference_generator(_untied_model)
    assert reference.lm_head.weight is _untied_model.lm_head.weight
    assert reference.model.visual is _untied_model.model.visual


def test_both_paths_generate_exactly_the_requested_tokens(_untied_model: UniPixelModel) -> None:
    video = _video()
    bench = LlmStageBench(
        model=_untied_model,
        reference=reference_generator(_untied_model),
        video=video,
        prompt=synthetic_prompt(_untied_model, video),
        device=CPU,
        decode_tokens=3,
        repeats=1,
        warmup=0,
    )
    with torch.inference_mode():
        ours = bench.generate(5)
        theirs = bench.reference_generate(5)
    seg_rows = bench.generate(0).seg_states.shape[0]
    assert len(ours.token_ids) == 5
    assert theirs.shape[1] - synthetic_prompt(_untied_model, video).input_ids.shape[0] == 5
    assert seg_rows == 1, "the <|seg|> ending the prompt gives one SAM prompt state"
