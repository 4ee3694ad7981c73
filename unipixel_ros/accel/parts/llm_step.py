"""The LLM's static-cache step as a plain-tensor module, and its ``torch.export`` programs.

One module serves the prefill (L prompt positions) and the decode step (L = 1). Its KV cache
is an *input* it updates in place, not a buffer it owns: the decoder allocates one tensor and
hands the same one to the prefill and to every decode step, whatever runs them (eager,
``torch.compile``, an exported program, a TensorRT engine). ``torch.export`` records the
in-place write as a mutation of that input, so the programs need no state of their own.

The module runs a view of the language model without its final RMSNorm (same layers and
weights) and applies the norm itself, so the pre-norm state UniPixel's ``<|seg|>`` head needs is
an ordinary output, without hooks.

Export shapes: the decode program is static (L = 1). The prefill program has a dynamic length
``Dim("prompt", min=2, max=max_length)``: prompt lengths vary with the frames and the question,
and one program (one TensorRT profile) covering 2..max_length needs no re-export per length,
where fixed buckets would pad every prompt to the next bucket and need one engine each. The
minimum is 2 because ``torch.export`` specialises a size-1 dim; a one-token prompt never
happens (the chat template alone is longer).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from transformers import StaticCache
from transformers.cache_utils import StaticLayer

from unipixel_ros.errors import ConfigError, EngineError
from unipixel_ros.model import UniPixelModel

__all__ = [
    "MIN_PREFILL_LENGTH",
    "KvCacheLayout",
    "LanguageStepModule",
    "LanguageSteps",
    "StepBuilder",
    "StepRunner",
    "export_decode_step",
    "export_prefill",
    "step_inputs",
]

MIN_PREFILL_LENGTH = 2
"""Shortest prompt the exported prefill accepts (``torch.export`` specialises size 1)."""


@dataclass(frozen=True)
class KvCacheLayout:
    """Shape and dtype of the static KV cache tensor.

    The tensor has shape `(layers, 2, 1, kv_heads, max_length, head_dim)`: keys at index 0 and
    values at index 1 of the second axis, batch 1.
    """

    layers: int
    kv_heads: int
    head_dim: int
    max_length: int
    dtype: torch.dtype

    @classmethod
    def of(cls, model: UniPixelModel, max_length: int) -> KvCacheLayout:
        """The layout for ``model``'s language model and ``max_length`` positions.

        Raises:
            ConfigError: ``max_length`` < 2.
        """
        if max_length < MIN_PREFILL_LENGTH:
            raise ConfigError(f"max_length must be >= {MIN_PREFILL_LENGTH}, got {max_length}")
        text = model.config.get_text_config()
        head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
        return cls(
            layers=int(text.num_hidden_layers),
            kv_heads=int(text.num_key_value_heads),
            head_dim=int(head_dim),
            max_length=max_length,
            dtype=model.llm_dtype,
        )

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.layers, 2, 1, self.kv_heads, self.max_length, self.head_dim)

    def allocate(self, device: torch.device) -> torch.Tensor:
        """A zeroed cache tensor on ``device``."""
        return torch.zeros(self.shape, dtype=self.dtype, device=device)


StepRunner = Callable[
    [torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]
]
"""``LanguageStepModule.forward``'s contract: (embeds, positions, cache start, cache) ->
(next logits, pre-norm states)."""


@dataclass(frozen=True)
class LanguageSteps:
    """What runs the prefill and the decode step.

    Args:
        prefill: runs the prompt (L >= 2 positions).
        decode: runs one token.
        cuda_graphs: ``decode`` replays a CUDA graph (mark each step, copy outputs out).
        description: a few words for the log, e.g. ``"torch.export programs"``.
    """

    prefill: StepRunner
    decode: StepRunner
    cuda_graphs: bool
    description: str


StepBuilder = Callable[["LanguageStepModule", torch.device], LanguageSteps]
"""Builds the steps for a module whose cache lives on the given device."""


def _without_final_norm(language_model: nn.Module) -> nn.Module:
    """A shallow view of ``language_model`` whose ``norm`` is identity.

    The view has its own module table (so replacing ``norm`` leaves the original intact) and
    shares every other submodule, parameter and buffer with it.
    """
    view = copy.copy(language_model)
    view._modules = dict(language_model._modules)
    view._modules["norm"] = nn.Identity()
    return view


class LanguageStepModule(nn.Module):
    """L new positions through the language model, written into a caller-owned static cache.

    Shares every weight with ``model`` (nothing is copied). Not thread-safe: it binds the
    cache tensor to one transformers ``StaticCache`` per call.

    Args:
        model: UniPixel (its language model, final norm and ``lm_head``).
        layout: the cache the calls will pass.
    """

    def __init__(self, *, model: UniPixelModel, layout: KvCacheLayout) -> None:
        super().__init__()
        language_model = model.model.language_model
        self.body = _without_final_norm(language_model)
        self.norm = language_model.norm
        self.lm_head = model.lm_head
        self.layout = layout
        self._cache = StaticCache(config=model.config, max_cache_len=layout.max_length)
        self._layers = [layer for layer in self._cache.layers if type(layer) is StaticLayer]
        if len(self._layers) != layout.layers or len(self._cache.layers) != layout.layers:
            kinds = sorted({type(layer).__name__ for layer in self._cache.layers})
            raise ConfigError(
                f"the static LLM step needs {layout.layers} full-attention StaticLayer cache "
                f"layers, transformers built {len(self._cache.layers)} of {kinds}"
            )

    def forward(
        self,
        inputs_embeds: torch.Tensor,
        position_ids: torch.Tensor,
        cache_start: torch.Tensor,
        kv_cache: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run L new positions.

        Args:
            inputs_embeds (`torch.Tensor` of shape `(L, D)`): embeddings, LLM dtype.
            position_ids (`torch.Tensor` of shape `(3, L)`): int64 mRoPE ids.
            cache_start (`torch.Tensor` of shape `()`): int64, positions already cached; the new
                ones are written at ``cache_start .. cache_start + L - 1``.
            kv_cache (`torch.Tensor` of shape ``KvCacheLayout.shape``): updated in place.

        Returns:
            Next logits `(vocab,)` float32 after the last position, and the pre-norm states
            `(L, D)` of every new position.
        """
        for index, layer in enumerate(self._layers):
            _bind(layer, kv_cache[index, 0], kv_cache[index, 1], cache_start)
        output = self.body(
            inputs_embeds=inputs_embeds.unsqueeze(0),
            position_ids=position_ids.unsqueeze(1),
            past_key_values=self._cache,
            use_cache=True,
        )
        prenorm = output.last_hidden_state[0]
        logits = self.lm_head(self.norm(prenorm[-1:]))[0].float()
        return logits, prenorm


