"""Configuration of UniPixel: the released ``config.json`` type and the derived head sizes.

``PixelQwen2_5_VLConfig`` reads the ``config.json`` that ships with PolyU-ChenLab/UniPixel-3B and
-7B (model type ``pixel_qwen2_5_vl``, saved by transformers 4.53). It is a transformers
``Qwen2_5_VLConfig`` (a strict dataclass in transformers 5.x) with the UniPixel fields added.
``HeadSizes`` is the frozen, validated view of the numbers the UniPixel heads are built from.
"""

from __future__ import annotations

from dataclasses import dataclass

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, Qwen2_5_VLConfig
from transformers.models.qwen2_5_vl.configuration_qwen2_5_vl import (
    Qwen2_5_VLTextConfig,
    Qwen2_5_VLVisionConfig,
)

from unipixel_ros.errors import ConfigError

__all__ = [
    "HeadSizes",
    "PixelQwen2_5_VLConfig",
    "TokenIds",
    "text_config_of",
    "vision_config_of",
    "window_tokens_of",
]

#: Width of SAM 2.1 prompt tokens (``SAM2Base.hidden_dim``); fixed by every SAM 2.1 size.
SAM2_HIDDEN_DIM = 256
#: Stride of the SAM 2.1 image features that the prompt encoder works on.
SAM2_FEATURE_STRIDE = 16


@strict
class PixelQwen2_5_VLConfig(Qwen2_5_VLConfig):  # noqa: N801 (the released class name)
    """Qwen2.5-VL configuration with the UniPixel fields of the released ``config.json``.

    Args:
        sam2_config: name of the SAM 2.1 Hydra config used in training
            (e.g. ``"configs/sam2.1_hiera_b+"``); ``None`` means a plain Qwen2.5-VL without heads.
        sam2_checkpoint: path of the original SAM 2.1 ``.pt`` used at training time (only
            read for the base + adapter layout).
        sam2_image_size: SAM 2.1 input size S in pixels (768 for the released models).
        sam2_hidden_tokens: K, prompt tokens produced per ``<|seg|>`` by ``seg_head``.
        sam2_batch_mode: training option of the reference; inference ignores it.
        sam2_enable_decoder: whether ``<|seg|>`` tokens are decoded into masks.
        sam2_inference_mode: reference flag choosing the SAM 2 video predictor class.
        sample_objects: training option of the reference (objects sampled per step).
        base_model_path: base Qwen2.5-VL directory or hub id (adapter layout only).
        ref_token_id: id of ``<|ref|>``.
        seg_token_id: id of ``<|seg|>``.
        mem_token_id: id of ``<|mem|>``.
    """

    model_type = "pixel_qwen2_5_vl"

    sam2_config: str | None = None
    sam2_checkpoint: str | None = None
    sam2_image_size: int = 1024
    sam2_hidden_tokens: int = 2
    sam2_batch_mode: bool = False
    sam2_apply_postprocessing: bool = False
    sam2_enable_decoder: bool = True
    sam2_inference_mode: bool = True
    sample_objects: int = -1
    base_model_path: str | None = None
    ref_token_id: int | None = None
    seg_token_id: int | None = None
    mem_token_id: int | None = None


AutoConfig.register(PixelQwen2_5_VLConfig.model_type, PixelQwen2_5_VLConfig, exist_ok=True)


def text_config_of(config: Qwen2_5_VLConfig) -> Qwen2_5_VLTextConfig:
    """The language-model part of a configuration, typed."""
    text = config.text_config
    if not isinstance(text, Qwen2_5_VLTextConfig):
        raise ConfigError(f"text_config must be a Qwen2_5_VLTextConfig, got {type(text).__name__}")
    return text


def vision_config_of(config: Qwen2_5_VLConfig) -> Qwen2_5_VLVisionConfig:
    """The vision-tower part of a configuration, typed."""
    vision = config.vision_config
    if not isinstance(vision, Qwen2_5_VLVisionConfig):
        raise ConfigError(
            f"vision_config must be a Qwen2_5_VLVisionConfig, got {type(vision).__name__}"
        )
    return vision


