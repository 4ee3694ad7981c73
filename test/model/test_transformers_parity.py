"""Our vision + language path against transformers' own Qwen2.5-VL model with the same weights."""

from __future__ import annotations

import numpy as np
import torch
from transformers import Qwen2_5_VLForConditionalGeneration

from unipixel_ros.model import (
    chatml_prompt,
    mrope_positions,
    prepare_qwen_video,
)
from unipixel_ros.model.qwen_preprocessing import QwenVideoSpec


def test_prefill_and_cached_decoding_match_transformers_forward(_untied_model, tokenizer):
    model = _untied_model
    reference = Qwen2_5_VLForConditionalGeneration(model.config).eval()
    missing, unexpected = reference.load_state_dict(
        {k: v for k, v in model.state_dict().items() if k.startswith(("model.", "lm_head."))},
        strict=False,
    )
    assert missing == [] and unexpected == []

    frames = np.random.default_rng(2).integers(0, 256, (2, 84, 112, 3), dtype=np.uint8)
    spec = QwenVideoSpec(min_pixels=84 * 112, pixels_per_frame_budget=84 * 112)
    video = prepare_qwen_video(frames, spec=spec)
    prompt = chatml_prompt("What is in the video?", num_video_tokens=video.num_tokens)
    ids = torch.tensor(tokenizer.encode(prompt))
    video_id = model.config.video_token_id
    with torch.inference_mode():
        embeds = model.embed_tokens(ids).clone()
        embeds[ids == video_id] = model.encode_video(video.pixel_values, video.grid_thw).embeds
        positions = mrope_positions(
            ids,
            video_token_id=video_id,
            video_grid_thw=[video.grid_thw],
            spatial_merge_size=2,
            tokens_per_second=2,
        )
        continuation = tokenizer.encode("red cup table")
        steps = [model.language_step(embeds, positions.position_ids, None)]
        for offset, token in enumerate(continuation):
            position = torch.full((3, 1), len(ids) + offset + positions.delta)
            token_embeds = model.embed_tokens(torch.tensor([token]))
            steps.append(model.language_step(token_embeds, position, steps[-1].cache))
        full = torch.cat([ids, torch.tensor(continuation)])
        logits = reference(
            input_ids=full[None],
            pixel_values_videos=video.pixel_values,
            video_grid_thw=torch.tensor([video.grid_thw]),
            mm_token_type_ids=(full == video_id).int()[None] * 2,
            second_per_grid_ts=torch.tensor([1.0]),
        ).logits[0]
    ours = torch.stack([step.next_logits for step in steps])
    torch.testing.assert_close(ours, logits[len(ids) - 1 :], atol=1e-4, rtol=1e-4)
