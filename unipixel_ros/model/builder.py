"""Build a ``UniPixelModel`` (random or meta weights) from a ``PixelQwen2_5_VLConfig``.

No Hydra: the SAM 2.1 architecture comes from the typed presets of ``unipixel_ros.sam``,
chosen by the config's ``sam2_config`` name (the Hydra name the reference trained with).
"""

from __future__ import annotations

import torch
from sam2.modeling.sam.prompt_encoder import PromptEncoder
from torch import nn
from transformers import Qwen2_5_VLModel

from unipixel_ros.errors import ConfigError
from unipixel_ros.model.configuration import HeadSizes, PixelQwen2_5_VLConfig, text_config_of
from unipixel_ros.model.seg_head import SegHead
from unipixel_ros.model.temporal_encoding import TemporalPositionEncoding
from unipixel_ros.model.tokenizer import QwenTokenizer
from unipixel_ros.model.unipixel_model import UniPixelModel
from unipixel_ros.sam import (
    SAM2_1_CONFIG_NAMES,
    Sam2Config,
    Sam2Model,
    Sam2Size,
    build_sam2,
    sam2_1_config,
)

__all__ = [
    "NANO_SAM2_CONFIG_NAME",
    "TINY_SAM2_CONFIG_NAME",
    "build_unipixel",
    "sam2_config_for",
    "set_object_score_bias",
    "small_config",
    "tiny_config",
]

#: ``sam2_config`` value of the tiny test models (not a Hydra name).
TINY_SAM2_CONFIG_NAME = "unipixel_ros/tiny"
#: ``sam2_config`` value of UniPixel-nano (``Sam2Config.nano``).
NANO_SAM2_CONFIG_NAME = "unipixel_ros/nano"


def sam2_config_for(config: PixelQwen2_5_VLConfig) -> Sam2Config:
    """The typed SAM 2.1 architecture that ``config.sam2_config`` names, at ``sam2_image_size``.

    Raises:
        ConfigError: the name is none of the accepted spellings (all listed in the message).
    """
    name = config.sam2_config
    size = SAM2_1_CONFIG_NAMES.get(name) if name is not None else None
    if size is not None:
        return sam2_1_config(size, image_size=config.sam2_image_size)
    if name == TINY_SAM2_CONFIG_NAME:
        return Sam2Config.tiny(image_size=config.sam2_image_size)
    if name == NANO_SAM2_CONFIG_NAME:
        return Sam2Config.nano(image_size=config.sam2_image_size)
    accepted = "; ".join(f"SAM 2.1 {known.value}: {', '.join(known.names)}" for known in Sam2Size)
    hint = " (SAM 2, not 2.1, is not supported)" if "sam2_hiera" in str(name) else ""
    raise ConfigError(
        f"unsupported sam2_config {name!r}{hint}; accepted: {accepted}; test models: "
        f"{TINY_SAM2_CONFIG_NAME}, {NANO_SAM2_CONFIG_NAME}"
    )


