"""The LLM on TensorRT: the exported prefill and decode step compiled by torch-tensorrt, kept in
the same keyed engine cache (and sidecars) as the SAM 2.1 engines.

Per program (``llm_prefill``, ``llm_decode_step``):

1. ``torch.export`` of ``LanguageStepModule`` (``llm_step``), saved once under
   ``<cache>/exported/<part>-<weights digest>.pt2``; its SHA-256 is the key's model hash;
2. ``torch_tensorrt.dynamo.compile`` of that program, with the prompt length dynamic in the
   prefill's profile and every shape static in the step's;
3. ``torch_tensorrt.save(..., output_format="exported_program")``: those bytes are the cache
   entry, with a sidecar holding the ``EngineKey`` (part, program hash, TensorRT and
   torch-tensorrt versions, GPU, precision = the LLM dtype, shape profile);
4. before use, the loaded programs run the example prompt and one step next to the eager
   module; outputs or cache writes that disagree refuse the engines (``EngineError``), and the
   decoder falls back to ``compile``.

torch-tensorrt 2.13's dynamo compiler is strongly typed (no ``enabled_precisions``): the engine
computes in the program's dtypes, so a bf16 LLM gives a bf16 engine; fp16 adds
``use_fp32_acc``. The KV cache is an input the programs update in place (a user-input mutation
in the exported graph): the engine returns the written cache and torch copies it back, a copy
of the whole cache per call that an aliased-I/O cache update would avoid.

NOT VERIFIED HERE: torch-tensorrt and TensorRT do not install on the development machine (no
GPU, the PyPI packages need CUDA), so steps 2-4 have never run. What is tested on CPU: the
exported programs against eager (``test_llm_step``), the keys and sidecars of LLM engines, the
parity check, and the visible fallback when torch-tensorrt does not import.
"""

from __future__ import annotations

import io
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from unipixel_ros.accel.engines.builder import TrtBuildSettings, engine_key_for
from unipixel_ros.accel.engines.cache import EngineCache
from unipixel_ros.accel.engines.key import (
    DeviceIdentity,
    EngineKey,
    Precision,
    ShapeProfile,
    TensorShapeRange,
)
from unipixel_ros.accel.engines.runtime import import_tensorrt
from unipixel_ros.accel.parts.llm_step import (
    MIN_PREFILL_LENGTH,
    LanguageStepModule,
    LanguageSteps,
    StepRunner,
    export_decode_step,
    export_prefill,
    step_inputs,
)
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.errors import ConfigError, EngineError

__all__ = [
    "LLM_DECODE_PART",
    "LLM_PREFILL_PART",
    "STEP_INPUT_NAMES",
    "LlmProgram",
    "TensorRTLanguageSteps",
    "check_step_parity",
    "import_torch_tensorrt",
    "llm_engine_key",
    "llm_program",
    "precision_of",
    "probe_inputs",
]

_LOG = logging.getLogger(__name__)

LLM_PREFILL_PART = "llm_prefill"
LLM_DECODE_PART = "llm_decode_step"
STEP_INPUT_NAMES = ("inputs_embeds", "position_ids", "cache_start", "kv_cache")
_PRECISIONS = {torch.float32: Precision.FP32, torch.float16: Precision.FP16}
_PRECISIONS[torch.bfloat16] = Precision.BF16


def import_torch_tensorrt() -> ModuleType:
    """Import ``torch_tensorrt`` lazily (and check ``tensorrt`` is 10 or newer).

    Raises:
        EngineError: either is not importable.
    """
    try:
        import torch_tensorrt
    except ImportError as err:
        raise EngineError(f"torch_tensorrt is not importable: {err}") from err
    import_tensorrt()
    return torch_tensorrt


def precision_of(dtype: torch.dtype) -> Precision:
    """The engine precision of an LLM in ``dtype`` (strongly typed: they are the same).

    Raises:
        ConfigError: a dtype TensorRT engines are not built for here.
    """
    if dtype not in _PRECISIONS:
        raise ConfigError(f"no TensorRT LLM engine for dtype {dtype}; use bf16, fp16 or fp32")
    return _PRECISIONS[dtype]


@dataclass(frozen=True)
class LlmProgram:
    """One LLM program as a part: its contract and shape profile (names the cache entries).

    Args:
        part: the part (``part.module`` is the shared ``LanguageStepModule``).
        prefill: the dynamic-length prefill, else the one-token step.
    """

    part: AcceleratedPart
    prefill: bool

    def program_path(self, cache: EngineCache) -> Path:
        """Where its ``torch.export`` program with the current weights is kept."""
        digest = self.part.weights_digest()[:16]
        return cache.directory / "exported" / f"{self.part.name}-{digest}.pt2"

    def export(self, device: torch.device) -> torch.export.ExportedProgram:
        module = self.part.module
        if not isinstance(module, LanguageStepModule):
            raise ConfigError(f"{self.part.name} wraps {type(module).__name__}")
        return (
            export_prefill(module, device) if self.prefill else export_decode_step(module, device)
        )


