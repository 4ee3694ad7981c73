"""UniPixel-nano: the UniPixel architecture at a tiny size, trained here on synthetic scenes."""

from __future__ import annotations

from unipixel_ros.nano.architecture import (
    NANO_SAM2_IMAGE_SIZE,
    NANO_VIDEO,
    build_nano_tokenizer,
    nano_config,
    nano_settings,
)
from unipixel_ros.nano.checkpoint import NANO_CHECKPOINT_DIR, save_nano_checkpoint
from unipixel_ros.nano.dataset import (
    COLOURS,
    DEFAULT_CACHE_DIR,
    EVAL_SEEDS,
    KINDS,
    MAX_OBJECTS,
    TRAIN_SEEDS,
    WINDOW,
    SceneArrays,
    load_or_render_scenes,
    render_scenes,
    scene_config,
)
from unipixel_ros.nano.evaluate import NanoScores, evaluate_nano, report_figures
from unipixel_ros.nano.predictor import load_nano_predictor
from unipixel_ros.nano.samples import (
    SEG_RESPONSE,
    RegionQuestion,
    SegQuestion,
    region_question,
    region_text,
    seg_question,
)
from unipixel_ros.nano.training.loop import TrainReport, train_model
from unipixel_ros.nano.training.losses import StepLosses
from unipixel_ros.nano.training.run import STEPS_PER_MINUTE, steps_for_budget, train_nano
from unipixel_ros.nano.training.settings import Stage, TrainSettings

__all__ = [
    "COLOURS",
    "DEFAULT_CACHE_DIR",
    "EVAL_SEEDS",
    "KINDS",
    "MAX_OBJECTS",
    "NANO_CHECKPOINT_DIR",
    "NANO_SAM2_IMAGE_SIZE",
    "NANO_VIDEO",
    "SEG_RESPONSE",
    "STEPS_PER_MINUTE",
    "TRAIN_SEEDS",
    "WINDOW",
    "NanoScores",
    "RegionQuestion",
    "SceneArrays",
    "SegQuestion",
    "Stage",
    "StepLosses",
    "TrainReport",
    "TrainSettings",
    "build_nano_tokenizer",
    "evaluate_nano",
    "load_nano_predictor",
    "load_or_render_scenes",
    "nano_config",
    "nano_settings",
    "region_question",
    "region_text",
    "render_scenes",
    "report_figures",
    "save_nano_checkpoint",
    "scene_config",
    "seg_question",
    "steps_for_budget",
    "train_model",
    "train_nano",
]
