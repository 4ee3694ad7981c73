"""UniPixel in PyTorch: configuration, modules, loading, preprocessing and the four flows."""

from __future__ import annotations

from unipixel_ros.model.builder import (
    NANO_SAM2_CONFIG_NAME,
    TINY_SAM2_CONFIG_NAME,
    build_unipixel,
    sam2_config_for,
    small_config,
    tiny_config,
)
from unipixel_ros.model.chat import DEFAULT_SYSTEM, chatml_prompt, memory_prefix
from unipixel_ros.model.configuration import HeadSizes, PixelQwen2_5_VLConfig
from unipixel_ros.model.decoding import (
    Generation,
    GreedyDecoder,
    TokenObserver,
    generate_greedy,
)
from unipixel_ros.model.layout import to_legacy_key, to_module_key, to_module_layout
from unipixel_ros.model.loading import (
    LoadedUniPixel,
    default_dtype,
    load_unipixel,
    merge_lora,
    read_config,
    read_safetensors,
    resolve_checkpoint,
)
from unipixel_ros.model.mrope import MropePositions, mrope_positions
from unipixel_ros.model.object_memory import (
    MemoryTokenOrder,
    ObjectMemoryLayout,
    layout_object_memory,
    pool_object_memory,
    vision_window_index,
)
from unipixel_ros.model.outputs import MemoryAnswer, ObjectTrack, PixelAnswer, VisualPrompt
from unipixel_ros.model.predictor import TINY_RANDOM_MODEL, TextObserver, UniPixelPredictor
from unipixel_ros.model.predictor_settings import PredictorSettings
from unipixel_ros.model.qwen_preprocessing import (
    DEFAULT_SAMPLE_FRAMES,
    QwenVideoInput,
    QwenVideoSpec,
    prepare_qwen_video,
    sample_frame_indices,
    smart_resize,
)
from unipixel_ros.model.saving import legacy_state_dict, save_unipixel
from unipixel_ros.model.seg_head import SegHead
from unipixel_ros.model.temporal_encoding import TemporalPositionEncoding
from unipixel_ros.model.tokenizer import (
    MEM_TOKEN,
    REF_TOKEN,
    SEG_TOKEN,
    QwenTokenizer,
    build_tiny_tokenizer,
)
from unipixel_ros.model.unipixel_model import LanguageStep, RefPrompt, UniPixelModel, VisionFeatures

__all__ = [
    "DEFAULT_SAMPLE_FRAMES",
    "DEFAULT_SYSTEM",
    "MEM_TOKEN",
    "NANO_SAM2_CONFIG_NAME",
    "REF_TOKEN",
    "SEG_TOKEN",
    "TINY_RANDOM_MODEL",
    "TINY_SAM2_CONFIG_NAME",
    "Generation",
    "GreedyDecoder",
    "HeadSizes",
    "LanguageStep",
    "LoadedUniPixel",
    "MemoryAnswer",
    "MemoryTokenOrder",
    "MropePositions",
    "ObjectMemoryLayout",
    "ObjectTrack",
    "PixelAnswer",
    "PixelQwen2_5_VLConfig",
    "PredictorSettings",
    "QwenTokenizer",
    "QwenVideoInput",
    "QwenVideoSpec",
    "RefPrompt",
    "SegHead",
    "TemporalPositionEncoding",
    "TextObserver",
    "TokenObserver",
    "UniPixelModel",
    "UniPixelPredictor",
    "VisionFeatures",
    "VisualPrompt",
    "build_tiny_tokenizer",
    "build_unipixel",
    "chatml_prompt",
    "default_dtype",
    "generate_greedy",
    "layout_object_memory",
    "legacy_state_dict",
    "load_unipixel",
    "memory_prefix",
    "merge_lora",
    "mrope_positions",
    "pool_object_memory",
    "prepare_qwen_video",
    "read_config",
    "read_safetensors",
    "resolve_checkpoint",
    "sam2_config_for",
    "sample_frame_indices",
    "save_unipixel",
    "small_config",
    "smart_resize",
    "tiny_config",
    "to_legacy_key",
    "to_module_key",
    "to_module_layout",
    "vision_window_index",
]