def llm_program(
    module: LanguageStepModule, *, prefill: bool, device: torch.device, opt_prompt_length: int
) -> LlmProgram:
    """The prefill or decode program of ``module`` as a part with its TensorRT profile.

    Args:
        module: the step, with its cache layout.
        prefill: the prefill (prompt length dynamic in ``[2, max_length]``), else the step.
        device: where the example inputs live.
        opt_prompt_length: prompt length the prefill's kernels are tuned for (clipped).
    """
    layout = module.layout
    dim = int(module.norm.weight.shape[0])
    static = [
        TensorShapeRange.static("cache_start", ()),
        TensorShapeRange.static("kv_cache", layout.shape),
    ]
    if prefill:
        low, high = MIN_PREFILL_LENGTH, layout.max_length
        opt = min(max(opt_prompt_length, low), high)
        ranges = [
            TensorShapeRange(name="inputs_embeds", min=(low, dim), opt=(opt, dim), max=(high, dim)),
            TensorShapeRange(name="position_ids", min=(3, low), opt=(3, opt), max=(3, high)),
        ]
        axes = {"inputs_embeds": {0: "prompt"}, "position_ids": {1: "prompt"}}
    else:
        ranges = [
            TensorShapeRange.static("inputs_embeds", (1, dim)),
            TensorShapeRange.static("position_ids", (3, 1)),
        ]
        axes = {}
    length = ranges[0].opt[0]
    part = AcceleratedPart(
        name=LLM_PREFILL_PART if prefill else LLM_DECODE_PART,
        module=module,
        input_names=STEP_INPUT_NAMES,
        output_names=("logits", "prenorm"),
        example_inputs=step_inputs(module, length, device),
        dynamic_axes=axes,
        shape_profile=ShapeProfile(tuple(ranges + static)),
        cuda_graphs=not prefill,
    )
    return LlmProgram(part=part, prefill=prefill)


def llm_engine_key(
    program: LlmProgram,
    program_path: Path,
    *,
    precision: Precision,
    device: DeviceIdentity,
    tensorrt_version: str,
    torch_tensorrt_version: str,
) -> EngineKey:
    """The cache key of ``program``'s engine (hashes the saved ``.pt2``; pure Python).

    Both versions go into the key's ``tensorrt_version``: an engine serialised by one
    torch-tensorrt is not loaded by another.
    """
    return engine_key_for(
        program_path,
        part=program.part.name,
        precision=precision,
        shape_profile=program.part.shape_profile,
        device=device,
        tensorrt_version=f"{tensorrt_version}+torch_tensorrt-{torch_tensorrt_version}",
    )


