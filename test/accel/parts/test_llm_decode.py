"""Static-cache decoding: eager matches our DynamicCache loop; compiled matches eager."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.parts.llm_decode import StaticCacheDecoder, resolve_llm_decoder
from unipixel_ros.bench.llm import LlmStageBench
from unipixel_ros.errors import BadInputError, CancelledError, ConfigError
from unipixel_ros.model import SEG_TOKEN, UniPixelModel

NEW_TOKENS = 6


def _generate(decoder: StaticCacheDecoder, query: LlmStageBench, new_tokens: int = NEW_TOKENS):
    return decoder.generate(
        input_ids=query.input_ids,
        inputs_embeds=query.prompt_embeds,
        positions=query.positions,
        max_new_tokens=new_tokens,
        stop_ids=frozenset(),
    )


def _dynamic_cache_logits(model: UniPixelModel, query: LlmStageBench, tokens) -> torch.Tensor:
    """Logits after the last token, decoding ``tokens`` with our DynamicCache steps."""
    positions = query.positions
    with torch.inference_mode():
        step = model.language_step(query.prompt_embeds, positions.position_ids, None)
        length = query.input_ids.shape[0]
        for token in tokens[:-1]:
            position = torch.full((3, 1), length + positions.delta)
            step = model.language_step(
                model.embed_tokens(torch.tensor([token])), position, step.cache
            )
            length += 1
    return step.next_logits


def test_static_cache_decoding_matches_the_dynamic_cache_loop(
    _untied_model: UniPixelModel, query: LlmStageBench
) -> None:
    decoder = StaticCacheDecoder(model=_untied_model, max_length=200, compile_step=False)
    ours = _generate(decoder, query)
    reference = query.generate(NEW_TOKENS)
    assert ours.token_ids == reference.token_ids
    torch.testing.assert_close(ours.seg_states, reference.seg_states, atol=1e-5, rtol=1e-5)
    expected = _dynamic_cache_logits(_untied_model, query, ours.token_ids)
    torch.testing.assert_close(decoder.last_logits, expected, atol=1e-5, rtol=1e-5)


def test_static_cache_decoder_is_reusable_across_generations(
    _untied_model: UniPixelModel, query: LlmStageBench
) -> None:
    decoder = StaticCacheDecoder(model=_untied_model, max_length=200, compile_step=False)
    first = _generate(decoder, query)
    first_logits = decoder.last_logits.clone()
    second = _generate(decoder, query)
    assert first.token_ids == second.token_ids
    torch.testing.assert_close(decoder.last_logits, first_logits)


def test_static_cache_decoder_refuses_generations_longer_than_its_cache(
    _untied_model: UniPixelModel, query: LlmStageBench
) -> None:
    length = query.input_ids.shape[0]
    decoder = StaticCacheDecoder(model=_untied_model, max_length=length + 2, compile_step=False)
    with pytest.raises(BadInputError, match="do not fit the static cache"):
        _generate(decoder, query, new_tokens=3)


@pytest.mark.slow
def test_compiled_decode_step_matches_eager_decoding(
    _untied_model: UniPixelModel, query: LlmStageBench
) -> None:
    eager = StaticCacheDecoder(model=_untied_model, max_length=200, compile_step=False)
    compiled = StaticCacheDecoder(model=_untied_model, max_length=200, compile_step=True)
    expected = _generate(eager, query)
    for _ in range(2):  # the second run replays the compiled step without recompiling
        got = _generate(compiled, query)
        assert got.token_ids == expected.token_ids
        torch.testing.assert_close(got.seg_states, expected.seg_states, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(compiled.last_logits, eager.last_logits, atol=1e-5, rtol=1e-5)


def test_eager_backend_keeps_the_dynamic_cache_loop(_untied_model: UniPixelModel) -> None:
    choice = resolve_llm_decoder("eager", model=_untied_model, max_length=64)
    assert choice.decoder is None
    assert choice.backend is BackendName.EAGER


def test_tensorrt_request_falls_back_to_the_compiled_decoder_with_its_reason(
    _untied_model: UniPixelModel,
) -> None:
    choice = resolve_llm_decoder("tensorrt", model=_untied_model, max_length=64)
    assert choice.backend is BackendName.COMPILE
    assert isinstance(choice.decoder, StaticCacheDecoder)
    assert "requested tensorrt" in choice.reason
    assert "tensorrt: torch_tensorrt is not importable" in choice.reason


def test_unknown_llm_backend_is_refused(_untied_model: UniPixelModel) -> None:
    with pytest.raises(ConfigError, match="unknown backend 'fast'"):
        resolve_llm_decoder("fast", model=_untied_model, max_length=64)


def _red_square_clip() -> np.ndarray:
    frames = np.full((4, 60, 90, 3), 30, dtype=np.uint8)
    frames[:, 20:40, 20:40] = (220, 40, 40)
    return frames


def test_a_predictor_using_the_static_cache_decoder_answers_as_the_default_loop(
    steered_predictor,
) -> None:
    predictor = steered_predictor(f"[0] {SEG_TOKEN}")
    clip = _red_square_clip()
    default = predictor.segment(clip, "Please segment the red square.")
    predictor.use_decoder(
        StaticCacheDecoder(model=predictor.model, max_length=2048, compile_step=False)
    )
    streamed: list[str] = []
    decoded = predictor.segment(
        clip, "Please segment the red square.", on_text=lambda t: streamed.append(t) or True
    )
    assert decoded.text == default.text == f"[0] {SEG_TOKEN}"
    assert streamed[-1] == decoded.text
    for ours, theirs in zip(decoded.tracks, default.tracks, strict=True):
        assert all(np.array_equal(a, b) for a, b in zip(ours.masks, theirs.masks, strict=True))
    with pytest.raises(CancelledError):
        predictor.segment(clip, "Please segment the red square.", on_text=lambda _t: False)


def test_a_prompt_too_long_for_the_static_cache_falls_back_to_the_default_loop(
    steered_predictor,
) -> None:
    predictor = steered_predictor(f"[0] {SEG_TOKEN}")
    predictor.use_decoder(
        StaticCacheDecoder(model=predictor.model, max_length=8, compile_step=False)
    )
    assert predictor.segment(_red_square_clip(), "Segment it.").text == f"[0] {SEG_TOKEN}"
