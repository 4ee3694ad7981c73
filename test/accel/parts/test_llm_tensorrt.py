"""The LLM's TensorRT path: engine keys and sidecars, the parity check, the visible fallback.

Building and running the engines needs torch-tensorrt and a GPU; that test skips, saying why,
where torch-tensorrt does not import (the development machine). Everything else runs here.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest
import torch

from unipixel_ros.accel.engines.cache import EngineCache
from unipixel_ros.accel.engines.key import DeviceIdentity, EngineKey, Precision
from unipixel_ros.accel.parts.llm_decode import StaticCacheDecoder
from unipixel_ros.accel.parts.llm_step import KvCacheLayout, LanguageStepModule
from unipixel_ros.accel.parts.llm_tensorrt import (
    LLM_DECODE_PART,
    TensorRTLanguageSteps,
    check_step_parity,
    import_torch_tensorrt,
    llm_engine_key,
    llm_program,
    precision_of,
    probe_inputs,
)
from unipixel_ros.bench.llm import LlmStageBench
from unipixel_ros.errors import ConfigError, EngineError
from unipixel_ros.model import UniPixelModel

CPU = torch.device("cpu")
ORIN = DeviceIdentity(gpu_name="Orin", compute_capability=(8, 7))


def _decode_key(model: UniPixelModel, max_length: int, directory: Path, **fields) -> EngineKey:
    """Export the decode step of ``model`` with a ``max_length`` cache; key its ``.pt2``."""
    module = LanguageStepModule(model=model, layout=KvCacheLayout.of(model, max_length))
    program = llm_program(module, prefill=False, device=CPU, opt_prompt_length=16)
    path = program.program_path(EngineCache(directory=directory))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file():
        torch.export.save(program.export(CPU), path)
    settings = {"precision": Precision.FP32, "device": ORIN, **fields}
    return llm_engine_key(
        program,
        path,
        tensorrt_version="10.13.0",
        torch_tensorrt_version="2.13.0",
        **settings,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def programs(tmp_path_factory) -> Path:
    """Where the key tests keep their exported programs."""
    return tmp_path_factory.mktemp("llm-programs")


@pytest.fixture(scope="module")
def keys(_untied_model: UniPixelModel, programs: Path) -> dict[str, EngineKey]:
    directory = programs
    changed = copy.deepcopy(_untied_model)
    with torch.no_grad():
        changed.model.language_model.layers[0].mlp.up_proj.weight[0, 0] += 1.0
    return {
        "base": _decode_key(_untied_model, 64, directory),
        "longer_cache": _decode_key(_untied_model, 96, directory),
        "bf16": _decode_key(_untied_model, 64, directory, precision=Precision.BF16),
        "other_weights": _decode_key(changed, 64, directory),
    }


def test_llm_engine_keys_differ_by_cache_shape_precision_and_weights(
    keys: dict[str, EngineKey],
) -> None:
    base = keys["base"]
    assert base.part == LLM_DECODE_PART
    assert base.tensorrt_version == "10.13.0+torch_tensorrt-2.13.0"
    assert "shape_profile" in base.mismatched_fields(keys["longer_cache"])
    assert set(base.mismatched_fields(keys["bf16"])) == {"precision"}
    assert set(base.mismatched_fields(keys["other_weights"])) == {"model_sha256"}
    assert base == _same_key_again(base)
    assert len({key.digest for key in keys.values()}) == len(keys)


def _same_key_again(key: EngineKey) -> EngineKey:
    return EngineKey.from_json(json.loads(json.dumps(key.to_json())))


def test_an_llm_engine_is_cached_with_a_sidecar_and_rebuilt_for_another_cache_shape(
    keys: dict[str, EngineKey], programs: Path, tmp_path: Path
) -> None:
    cache = EngineCache(directory=tmp_path)
    # The cache stores and checks opaque bytes; a real serialised program stands in for the
    # torch-tensorrt output, which cannot be produced on this machine.
    engine = next(programs.rglob(f"{LLM_DECODE_PART}-*.pt2")).read_bytes()
    builds: list[str] = []

    def build() -> bytes:
        builds.append("built")
        return engine

    assert cache.get_or_build(keys["base"], build) == engine
    assert cache.get_or_build(keys["base"], build) == engine
    assert builds == ["built"]
    sidecar = json.loads(cache.files_for(keys["base"]).sidecar.read_text())
    assert sidecar["key"] == keys["base"].to_json()
    with pytest.raises(EngineError, match=r"mismatched field.*shape_profile"):
        cache.load(keys["longer_cache"])
    cache.get_or_build(keys["longer_cache"], build)
    assert builds == ["built", "built"]


def test_the_parity_check_accepts_the_exported_step_and_refuses_a_dropped_cache_write(
    _untied_model: UniPixelModel,
) -> None:
    module = LanguageStepModule(model=_untied_model, layout=KvCacheLayout.of(_untied_model, 32))
    program = llm_program(module, prefill=True, device=CPU, opt_prompt_length=12)
    inputs = probe_inputs(program.part.example_inputs)
    exported = program.export(CPU).module()
    check_step_parity(exported, module, inputs, what="exported prefill", rtol=1e-4)

    def without_cache_write(embeds, positions, start, kv):
        return module(embeds, positions, start, kv.clone())

    with pytest.raises(EngineError, match="kv_cache off by"):
        check_step_parity(without_cache_write, module, inputs, what="prefill", rtol=0.1)


def test_llm_engine_precision_follows_the_llm_dtype() -> None:
    assert precision_of(torch.bfloat16) is Precision.BF16
    assert precision_of(torch.float16) is Precision.FP16
    with pytest.raises(ConfigError, match=r"no TensorRT LLM engine for dtype torch\.float64"):
        precision_of(torch.float64)


@pytest.mark.skipif(
    importlib.util.find_spec("torch_tensorrt") is not None, reason="torch_tensorrt is installed"
)
def test_without_torch_tensorrt_the_tensorrt_steps_refuse_with_the_reason(
    _untied_model: UniPixelModel, tmp_path: Path
) -> None:
    with pytest.raises(EngineError, match="torch_tensorrt is not importable"):
        import_torch_tensorrt()
    with pytest.raises(EngineError, match="torch_tensorrt is not importable"):
        StaticCacheDecoder(
            model=_untied_model,
            max_length=32,
            build_steps=TensorRTLanguageSteps(cache=EngineCache(directory=tmp_path)),
        )


def test_tensorrt_llm_engines_decode_like_eager_and_load_from_the_cache(
    _untied_model: UniPixelModel, query: LlmStageBench, tmp_path: Path
) -> None:
    pytest.importorskip(
        "torch_tensorrt",
        reason="torch-tensorrt is not installed (it needs CUDA; none on the development "
        "machine): the LLM's TensorRT path is unverified here and the node falls back to compile",
    )
    if not torch.cuda.is_available():
        pytest.skip("TensorRT LLM engines need a CUDA device")
    model = copy.deepcopy(_untied_model).cuda()
    request = {
        "input_ids": query.input_ids.cuda(),
        "inputs_embeds": query.prompt_embeds.cuda(),
        "positions": query.positions,
        "max_new_tokens": 8,
        "stop_ids": frozenset(),
    }
    expected = StaticCacheDecoder(model=model, max_length=128).generate(**request)
    cache = EngineCache(directory=tmp_path)
    built = StaticCacheDecoder(
        model=model, max_length=128, build_steps=TensorRTLanguageSteps(cache=cache)
    )
    assert built.generate(**request).token_ids == expected.token_ids
    loaded = StaticCacheDecoder(
        model=model,
        max_length=128,
        build_steps=TensorRTLanguageSteps(cache=cache, allow_build=False),
    )
    assert loaded.generate(**request).token_ids == expected.token_ids