def probe_inputs(example: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """``example`` with seeded embedding-scale noise as embeddings (zeros would hide most
    of the network: RMSNorm of zero is zero)."""
    embeds, positions, start, kv = example
    generator = torch.Generator().manual_seed(0)
    noise = 0.02 * torch.randn(embeds.shape, generator=generator)
    return noise.to(embeds), positions, start, kv


def check_step_parity(
    runner: StepRunner,
    module: LanguageStepModule,
    inputs: tuple[torch.Tensor, ...],
    *,
    what: str,
    rtol: float,
) -> None:
    """Run ``runner`` and the eager ``module`` on copies of ``inputs``; refuse disagreement.

    Args:
        runner: a compiled or loaded program with ``LanguageStepModule``'s contract.
        module: the eager reference.
        inputs: (embeds, positions, cache start, cache) as the step takes them.
        what: names the program in the error.
        rtol: largest difference allowed in logits, states and the written cache, relative to
            the largest eager value of each.

    Raises:
        EngineError: an output or the cache (e.g. a write that did not happen) differs by
            more than ``rtol``.
    """
    embeds, positions, start, kv = inputs
    ours_kv, eager_kv = kv.clone(), kv.clone()
    with torch.inference_mode():
        ours = runner(embeds, positions, start, ours_kv)
        eager = module(embeds, positions, start, eager_kv)
    pairs = {
        "logits": (ours[0], eager[0]),
        "prenorm": (ours[1], eager[1]),
        "kv_cache": (ours_kv, eager_kv),
    }
    bad = {}
    for name, (got, want) in pairs.items():
        if got.shape != want.shape:
            raise EngineError(
                f"{what}: {name} has shape {tuple(got.shape)}, eager {tuple(want.shape)}"
            )
        scale = want.float().abs().max().item()
        error = (got.float() - want.float()).abs().max().item()
        if not error <= rtol * scale:
            bad[name] = (error, scale)
    if bad:
        raise EngineError(
            f"{what} disagrees with eager beyond rtol={rtol}: "
            + ", ".join(f"{name} off by {e:.3g} (scale {s:.3g})" for name, (e, s) in bad.items())
        )


class TensorRTLanguageSteps:
    """Builds (or loads from the cache) the TensorRT prefill and step: a ``StepBuilder``.

    Not verified here (needs torch-tensorrt, TensorRT and a GPU).

    Args:
        cache: the engine cache shared with the SAM 2.1 engines.
        settings: workspace and optimisation level.
        allow_build: build missing or stale engines (minutes); when ``False`` they raise.
        force_rebuild: rebuild even when valid engines are cached.
        opt_prompt_length: prompt length the prefill engine is tuned for.
        parity_rtol: ``check_step_parity`` tolerance, relative (bf16 engines round
            differently from bf16 eager; a cache write that did not happen is off by 100 %).
    """

    def __init__(
        self,
        *,
        cache: EngineCache,
        settings: TrtBuildSettings | None = None,
        allow_build: bool = True,
        force_rebuild: bool = False,
        opt_prompt_length: int = 2048,
        parity_rtol: float = 0.1,
    ) -> None:
        self._cache = cache
        self._settings = settings or TrtBuildSettings()
        self._allow_build = allow_build
        self._force_rebuild = force_rebuild
        self._opt_prompt_length = opt_prompt_length
        self._parity_rtol = parity_rtol

    def __call__(self, module: LanguageStepModule, device: torch.device) -> LanguageSteps:
        """The loaded, parity-checked programs.

        Raises:
            EngineError: torch-tensorrt missing, no CUDA device, export, build or load
                failed, or the engines disagree with eager.
        """
        torch_trt = import_torch_tensorrt()
        if device.type != "cuda":
            raise EngineError(f"TensorRT LLM engines need a CUDA device, the LLM is on {device}")
        trt = import_tensorrt()
        precision = precision_of(module.layout.dtype)
        runners = []
        for prefill in (True, False):
            program = llm_program(
                module, prefill=prefill, device=device, opt_prompt_length=self._opt_prompt_length
            )
            runner = self._runner(program, torch_trt, trt, precision, device)
            check_step_parity(
                runner,
                module,
                probe_inputs(program.part.example_inputs),
                what=f"TensorRT {program.part.name}",
                rtol=self._parity_rtol,
            )
            runners.append(runner)
        versions = f"TensorRT {trt.__version__}, torch-tensorrt {torch_trt.__version__}"
        return LanguageSteps(
            runners[0], runners[1], cuda_graphs=False, description=f"{versions} {precision.value}"
        )

    def _runner(
        self,
        program: LlmProgram,
        torch_trt: ModuleType,
        trt: ModuleType,
        precision: Precision,
        device: torch.device,
    ) -> StepRunner:
        path = program.program_path(self._cache)
        if not path.is_file():
            _LOG.info("exporting %s to %s", program.part.name, path)
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.export.save(program.export(device), path)
        key = llm_engine_key(
            program,
            path,
            precision=precision,
            device=DeviceIdentity.current(device.index or 0),
            tensorrt_version=str(trt.__version__),
            torch_tensorrt_version=str(torch_trt.__version__),
        )
        engine = self._cache.get_or_build(
            key,
            lambda: _build(program, path, torch_trt, precision, self._settings, device),
            force_rebuild=self._force_rebuild,
            allow_build=self._allow_build,
            builder_settings=self._settings.to_json(),
        )
        try:
            loaded: StepRunner = torch.export.load(io.BytesIO(engine)).module()
        except Exception as err:  # deserialisation raises many types; keep its message
            raise EngineError(f"cannot load the {program.part.name} engine: {err}") from err
        return loaded


def _build(
    program: LlmProgram,
    path: Path,
    torch_trt: ModuleType,
    precision: Precision,
    settings: TrtBuildSettings,
    device: torch.device,
) -> bytes:
    """torch-tensorrt compile of the saved program; its serialised exported program."""
    part = program.part
    inputs: list[Any] = list(part.example_inputs)
    dynamic_shapes = None
    if program.prefill:
        embeds, positions = part.shape_profile["inputs_embeds"], part.shape_profile["position_ids"]
        for index, shape_range in ((0, embeds), (1, positions)):
            inputs[index] = torch_trt.Input(
                min_shape=shape_range.min,
                opt_shape=shape_range.opt,
                max_shape=shape_range.max,
                dtype=part.example_inputs[index].dtype,
            )
        prompt = torch.export.Dim("prompt", min=embeds.min[0], max=embeds.max[0])
        dynamic_shapes = ({0: prompt}, {1: prompt}, None, None)
    try:
        compiled = torch_trt.dynamo.compile(
            torch.export.load(path),
            arg_inputs=inputs,
            device=device,
            min_block_size=1,
            use_fp32_acc=precision is Precision.FP16,
            optimization_level=settings.optimization_level,
            workspace_size=settings.workspace_bytes,
            truncate_double=True,
        )
        with tempfile.TemporaryDirectory(prefix="unipixel-llm-trt-") as workdir:
            saved = Path(workdir) / f"{part.name}.pt2"
            torch_trt.save(
                compiled,
                str(saved),
                output_format="exported_program",
                arg_inputs=list(part.example_inputs),
                dynamic_shapes=dynamic_shapes,
                retrace=True,
            )
            return saved.read_bytes()
    except Exception as err:  # torch-tensorrt raises many types; keep its message
        raise EngineError(f"torch-tensorrt could not build {part.name}: {err}") from err
