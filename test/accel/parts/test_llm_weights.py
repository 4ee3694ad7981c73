"""int8 weight-only LLM weights (torchao): what is quantized, the bytes, token agreement."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from unipixel_ros.accel.parts.llm_decode import StaticCacheDecoder
from unipixel_ros.accel.parts.llm_weights import (
    LlmWeights,
    llm_weight_bytes,
    quantizable_linears,
    quantize_llm_weights,
    quantized_llm_weights,
)
from unipixel_ros.bench.llm import LlmStageBench, reference_generator, synthetic_prompt
from unipixel_ros.errors import ConfigError
from unipixel_ros.model import QwenVideoSpec, UniPixelModel, generate_greedy, prepare_qwen_video

pytest.importorskip("torchao", reason="llm_weights int8 needs torchao (requirements.txt)")

PROMPTS = 16
NEW_TOKENS = 16
#: Floor of teacher-forced greedy agreement, int8 vs float32, on the tiny model (measured
#: 254 / 256 = 99.2 %, 2026-12-02; docs/benchmarks.md).
AGREEMENT_FLOOR = 0.95


@pytest.fixture(scope="module")
def int8_model(_untied_model: UniPixelModel) -> UniPixelModel:
    model = copy.deepcopy(_untied_model)
    assert quantize_llm_weights(model, "int8") == len(quantizable_linears(model))
    return model


def test_int8_quantizes_the_decoder_linears_and_nothing_else(
    _untied_model: UniPixelModel, int8_model: UniPixelModel
) -> None:
    assert quantized_llm_weights(_untied_model) == 0
    assert quantized_llm_weights(int8_model) == len(quantizable_linears(int8_model)) == 14
    plain = (torch.Tensor, torch.nn.Parameter)
    assert type(int8_model.lm_head.weight) in plain
    assert type(int8_model.model.language_model.embed_tokens.weight) in plain
    assert all(type(p) in plain for p in int8_model.model.visual.parameters())
    assert all(type(p) in plain for p in int8_model.seg_head.parameters())


def test_quantizing_twice_or_an_unknown_choice_is_refused(int8_model: UniPixelModel) -> None:
    with pytest.raises(ConfigError, match="already quantized"):
        quantize_llm_weights(int8_model, LlmWeights.INT8)
    with pytest.raises(ConfigError, match=r"llm_weights is 'int4'; expected one of \['bf16'"):
        quantize_llm_weights(int8_model, "int4")
    assert quantize_llm_weights(int8_model, "bf16") == 0


def test_weight_bytes_count_the_int8_storage_torchao_allocates(
    _untied_model: UniPixelModel, int8_model: UniPixelModel
) -> None:
    stored = 0
    for linear in quantizable_linears(int8_model).values():
        weight = linear.weight
        stored += sum(getattr(weight, name).nbytes for name in weight.tensor_data_names)
    int8 = llm_weight_bytes(_untied_model, LlmWeights.INT8)
    bf16 = llm_weight_bytes(_untied_model, LlmWeights.BF16)
    assert int8.decoder_linears == stored
    linear_params = sum(m.weight.numel() for m in quantizable_linears(_untied_model).values())
    assert bf16.decoder_linears == 2 * linear_params
    assert (int8.llm_other, int8.vision_tower, int8.heads_and_sam) == (
        bf16.llm_other,
        bf16.vision_tower,
        bf16.heads_and_sam,
    )
    assert int8.total < bf16.total


def _bench(model: UniPixelModel, seed: int) -> LlmStageBench:
    frames = np.random.default_rng(seed).integers(0, 256, (4, 48, 64, 3), dtype=np.uint8)
    video = prepare_qwen_video(
        frames, spec=QwenVideoSpec(min_pixels=3136, pixels_per_frame_budget=3136)
    )
    return LlmStageBench(
        model=model,
        reference=reference_generator(model),
        video=video,
        prompt=synthetic_prompt(model, video, seed=seed),
        device=torch.device("cpu"),
        decode_tokens=1,
        repeats=1,
        warmup=0,
    )


def _teacher_forced_argmax(model: UniPixelModel, bench: LlmStageBench, tokens: list[int]):
    """``model``'s greedy choice at each position of ``tokens`` after the bench's prompt."""
    length = int(bench.input_ids.shape[0])
    with torch.inference_mode():
        embeds = torch.cat([bench.prompt_embeds, model.embed_tokens(torch.tensor(tokens[:-1]))])
        later = torch.arange(length, length + len(tokens) - 1) + bench.positions.delta
        positions = torch.cat([bench.positions.position_ids, later.expand(3, -1)], dim=1)
        prenorm = model.language_step(embeds, positions, None).prenorm[length - 1 :]
        logits = model.lm_head(model.model.language_model.norm(prenorm))
    return logits.argmax(-1).tolist()


@pytest.mark.slow
def test_int8_weights_agree_with_float32_on_greedy_tokens_above_the_floor(
    _untied_model: UniPixelModel, int8_model: UniPixelModel
) -> None:
    agreeing = 0
    for seed in range(PROMPTS):
        bench = _bench(_untied_model, seed)
        reference = list(bench.generate(NEW_TOKENS).token_ids)
        assert _teacher_forced_argmax(_untied_model, bench, reference) == reference
        chosen = _teacher_forced_argmax(int8_model, bench, reference)
        agreeing += sum(a == b for a, b in zip(chosen, reference, strict=True))
    assert agreeing / (PROMPTS * NEW_TOKENS) >= AGREEMENT_FLOOR


def test_the_static_cache_decoder_runs_int8_weights_like_the_default_loop(
    int8_model: UniPixelModel,
) -> None:
    bench = _bench(int8_model, 0)
    decoder = StaticCacheDecoder(model=int8_model, max_length=200)
    with torch.inference_mode():
        expected = generate_greedy(
            int8_model,
            input_ids=bench.input_ids,
            inputs_embeds=bench.prompt_embeds,
            positions=bench.positions,
            max_new_tokens=8,
            stop_ids=frozenset(),
        )
    got = decoder.generate(
        input_ids=bench.input_ids,
        inputs_embeds=bench.prompt_embeds,
        positions=bench.positions,
        max_new_tokens=8,
        stop_ids=frozenset(),
    )
    assert got.token_ids == expected.token_ids
    torch.testing.assert_close(got.seg_states, expected.seg_states, atol=1e-5, rtol=1e-5)