def _bind(
    layer: StaticLayer, keys: torch.Tensor, values: torch.Tensor, start: torch.Tensor
) -> None:
    """Point a transformers ``StaticLayer`` at views of the caller's cache.

    Sets what ``StaticLayer.lazy_initialization`` would set (transformers 5.17-5.23), so its
    ``update`` writes with ``index_copy_`` at ``start`` into our tensor.
    """
    layer.keys, layer.values = keys, values
    layer.dtype, layer.device = keys.dtype, keys.device
    layer.batch_size, layer.num_heads = keys.shape[0], keys.shape[1]
    layer.k_head_dim, layer.v_head_dim = keys.shape[-1], values.shape[-1]
    layer.cumulative_length = start.clone()
    layer.is_initialized = True


def step_inputs(
    module: LanguageStepModule, length: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Example inputs of ``length`` positions (zeros; for tracing and engine builds)."""
    dim = module.norm.weight.shape[0]
    layout = module.layout
    return (
        torch.zeros(length, dim, dtype=layout.dtype, device=device),
        torch.arange(length, device=device).expand(3, length).contiguous(),
        torch.zeros((), dtype=torch.long, device=device),
        layout.allocate(device),
    )


def export_decode_step(
    module: LanguageStepModule, device: torch.device
) -> torch.export.ExportedProgram:
    """``torch.export`` of the one-token decode step (static shapes).

    Raises:
        EngineError: ``torch.export`` refused the module (its message included).
    """
    return _export(module, step_inputs(module, 1, device), None, "decode step")


def export_prefill(
    module: LanguageStepModule, device: torch.device
) -> torch.export.ExportedProgram:
    """``torch.export`` of the prefill, length dynamic in ``[2, max_length]``.

    Raises:
        EngineError: ``torch.export`` refused the module (its message included).
    """
    layout = module.layout
    if layout.max_length < MIN_PREFILL_LENGTH + 1:
        raise ConfigError(f"an exported prefill needs max_length >= 3, got {layout.max_length}")
    prompt = torch.export.Dim("prompt", min=MIN_PREFILL_LENGTH, max=layout.max_length)
    example = step_inputs(module, MIN_PREFILL_LENGTH + 1, device)
    return _export(module, example, ({0: prompt}, {1: prompt}, None, None), "prefill")


def _export(
    module: LanguageStepModule,
    example: tuple[torch.Tensor, ...],
    dynamic_shapes: tuple[object, ...] | None,
    what: str,
) -> torch.export.ExportedProgram:
    try:
        with torch.no_grad():
            return torch.export.export(module, example, dynamic_shapes=dynamic_shapes, strict=False)
    except Exception as err:  # torch.export raises many unrelated types; name them all here
        raise EngineError(f"torch.export of the LLM {what} failed: {err}") from err