def build_unipixel(
    config: PixelQwen2_5_VLConfig,
    *,
    sam2_config: Sam2Config | None = None,
    attn_implementation: str = "sdpa",
) -> UniPixelModel:
    """Instantiate every module with fresh weights on the current default device.

    Build under ``with torch.device("meta"):`` to get the architecture without memory (then
    load weights with ``assign=True``).

    Args:
        config: UniPixel configuration (``sam2_config`` must not be ``None``).
        sam2_config: SAM 2.1 architecture; derived from ``config.sam2_config`` when ``None``.
        attn_implementation: transformers attention backend of the Qwen modules
            ("sdpa" or "eager"; "flash_attention_2" where installed).
    """
    sam2_config = sam2_config or sam2_config_for(config)
    sizes = HeadSizes.from_config(config, sam_dim=sam2_config.hidden_dim)
    if sam2_config.image_size != sizes.image_size:
        raise ConfigError(
            f"SAM 2.1 image size {sam2_config.image_size} != config.sam2_image_size "
            f"{sizes.image_size}"
        )
    config._attn_implementation = attn_implementation
    qwen = Qwen2_5_VLModel(config)
    lm_head = nn.Linear(sizes.llm_dim, text_config_of(config).vocab_size, bias=False)
    c, d, m = sizes.sam_dim, sizes.llm_dim, sizes.merger_dim
    model = UniPixelModel(
        config=config,
        model=qwen,
        lm_head=lm_head,
        sam2=build_sam2(sam2_config),
        seg_head=SegHead(llm_dim=d, sam_dim=c, hidden_tokens=sizes.hidden_tokens),
        ref_encoder=PromptEncoder(
            embed_dim=c,
            image_embedding_size=(sizes.feature_size, sizes.feature_size),
            input_image_size=(sizes.image_size, sizes.image_size),
            mask_in_chans=16,
        ),
        ref_proj_single=nn.Linear(2 * c, 3 * c),
        ref_proj_double=nn.Linear(3 * c, 3 * c),
        ref_proj=nn.Sequential(nn.GELU(), nn.Linear(6 * c, d)),
        tem_pe=TemporalPositionEncoding(num_features=c // 2),
        tem_emb=nn.Embedding(1, c),
        tem_proj=nn.Linear(c, 3 * c),
        msk_proj=nn.Sequential(nn.Linear(m, m), nn.GELU(), nn.Linear(m, d)),
    )
    model.tie_weights()
    return model


def small_config(
    tokenizer: QwenTokenizer,
    *,
    hidden_size: int,
    num_layers: int,
    vision_width: int,
    rope_theta: float,
    sam2_config: str,
    sam2_image_size: int,
    tie_word_embeddings: bool = True,
) -> PixelQwen2_5_VLConfig:
    """A small UniPixel configuration, with ids from ``tokenizer``.

    Vision: 2 blocks of width ``vision_width`` (merger width M = 4 x ``vision_width``), window
    112 px; text: ``num_layers`` layers of width ``hidden_size`` with 4 heads (2 key/value
    heads); SAM 2.1: the preset named ``sam2_config`` at ``sam2_image_size``.
    """
    head_dim = hidden_size // 4
    if head_dim % 4:
        raise ConfigError(f"hidden_size must be a multiple of 16, got {hidden_size}")
    half = head_dim // 2
    mrope_section = [half - 2 * (half // 3), half // 3, half // 3]
    return PixelQwen2_5_VLConfig(
        text_config={
            "vocab_size": tokenizer.vocab_size,
            "hidden_size": hidden_size,
            "intermediate_size": 2 * hidden_size,
            "num_hidden_layers": num_layers,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 4096,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": rope_theta,
                "mrope_section": mrope_section,
            },
            "rms_norm_eps": 1e-6,
            "bos_token_id": tokenizer.token_id("<|endoftext|>"),
            "eos_token_id": tokenizer.token_id("<|im_end|>"),
        },
        tie_word_embeddings=tie_word_embeddings,
        vision_start_token_id=tokenizer.token_id("<|vision_start|>"),
        vision_end_token_id=tokenizer.token_id("<|vision_end|>"),
        image_token_id=tokenizer.token_id("<|image_pad|>"),
        video_token_id=tokenizer.token_id("<|video_pad|>"),
        vision_config={
            "depth": 2,
            "hidden_size": vision_width,
            "intermediate_size": 2 * vision_width,
            "num_heads": 2,
            "out_hidden_size": hidden_size,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 112,
            "fullatt_block_indexes": [1],
            "tokens_per_second": 2,
        },
        sam2_config=sam2_config,
        sam2_image_size=sam2_image_size,
        sam2_hidden_tokens=2,
        ref_token_id=tokenizer.token_id("<|ref|>"),
        seg_token_id=tokenizer.token_id("<|seg|>"),
        mem_token_id=tokenizer.token_id("<|mem|>"),
        dtype=torch.float32,
    )


def tiny_config(
    tokenizer: QwenTokenizer,
    *,
    sam2_image_size: int = 64,
    hidden_size: int = 64,
    tie_word_embeddings: bool = True,
) -> PixelQwen2_5_VLConfig:
    """A small UniPixel configuration for CPU tests, with ids from ``tokenizer``.

    ``small_config`` with 2 text layers, vision width 32 and SAM 2.1 ``Sam2Config.tiny``.
    """
    return small_config(
        tokenizer,
        hidden_size=hidden_size,
        num_layers=2,
        vision_width=32,
        rope_theta=1000000.0,
        sam2_config=TINY_SAM2_CONFIG_NAME,
        sam2_image_size=sam2_image_size,
        tie_word_embeddings=tie_word_embeddings,
    )


def set_object_score_bias(sam: Sam2Model, bias: float) -> None:
    """Set the last bias of SAM 2.1's object-score head (``> 0`` leans towards "present").

    Random or fresh weights usually say "no object", which empties every mask.
    """
    with torch.no_grad():
        sam.sam_mask_decoder.pred_obj_score_head.layers[-1].bias.fill_(bias)
