"""UniPixel-nano: the released architecture at a size that trains on a CPU in minutes.

Same modules and loader as UniPixel-3B/7B (``build_unipixel``, ``load_unipixel``):

* Qwen2.5-VL: vision tower 2 blocks of width 64 (merger width M = 256), language model 3 layers
  of width D = 128 (4 heads, 2 key/value heads), tied embeddings;
* SAM 2.1: the typed ``unipixel_ros/tiny`` Hiera preset at S = 128 (32x32 low-res masks);
* the UniPixel heads at these sizes;
* a byte-level BPE tokenizer trained here on the prompts and answers nano uses, with the Qwen
  special tokens and ``<|ref|>``, ``<|seg|>``, ``<|mem|>`` in Qwen's order.

The LLM sees two frames (one temporal slot) of 224x168 pixels: 48 visual tokens.
"""

from __future__ import annotations

from unipixel_ros.model import (
    DEFAULT_SYSTEM,
    NANO_SAM2_CONFIG_NAME,
    MemoryTokenOrder,
    PixelQwen2_5_VLConfig,
    PredictorSettings,
    QwenTokenizer,
    QwenVideoSpec,
    build_tiny_tokenizer,
    small_config,
)
from unipixel_ros.model.chat import LOCALIZE_WITH_IDS
from unipixel_ros.nano.dataset import COLOURS, KINDS
from unipixel_ros.synthetic import GRASPABLE_CUP_QUESTION

__all__ = [
    "NANO_SAM2_IMAGE_SIZE",
    "NANO_VIDEO",
    "build_nano_tokenizer",
    "nano_config",
    "nano_settings",
]

NANO_SAM2_IMAGE_SIZE = 128
#: Two frames of 224x168 for the LLM (48 merged visual tokens).
NANO_VIDEO = QwenVideoSpec(sample_frames=2, min_pixels=224 * 168, pixels_per_frame_budget=224 * 168)
_VOCAB_SIZE = 512


def nano_settings(*, max_new_tokens: int = 24) -> PredictorSettings:
    """Predictor settings nano was trained with (pass them to ``from_pretrained``).

    Two LLM frames of 224x168; ``<|mem|>`` features pooled at the masked positions
    (``MemoryTokenOrder.RASTER``: nano was trained that way, unlike the released weights).
    """
    return PredictorSettings(
        video=NANO_VIDEO, max_new_tokens=max_new_tokens, memory_order=MemoryTokenOrder.RASTER
    )


def _corpus() -> list[str]:
    """Every phrase the nano prompts and answers are made of, several times over."""
    objects = [f"{colour} {kind}" for colour in COLOURS for kind in KINDS]
    lines = [
        f"system\n{DEFAULT_SYSTEM}",
        "user\nassistant\n",
        GRASPABLE_CUP_QUESTION,
        LOCALIZE_WITH_IDS.format(GRASPABLE_CUP_QUESTION),
        "Sure, it is . The answer is yes no. It is a",
        "What colour is [0] ? What kind of object is [0] ? Does [0] have a handle?",
        "Please describe [0] . Here is a video with 2 frames denoted as <1> to <2>. "
        "The highlighted regions are as follows:\n[0]: <1>-<2>",
    ]
    lines += [f"Please segment the {name}." for name in objects]
    lines += [f"It is a {name}." for name in objects]
    return lines * 4


def build_nano_tokenizer() -> QwenTokenizer:
    """The nano tokenizer (deterministic: same merges and ids every call)."""
    return build_tiny_tokenizer(vocab_size=_VOCAB_SIZE, corpus=_corpus())


def nano_config(tokenizer: QwenTokenizer) -> PixelQwen2_5_VLConfig:
    """The nano ``pixel_qwen2_5_vl`` configuration, token ids taken from ``tokenizer``."""
    return small_config(
        tokenizer,
        hidden_size=128,
        num_layers=3,
        vision_width=64,
        rope_theta=10000.0,
        sam2_config=NANO_SAM2_CONFIG_NAME,
        sam2_image_size=NANO_SAM2_IMAGE_SIZE,
    )
