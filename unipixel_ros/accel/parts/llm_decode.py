"""Greedy decoding with a preallocated KV cache and a fast one-token step (the ``compile`` and
``tensorrt`` backends of the LLM decode loop).

``generate_greedy`` grows a ``DynamicCache`` by concatenation, so every decode step has new
shapes and new addresses. Here the cache is one tensor allocated once for ``max_length``
positions and written in place (``llm_step.LanguageStepModule``), so the decode step has fixed
shapes and fixed addresses. What runs the prefill and the step is a ``LanguageSteps``:

* eager: the module itself (the reference the others are tested against);
* compile: ``torch.compile`` of the step; on CUDA ``mode="reduce-overhead"`` records it as a
  CUDA graph and replays it per token (the launch overhead of ~30 small kernels per layer
  dominates batch-1 decoding). The prefill (long, variable length) stays eager;
* exported: the ``torch.export`` programs of prefill and step (``exported_steps``; what a
  TensorRT build starts from, runnable on CPU);
* tensorrt: those programs compiled by torch-tensorrt (``accel/parts/llm_tensorrt.py``).

NOT VERIFIED HERE: CUDA-graph capture, TensorRT and GPU speed (no GPU on the development
machine). On CPU the compiled step and the exported programs are checked against eager
decoding (tokens and logits).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.torch_compile import CompileBackend
from unipixel_ros.accel.engines.cache import EngineCache
from unipixel_ros.accel.parts.llm_step import (
    KvCacheLayout,
    LanguageStepModule,
    LanguageSteps,
    StepBuilder,
    export_decode_step,
    export_prefill,
)
from unipixel_ros.accel.parts.llm_tensorrt import TensorRTLanguageSteps, import_torch_tensorrt
from unipixel_ros.accel.parts.llm_weights import quantized_llm_weights
from unipixel_ros.errors import BadInputError, EngineError
from unipixel_ros.model import Generation, MropePositions, TokenObserver, UniPixelModel
from unipixel_ros.model.configuration import TokenIds
from unipixel_ros.model.decoding import check_prompt, run_greedy_loop

__all__ = [
    "LlmDecoderChoice",
    "StaticCacheDecoder",
    "exported_steps",
    "resolve_llm_decoder",
]

_LOG = logging.getLogger(__name__)


def exported_steps(module: LanguageStepModule, device: torch.device) -> LanguageSteps:
    """The ``torch.export`` programs of prefill and step, run as exported (no TensorRT).

    Raises:
        EngineError: ``torch.export`` refused the module.
    """
    prefill = export_prefill(module, device).module()
    decode = export_decode_step(module, device).module()
    return LanguageSteps(prefill, decode, cuda_graphs=False, description="torch.export programs")


def _compiled_steps(module: LanguageStepModule, *, cuda_graphs: bool) -> LanguageSteps:
    mode = "reduce-overhead" if cuda_graphs else "default"
    decode = torch.compile(module, mode=mode, dynamic=False)
    _LOG.debug("decode step compiled with mode=%s", mode)
    return LanguageSteps(module, decode, cuda_graphs=cuda_graphs, description=f"compile {mode}")


class StaticCacheDecoder:
    """Greedy UniPixel decoding on a static KV cache.

    One decoder serves many generations (the cache is overwritten, not reallocated, so a
    compiled step keeps its addresses). Not thread-safe: one generation at a time.

    Args:
        model: UniPixel in eval mode on its device.
        max_length: prompt + generated positions the cache holds.
        compile_step: compile the one-token step with ``torch.compile``; ``False`` runs the
            same static-cache step eagerly. Ignored when ``build_steps`` is given.
        cuda_graphs: on CUDA, compile with ``mode="reduce-overhead"`` (CUDA graphs). Ignored
            on CPU.
        build_steps: what runs prefill and step instead (e.g. ``exported_steps``).

    Raises:
        ConfigError: ``max_length`` < 2.
        EngineError: ``build_steps`` failed (an export or engine build).
    """

    def __init__(
        self,
        *,
        model: UniPixelModel,
        max_length: int,
        compile_step: bool = False,
        cuda_graphs: bool = True,
        build_steps: StepBuilder | None = None,
    ) -> None:
        self._model = model
        layout = KvCacheLayout.of(model, max_length)
        self._max_length = max_length
        self._seg_id = TokenIds.from_config(model.config).seg
        self._module = LanguageStepModule(model=model, layout=layout)
        device = model.device
        self._kv = layout.allocate(device)
        self._start = torch.zeros((), dtype=torch.long, device=device)
        if build_steps is not None:
            self._steps = build_steps(self._module, device)
        elif compile_step:
            graphs = cuda_graphs and device.type == "cuda"
            if graphs:
                # Fixed addresses: a CUDA-graph replay writes the cache where it was recorded.
                torch._dynamo.mark_static_address(self._kv)
                torch._dynamo.mark_static_address(self._start)
            self._steps = _compiled_steps(self._module, cuda_graphs=graphs)
        else:
            self._steps = LanguageSteps(self._module, self._module, False, "eager")
        self._last_logits: torch.Tensor | None = None

    @property
    def max_length(self) -> int:
        return self._max_length

    @property
    def description(self) -> str:
        """What runs the steps, e.g. ``"compile default"``."""
        return self._steps.description

    @property
    def last_logits(self) -> torch.Tensor | None:
        """`(vocab,)` float32 logits after the last position of the latest generation (for
        checks and diagnostics); ``None`` before the first."""
        return self._last_logits

    @torch.inference_mode()
    def generate(
        self,
        *,
        input_ids: torch.Tensor,
        inputs_embeds: torch.Tensor,
        positions: MropePositions,
        max_new_tokens: int,
        stop_ids: frozenset[int],
        on_tokens: TokenObserver | None = None,
    ) -> Generation:
        """Same contract and result as ``unipixel_ros.model.generate_greedy``.

        Args:
            input_ids (`torch.Tensor` of shape `(L,)`): prompt ids, L >= 2.
            inputs_embeds (`torch.Tensor` of shape `(L, D)`): prompt embeddings with visual
                tokens scattered in.
            positions: mRoPE ids of the prompt and the offset of later tokens.
            max_new_tokens: 0 runs the prefill only.
            stop_ids: ids that end generation (not included in ``token_ids``).
            on_tokens: streaming observer; when it returns False generation stops.

        Raises:
            BadInputError: shapes disagree, ``max_new_tokens`` is negative, the prompt is
                shorter than 2 tokens, or prompt + new tokens exceed ``max_length``.
            CancelledError: ``on_tokens`` returned False.
        """
        check_prompt(input_ids, inputs_embeds, max_new_tokens)
        length = int(input_ids.shape[0])
        if length < 2:
            raise BadInputError(f"the static-cache prefill needs >= 2 prompt tokens, got {length}")
        if length + max_new_tokens > self._max_length:
            raise BadInputError(
                f"{length} prompt + {max_new_tokens} new tokens do not fit the static cache of "
                f"{self._max_length} positions"
            )
        device = self._model.device
        steps = self._steps
        cached = length

        def decode_step(token: int, position: int) -> tuple[torch.Tensor, torch.Tensor]:
            nonlocal cached
            embeds = self._model.embed_tokens(torch.tensor([token], device=device))
            self._start.fill_(cached)
            if steps.cuda_graphs:
                torch.compiler.cudagraph_mark_step_begin()
            logits, prenorm = steps.decode(
                embeds, torch.full((3, 1), position, device=device), self._start, self._kv
            )
            cached += 1
            # A CUDA-graph replay reuses its output memory: copy before the next step.
            return logits.clone(), prenorm.clone()

        self._start.zero_()
        prefill = steps.prefill(
            inputs_embeds, positions.position_ids.to(device), self._start, self._kv
        )
        generation, self._last_logits = run_greedy_loop(
            input_ids=input_ids,
            seg_id=self._seg_id,
            prefill=prefill,
            decode_step=decode_step,
            position_offset=positions.delta,
            max_new_tokens=max_new_tokens,
            stop_ids=stop_ids,
            on_tokens=on_tokens,
        )
        return generation


@dataclass(frozen=True)
class LlmDecoderChoice:
    """The LLM decode loop a backend name gives.

    Args:
        decoder: the static-cache decoder, or ``None`` for ``generate_greedy`` (eager).
        backend: what runs the decode loop.
        reason: one line for the log: what runs, and why when it is not the requested one.
    """

    decoder: StaticCacheDecoder | None
    backend: BackendName
    reason: str


def resolve_llm_decoder(
    requested: BackendName | str,
    *,
    model: UniPixelModel,
    max_length: int,
    engine_cache: EngineCache | None = None,
    allow_engine_build: bool = True,
    force_engine_rebuild: bool = False,
) -> LlmDecoderChoice:
    """The decode loop for ``requested``, falling back like ``resolve_backend``.

    ``tensorrt`` builds (or loads) the TensorRT prefill and step (``llm_tensorrt``) and falls
    back to ``compile`` where torch-tensorrt does not import, the LLM is not on CUDA, its
    weights are quantized, or the engines fail to build, load or match eager; ``compile``
    falls back to eager where ``torch.compile`` cannot run. The reason names each refusal.

    Args:
        requested: backend name.
        model: UniPixel on its device.
        max_length: positions of the static KV cache.
        engine_cache: where TensorRT engines live (default ``engines/``).
        allow_engine_build: build missing TensorRT engines (minutes) instead of refusing.
        force_engine_rebuild: rebuild TensorRT engines even when valid ones are cached.

    Raises:
        ConfigError: ``requested`` names no backend.
    """
    wanted = BackendName.parse(requested)
    if wanted is BackendName.EAGER:
        return LlmDecoderChoice(None, wanted, "LLM decode eager: generate_greedy, dynamic cache")
    refusals = []
    if wanted is BackendName.TENSORRT:
        try:
            decoder = _tensorrt_decoder(
                model,
                max_length,
                TensorRTLanguageSteps(
                    cache=engine_cache or EngineCache(),
                    allow_build=allow_engine_build,
                    force_rebuild=force_engine_rebuild,
                ),
            )
            line = f"LLM prefill + decode tensorrt: {decoder.description}, static KV cache"
            return LlmDecoderChoice(decoder, BackendName.TENSORRT, line)
        except EngineError as err:
            refusals.append(f"tensorrt: {err}")
    availability = CompileBackend().availability(model.device)
    if availability.available:
        graphs = " + CUDA graphs" if model.device.type == "cuda" else ""
        line = f"LLM decode compile: static KV cache, torch.compile step{graphs}"
        if refusals:
            line += f" (requested {wanted.value}, unavailable: {'; '.join(refusals)})"
        decoder = StaticCacheDecoder(model=model, max_length=max_length, compile_step=True)
        return LlmDecoderChoice(decoder, BackendName.COMPILE, line)
    refusals.append(f"compile: {availability.detail}")
    return LlmDecoderChoice(
        None,
        BackendName.EAGER,
        f"LLM decode eager (requested {wanted.value}, unavailable: {'; '.join(refusals)})",
    )


def _tensorrt_decoder(
    model: UniPixelModel, max_length: int, steps: TensorRTLanguageSteps
) -> StaticCacheDecoder:
    """The TensorRT decoder, or ``EngineError`` saying why not (checked cheapest first)."""
    import_torch_tensorrt()
    if model.device.type != "cuda":
        raise EngineError(f"TensorRT LLM engines need CUDA, the LLM is on {model.device}")
    quantized = quantized_llm_weights(model)
    if quantized:
        raise EngineError(
            f"the LLM has {quantized} weight-only quantized linears (llm_weights int8), which "
            "the TensorRT path does not take"
        )
    return StaticCacheDecoder(model=model, max_length=max_length, build_steps=steps)
