"""Benchmarks of the model's stages (eager vs compiled vs reference), with one timing helper."""

from __future__ import annotations

from unipixel_ros.bench.llm import (
    LlmStageBench,
    PromptIds,
    reference_generator,
    synthetic_prompt,
)
from unipixel_ros.bench.presets import (
    BenchModel,
    BenchPreset,
    build_bench_model,
    preset_config,
)
from unipixel_ros.bench.query import (
    language_query_stage,
    qwen_preprocess_stage,
)
from unipixel_ros.bench.sam2 import Sam2StageBench
from unipixel_ros.bench.sam2_runners import Sam2Runners, pipeline_parts, prepare_sam2_runners
from unipixel_ros.bench.stage_timing import (
    StageResult,
    StageTimer,
    StageUnit,
    Timing,
    synchronize,
    time_call,
    time_pair,
)
from unipixel_ros.bench.steady_memory import SteadyMemory, steady_memory

__all__ = [
    "BenchModel",
    "BenchPreset",
    "LlmStageBench",
    "PromptIds",
    "Sam2Runners",
    "Sam2StageBench",
    "StageResult",
    "StageTimer",
    "StageUnit",
    "SteadyMemory",
    "Timing",
    "build_bench_model",
    "language_query_stage",
    "pipeline_parts",
    "prepare_sam2_runners",
    "preset_config",
    "qwen_preprocess_stage",
    "reference_generator",
    "steady_memory",
    "synchronize",
    "synthetic_prompt",
    "time_call",
    "time_pair",
]
