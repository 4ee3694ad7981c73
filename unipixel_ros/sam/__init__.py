"""SAM 2.1 for UniPixel: config, the four sizes, builder, model, prompts, preprocessing,
checkpoints.

The builder is hydra-free; `build_package_predictor` gives the package's own video predictor on
the same weights (the reference of the tests and benchmarks).
"""

from __future__ import annotations

from unipixel_ros.sam.builder import build_package_predictor, build_sam2
from unipixel_ros.sam.checkpoint import (
    UNIPIXEL_SAM2_PREFIX,
    load_sam2_checkpoint,
    load_sam2_pt,
    load_sam2_state_dict,
    package_key,
    released_key,
    sam2_state_dict_from_unipixel,
)
from unipixel_ros.sam.config import (
    FpnNeckConfig,
    HieraConfig,
    MemoryAttentionConfig,
    MemoryEncoderConfig,
    Sam2Config,
)
from unipixel_ros.sam.features import FrameFeatures, MemoryEncoding, PromptDecoding
from unipixel_ros.sam.layer_scale import ReleasedCXBlock
from unipixel_ros.sam.model import Sam2Model
from unipixel_ros.sam.postprocessing import masks_from_logits, upscale_logits
from unipixel_ros.sam.preprocessing import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    preprocess_frames,
    to_model_coordinates,
)
from unipixel_ros.sam.presets import SAM2_1_CONFIG_NAMES, SAM2_1_TRUNKS, Sam2Size, sam2_1_config
from unipixel_ros.sam.prompts import (
    BoxPrompt,
    HiddenStatePrompt,
    MaskPrompt,
    PointPrompt,
    SamPrompt,
)

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "SAM2_1_CONFIG_NAMES",
    "SAM2_1_TRUNKS",
    "UNIPIXEL_SAM2_PREFIX",
    "BoxPrompt",
    "FpnNeckConfig",
    "FrameFeatures",
    "HiddenStatePrompt",
    "HieraConfig",
    "MaskPrompt",
    "MemoryAttentionConfig",
    "MemoryEncoderConfig",
    "MemoryEncoding",
    "PointPrompt",
    "PromptDecoding",
    "ReleasedCXBlock",
    "Sam2Config",
    "Sam2Model",
    "Sam2Size",
    "SamPrompt",
    "build_package_predictor",
    "build_sam2",
    "load_sam2_checkpoint",
    "load_sam2_pt",
    "load_sam2_state_dict",
    "masks_from_logits",
    "package_key",
    "preprocess_frames",
    "released_key",
    "sam2_1_config",
    "sam2_state_dict_from_unipixel",
    "to_model_coordinates",
    "upscale_logits",
]