def window_tokens_of(config: Qwen2_5_VLConfig) -> int:
    """Side of the vision tower's attention window in merged tokens (4 for Qwen2.5-VL)."""
    vision = vision_config_of(config)
    patch = vision.patch_size if isinstance(vision.patch_size, int) else vision.patch_size[0]
    return vision.window_size // vision.spatial_merge_size // patch


@dataclass(frozen=True, kw_only=True)
class HeadSizes:
    """The sizes the UniPixel heads are built from, checked on construction.

    Args:
        llm_dim: D, hidden size of the language model (2048 for 3B, 3584 for 7B).
        sam_dim: C, width of SAM 2.1 prompt tokens (256).
        hidden_tokens: K, SAM 2.1 prompt tokens per ``<|seg|>`` (2).
        image_size: S, SAM 2.1 input size in pixels (768).
        merger_dim: M, width of the vision merger MLP input (vision hidden x merge^2, 5120).
        rms_norm_eps: epsilon of the RMSNorm at the head of ``seg_head``.
    """

    llm_dim: int
    sam_dim: int = SAM2_HIDDEN_DIM
    hidden_tokens: int = 2
    image_size: int = 768
    merger_dim: int
    rms_norm_eps: float = 1e-6

    def __post_init__(self) -> None:
        for name in ("llm_dim", "sam_dim", "hidden_tokens", "image_size", "merger_dim"):
            value = getattr(self, name)
            if value <= 0:
                raise ConfigError(f"HeadSizes.{name} must be positive, got {value}")
        if self.image_size % SAM2_FEATURE_STRIDE:
            raise ConfigError(
                f"HeadSizes.image_size must be a multiple of {SAM2_FEATURE_STRIDE}, "
                f"got {self.image_size}"
            )
        if self.sam_dim % 2:
            raise ConfigError(f"HeadSizes.sam_dim must be even, got {self.sam_dim}")

    @property
    def feature_size(self) -> int:
        """Side of the SAM 2.1 feature grid (S / 16; 48 at S = 768)."""
        return self.image_size // SAM2_FEATURE_STRIDE

    @classmethod
    def from_config(
        cls, config: PixelQwen2_5_VLConfig, *, sam_dim: int = SAM2_HIDDEN_DIM
    ) -> HeadSizes:
        """Read the head sizes from a UniPixel configuration and SAM 2.1's hidden dim."""
        if config.sam2_config is None:
            raise ConfigError(
                "config.sam2_config is None: this configuration has no UniPixel heads"
            )
        vision = vision_config_of(config)
        return cls(
            llm_dim=text_config_of(config).hidden_size,
            sam_dim=sam_dim,
            hidden_tokens=config.sam2_hidden_tokens,
            image_size=config.sam2_image_size,
            merger_dim=vision.hidden_size * vision.spatial_merge_size**2,
        )


@dataclass(frozen=True, kw_only=True)
class TokenIds:
    """Ids of the tokens the flows place or look for, all required.

    Args:
        video: ``<|video_pad|>``.
        ref: ``<|ref|>``.
        seg: ``<|seg|>``.
        mem: ``<|mem|>``.
    """

    video: int
    ref: int
    seg: int
    mem: int

    @classmethod
    def from_config(cls, config: PixelQwen2_5_VLConfig) -> TokenIds:
        """Read the ids; a missing one is a ``ConfigError``."""
        values = {
            "video": config.video_token_id,
            "ref": config.ref_token_id,
            "seg": config.seg_token_id,
            "mem": config.mem_token_id,
        }
        missing = sorted(name for name, value in values.items() if value is None)
        if missing:
            raise ConfigError(f"config lacks the token ids {missing}")
        return cls(**{name: int(value) for name, value in values.items() if value is not None})
