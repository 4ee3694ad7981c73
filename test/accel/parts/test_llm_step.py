"""The static-cache LLM step exported with torch.export matches the eager step (CPU, fp32)."""

from __future__ import annotations

import pytest
import torch

from unipixel_ros.accel.parts.llm_decode import StaticCacheDecoder, exported_steps
from unipixel_ros.accel.parts.llm_step import (
    KvCacheLayout,
    LanguageStepModule,
    export_decode_step,
    export_prefill,
)
from unipixel_ros.bench.llm import LlmStageBench
from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.model import UniPixelModel

MAX_LENGTH = 200
TOLERANCE = {"atol": 1e-5, "rtol": 1e-5}


@pytest.fixture(scope="module")
def module(_untied_model: UniPixelModel) -> LanguageStepModule:
    return LanguageStepModule(
        model=_untied_model, layout=KvCacheLayout.of(_untied_model, MAX_LENGTH)
    ).eval()


@pytest.fixture(scope="module")
def prefill_program(module: LanguageStepModule) -> torch.nn.Module:
    return export_prefill(module, torch.device("cpu")).module()


def _prefill(step, query: LlmStageBench, length: int, kv: torch.Tensor):
    with torch.inference_mode():
        return step(
            query.prompt_embeds[:length],
            query.positions.position_ids[:, :length],
            torch.tensor(0),
            kv,
        )


@pytest.mark.parametrize("cut", [0, 7])
def test_exported_prefill_matches_the_eager_step_at_lengths_it_was_not_traced_with(
    module: LanguageStepModule,
    prefill_program: torch.nn.Module,
    query: LlmStageBench,
    cut: int,
) -> None:
    length = int(query.input_ids.shape[0]) - cut
    eager_kv = module.layout.allocate(torch.device("cpu"))
    exported_kv = module.layout.allocate(torch.device("cpu"))
    eager = _prefill(module, query, length, eager_kv)
    exported = _prefill(prefill_program, query, length, exported_kv)
    assert exported[1].shape == (length, module.norm.weight.shape[0])
    torch.testing.assert_close(exported[0], eager[0], **TOLERANCE)
    torch.testing.assert_close(exported[1], eager[1], **TOLERANCE)
    torch.testing.assert_close(exported_kv, eager_kv, **TOLERANCE)
    assert exported_kv[:, :, :, :, length:].abs().max() == 0  # nothing written past the prompt


def test_exported_decode_step_matches_the_eager_step_after_a_prefill(
    module: LanguageStepModule, query: LlmStageBench, _untied_model: UniPixelModel
) -> None:
    decode_program = export_decode_step(module, torch.device("cpu")).module()
    length = int(query.input_ids.shape[0])
    eager_kv = module.layout.allocate(torch.device("cpu"))
    _prefill(module, query, length, eager_kv)
    exported_kv = eager_kv.clone()
    with torch.inference_mode():
        embeds = _untied_model.embed_tokens(torch.tensor([5]))
        position = torch.full((3, 1), length + query.positions.delta)
        start = torch.tensor(length)
        eager = module(embeds, position, start, eager_kv)
        exported = decode_program(embeds, position, start, exported_kv)
    torch.testing.assert_close(exported[0], eager[0], **TOLERANCE)
    torch.testing.assert_close(exported[1], eager[1], **TOLERANCE)
    torch.testing.assert_close(exported_kv, eager_kv, **TOLERANCE)
    assert eager_kv[:, :, :, :, length].abs().max() > 0  # the step wrote its position


@pytest.mark.slow
def test_decoding_on_the_exported_programs_gives_the_eager_tokens_and_logits(
    _untied_model: UniPixelModel, query: LlmStageBench
) -> None:
    eager = StaticCacheDecoder(model=_untied_model, max_length=MAX_LENGTH)
    exported = StaticCacheDecoder(
        model=_untied_model, max_length=MAX_LENGTH, build_steps=exported_steps
    )
    request = {
        "input_ids": query.input_ids,
        "inputs_embeds": query.prompt_embeds,
        "positions": query.positions,
        "max_new_tokens": 8,
        "stop_ids": frozenset(),
    }
    expected = eager.generate(**request)
    got = exported.generate(**request)
    assert exported.description == "torch.export programs"
    assert got.token_ids == expected.token_ids == query.generate(8).token_ids
    torch.testing.assert_close(got.seg_states, expected.seg_states, **TOLERANCE)
    torch.testing.assert_close(exported.last_logits, eager.last_logits, **TOLERANCE)


def test_a_one_token_prompt_is_refused_by_the_static_cache_decoder(
    _untied_model: UniPixelModel, query: LlmStageBench
) -> None:
    decoder = StaticCacheDecoder(model=_untied_model, max_length=16)
    with pytest.raises(BadInputError, match="needs >= 2 prompt tokens, got 1"):
        decoder.generate(
            input_ids=query.input_ids[:1],
            inputs_embeds=query.prompt_embeds[:1],
            positions=query.positions,
            max_new_tokens=1,
            stop_ids=frozenset(),
        )


def test_a_cache_too_short_for_an_exported_prefill_is_refused(
    _untied_model: UniPixelModel,
) -> None:
    module = LanguageStepModule(model=_untied_model, layout=KvCacheLayout.of(_untied_model, 2))
    with pytest.raises(ConfigError, match="needs max_length >= 3, got 2"):
        export_prefill(module, torch.device("cpu"))
    with pytest.raises(ConfigError, match="max_length must be >= 2, got 1"):
        KvCacheLayout.of(_untied_model, 1)
