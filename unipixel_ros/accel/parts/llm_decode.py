"""Greedy decoding with a preallocated KV cache and a compiled one-token step (the ``compile``
backend of the LLM decode loop).

``generate_greedy`` grows a ``DynamicCache`` by concatenation, so every decode step has new
shapes and new addresses. Here the cache is a transformers ``StaticCache`` allocated once for
``max_length`` positions and written in place, so the decode step has fixed shapes and fixed
addresses: ``torch.compile`` specialises it once and, on CUDA, ``mode="reduce-overhead"``
records it as a CUDA graph and replays it per token (the launch overhead of ~30 small kernels
per layer dominates batch-1 decoding). The prefill (long, variable length) stays eager.

UniPixel needs the pre-norm state of the position that predicts ``<|seg|>``. The step runs a
view of the language model whose final RMSNorm is replaced by identity (same layers, same
weights, nothing copied or changed on the shared model) and applies the norm itself, so the
pre-norm state is an ordinary output of the compiled graph, without hooks.

NOT VERIFIED HERE: CUDA-graph capture and GPU speed (no GPU on the development machine). On
CPU the compiled step is checked against eager decoding (tokens and logits).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from transformers import StaticCache

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.torch_compile import CompileBackend
from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.model import Generation, MropePositions, TokenObserver, UniPixelModel
from unipixel_ros.model.configuration import TokenIds
from unipixel_ros.model.decoding import check_prompt, run_greedy_loop

__all__ = ["LlmDecoderChoice", "StaticCacheDecoder", "resolve_llm_decoder"]

_LOG = logging.getLogger(__name__)

_Step = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def _without_final_norm(language_model: nn.Module) -> nn.Module:
    """A shallow view of ``language_model`` whose ``norm`` is identity.

    The view has its own module table (so replacing ``norm`` leaves the original intact) and
    shares every other submodule, parameter and buffer with it.
    """
    view = copy.copy(language_model)
    view._modules = dict(language_model._modules)
    view._modules["norm"] = nn.Identity()
    return view


class StaticCacheDecoder:
    """Greedy UniPixel decoding on a static KV cache, with an optionally compiled step.

    One decoder serves many generations (the cache is reset, not reallocated, so a compiled
    step keeps its addresses). Not thread-safe: one generation at a time.

    Args:
        model: UniPixel in eval mode on its device.
        max_length: prompt + generated positions the cache holds.
        compile_step: compile the one-token step with ``torch.compile``; ``False`` runs the
            same static-cache step eagerly (the reference the compiled step is tested
            against).
        cuda_graphs: on CUDA, compile with ``mode="reduce-overhead"`` (CUDA graphs). Ignored
            on CPU.
    """

    def __init__(
        self,
        *,
        model: UniPixelModel,
        max_length: int,
        compile_step: bool,
        cuda_graphs: bool = True,
    ) -> None:
        if max_length < 2:
            raise ConfigError(f"max_length must be >= 2, got {max_length}")
        self._model = model
        self._max_length = max_length
        self._seg_id = TokenIds.from_config(model.config).seg
        language_model = model.model.language_model
        self._norm = language_model.norm
        self._body = _without_final_norm(language_model)
        self._cache = StaticCache(config=model.config, max_cache_len=max_length)
        self._last_logits: torch.Tensor | None = None
        self._step: _Step = self._eager_step
        self._cuda_graphs = compile_step and cuda_graphs and model.device.type == "cuda"
        if compile_step:
            mode = "reduce-overhead" if self._cuda_graphs else "default"
            self._step = torch.compile(self._eager_step, mode=mode, dynamic=False)
            _LOG.debug("decode step compiled with mode=%s", mode)

    @property
    def max_length(self) -> int:
        return self._max_length

    @property
    def last_logits(self) -> torch.Tensor | None:
        """`(vocab,)` float32 logits after the last position of the latest generation (for
        checks and diagnostics); ``None`` before the first."""
        return self._last_logits

    def _eager_step(
        self, inputs_embeds: torch.Tensor, position_ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`(L, D)` embeddings, `(3, L)` positions -> next logits `(vocab,)` float32 and the
        pre-norm states `(L, D)`; appends L positions to the cache."""
        output = self._body(
            inputs_embeds=inputs_embeds.unsqueeze(0),
            position_ids=position_ids.unsqueeze(1),
            past_key_values=self._cache,
            use_cache=True,
        )
        prenorm = output.last_hidden_state[0]
        logits = self._model.lm_head(self._norm(prenorm[-1:]))[0].float()
        return logits, prenorm

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
            input_ids (`torch.Tensor` of shape `(L,)`): prompt ids.
            inputs_embeds (`torch.Tensor` of shape `(L, D)`): prompt embeddings with visual
                tokens scattered in.
            positions: mRoPE ids of the prompt and the offset of later tokens.
            max_new_tokens: 0 runs the prefill only.
            stop_ids: ids that end generation (not included in ``token_ids``).
            on_tokens: streaming observer; when it returns False generation stops.

        Raises:
            BadInputError: shapes disagree, ``max_new_tokens`` is negative, or prompt + new
                tokens exceed ``max_length``.
            CancelledError: ``on_tokens`` returned False.
        """
        check_prompt(input_ids, inputs_embeds, max_new_tokens)
        length = int(input_ids.shape[0])
        if length + max_new_tokens > self._max_length:
            raise BadInputError(
                f"{length} prompt + {max_new_tokens} new tokens do not fit the static cache of "
                f"{self._max_length} positions"
            )
        device = self._model.device
        self._cache.reset()

        def decode_step(token: int, position: int) -> tuple[torch.Tensor, torch.Tensor]:
            embeds = self._model.embed_tokens(torch.tensor([token], device=device))
            if self._cuda_graphs:
                torch.compiler.cudagraph_mark_step_begin()
            logits, prenorm = self._step(embeds, torch.full((3, 1), position, device=device))
            # A CUDA-graph replay reuses its output memory: copy before the next step.
            return logits.clone(), prenorm.clone()

        generation, self._last_logits = run_greedy_loop(
            input_ids=input_ids,
            seg_id=self._seg_id,
            prefill=self._eager_step(inputs_embeds, positions.position_ids.to(device)),
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
    requested: BackendName | str, *, model: UniPixelModel, max_length: int
) -> LlmDecoderChoice:
    """The decode loop for ``requested``, falling back like ``resolve_backend``.

    ``tensorrt`` has no LLM path here (torch-tensorrt is not integrated), so it falls back to
    ``compile``; ``compile`` falls back to eager where ``torch.compile`` cannot run.

    Raises:
        ConfigError: ``requested`` names no backend.
    """
    wanted = BackendName.parse(requested)
    if wanted is BackendName.EAGER:
        return LlmDecoderChoice(None, wanted, "LLM decode eager: generate_greedy, dynamic cache")
    refusals = []
    if wanted is BackendName.TENSORRT:
        refusals.append("tensorrt: no TensorRT path for the LLM (torch-tensorrt not integrated)")
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
