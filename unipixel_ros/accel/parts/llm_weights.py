"""The LLM's weight precision: unquantized, or int8 weight-only (torchao) for memory-bound GPUs.

Batch-1 decoding reads every decoder weight once per token, so on a memory-bound Jetson its
speed follows the bytes of the weights. ``int8`` stores the linear layers of the decoder blocks
(attention q/k/v/o and the MLP's gate/up/down) as int8 with one float32 scale per output row
(torchao ``Int8WeightOnlyConfig``, per-row); activations and the matmul stay in the LLM dtype.

Left unquantized, and why:

* token embeddings and ``lm_head``: a lookup table is read one row per token (no bandwidth to
  save), the 3B model ties ``lm_head`` to it (quantizing would untie and duplicate it), and the
  greedy argmax over the vocabulary is where small logit errors turn into other tokens;
* norms and biases: tiny;
* the vision tower: it runs once per query on thousands of patches (compute-bound, not
  weight-bound) and feeds ``<|mem|>`` pooling;
* the seg / ref / memory heads and SAM 2.1: small, and their outputs are masks.

torchao's quantized weights work eagerly and under ``torch.compile``; the TensorRT path does not
take them (the LLM then falls back to ``compile``, saying so).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import torch
from torch import nn

from unipixel_ros.accel.backends.name import parse_choice
from unipixel_ros.errors import ConfigError
from unipixel_ros.model import UniPixelModel

__all__ = [
    "LlmWeightBytes",
    "LlmWeights",
    "llm_weight_bytes",
    "quantizable_linears",
    "quantize_llm_weights",
    "quantized_llm_weights",
]

_INT8_SCALE_BYTES = 4  # one float32 scale per output row


class LlmWeights(enum.Enum):
    """How the LLM's decoder weights are stored."""

    BF16 = "bf16"
    """Unquantized, in the loader's dtype (bf16 on CUDA, float32 on CPU)."""
    INT8 = "int8"
    """int8 weight-only in the decoder blocks' linears (torchao), the rest unquantized."""

    @classmethod
    def parse(cls, requested: LlmWeights | str) -> LlmWeights:
        """``requested`` as a choice, e.g. straight from a node parameter.

        Raises:
            ConfigError: it names no choice.
        """
        return parse_choice(cls, requested, f"llm_weights is {requested!r}")


def quantizable_linears(model: UniPixelModel) -> dict[str, nn.Linear]:
    """The linears ``int8`` quantizes: every ``nn.Linear`` inside the decoder blocks, by name
    under ``model.model.language_model.layers``."""
    layers = model.model.language_model.layers
    return {name: m for name, m in layers.named_modules() if isinstance(m, nn.Linear)}


def quantized_llm_weights(model: UniPixelModel) -> int:
    """How many of the decoder blocks' linears hold quantized (tensor-subclass) weights."""
    return sum(
        type(linear.weight) not in (torch.Tensor, nn.Parameter)
        for linear in quantizable_linears(model).values()
    )


def quantize_llm_weights(model: UniPixelModel, weights: LlmWeights | str) -> int:
    """Store the decoder blocks' linears as ``weights`` says, in place; returns how many changed.

    Raises:
        ConfigError: ``weights`` names no choice, the model is already quantized, or torchao
            does not import.
    """
    choice = LlmWeights.parse(weights)
    if choice is LlmWeights.BF16:
        return 0
    if quantized_llm_weights(model):
        raise ConfigError("the LLM weights are already quantized; load the model again first")
    try:
        from torchao.quantization import Int8WeightOnlyConfig, quantize_
    except ImportError as err:
        raise ConfigError(f"llm_weights int8 needs torchao, which does not import: {err}") from err
    # set_inductor_config=False: torchao would otherwise change global inductor flags, and with
    # them how every other compiled part (SAM 2.1) is compiled.
    quantize_(model.model.language_model.layers, Int8WeightOnlyConfig(set_inductor_config=False))
    return len(quantizable_linears(model))


@dataclass(frozen=True)
class LlmWeightBytes:
    """Bytes of a model's weights by group, at one LLM precision.

    Attributes:
        decoder_linears: the linears ``int8`` quantizes (int8 + scales, or the LLM dtype).
        llm_other: the rest of the language model and ``lm_head`` (embeddings, norms, biases;
            a tied ``lm_head`` counted once).
        vision_tower: the Qwen2.5-VL vision encoder and merger.
        heads_and_sam: SAM 2.1 (float32) and UniPixel's seg / ref / memory heads.
    """

    decoder_linears: int
    llm_other: int
    vision_tower: int
    heads_and_sam: int

    @property
    def total(self) -> int:
        return self.decoder_linears + self.llm_other + self.vision_tower + self.heads_and_sam


def llm_weight_bytes(
    model: UniPixelModel, weights: LlmWeights, *, llm_dtype: torch.dtype = torch.bfloat16
) -> LlmWeightBytes:
    """What ``model``'s weights take with the LLM in ``llm_dtype`` and ``weights``.

    Counts shapes only (works on the meta device), with SAM 2.1 and the prompt encoder in
    float32 as ``UniPixelModel.cast_parameters`` leaves them.
    """
    element = torch.empty((), dtype=llm_dtype).element_size()
    quantized = {id(linear.weight) for linear in quantizable_linears(model).values()}
    float32 = {id(p) for module in (model.sam2, model.ref_encoder) for p in module.parameters()}
    language = {id(p) for p in model.model.language_model.parameters()}
    language |= {id(p) for p in model.lm_head.parameters()}
    vision = {id(p) for p in model.model.visual.parameters()}
    totals = {"decoder_linears": 0, "llm_other": 0, "vision_tower": 0, "heads_and_sam": 0}
    for param in model.parameters():  # shared (tied) parameters are visited once
        key = id(param)
        if key in quantized:
            rows = param.shape[0]
            size = (
                param.numel() + rows * _INT8_SCALE_BYTES
                if weights is LlmWeights.INT8
                else param.numel() * element
            )
            totals["decoder_linears"] += size
        elif key in language:
            totals["llm_other"] += param.numel() * element
        elif key in vision:
            totals["vision_tower"] += param.numel() * element
        else:
            totals["heads_and_sam"] += param.numel() * (4 if key in float32 else element)
    return LlmWeightBytes(**totals)
