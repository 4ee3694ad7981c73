"""Acceleration: swappable backends (eager / torch.compile / TensorRT), SAM 2.1 parts exported
to ONNX, and a TensorRT engine cache whose sidecars are checked before any engine is loaded.

TensorRT is imported lazily, only by the TensorRT backend, builder and runtime.
"""

from __future__ import annotations

from unipixel_ros.accel.backends import (
    FALLBACK_ORDER,
    Availability,
    BackendChoice,
    BackendName,
    CompileBackend,
    EagerBackend,
    InferenceBackend,
    PartRunner,
    PreparedPart,
    make_backends,
    prepare_with_fallback,
    resolve_backend,
)
from unipixel_ros.accel.build_progress import ElapsedSpinner, PhaseProgress
from unipixel_ros.accel.calibration import CalibrationSet
from unipixel_ros.accel.engine_cache import (
    DEFAULT_ENGINE_DIR,
    SIDECAR_FORMAT_VERSION,
    EngineCache,
    EngineFiles,
    EngineRecord,
)
from unipixel_ros.accel.engine_key import (
    DeviceIdentity,
    EngineKey,
    Precision,
    ShapeProfile,
    TensorShapeRange,
    hash_model_files,
)
from unipixel_ros.accel.onnx_export import (
    DEFAULT_OPSET,
    DYNAMO_OPSET,
    OnnxExporter,
    ParityReport,
    check_onnx_parity,
    export_onnx,
    run_onnx,
)
from unipixel_ros.accel.part import AcceleratedPart
from unipixel_ros.accel.sam2_parts import (
    Sam2ImageEncoderPart,
    Sam2MemoryAttentionPart,
    Sam2MemoryEncoderPart,
    Sam2PartLimits,
    Sam2PromptDecoderPart,
    image_encoder_part,
    memory_attention_part,
    memory_encoder_part,
    prompt_decoder_part,
)
from unipixel_ros.accel.trt_backend import TensorRTBackend
from unipixel_ros.accel.trt_builder import (
    TrtBuildSettings,
    build_cached_engine,
    build_engine,
    engine_key_for,
)
from unipixel_ros.accel.trt_runtime import TrtEngineRunner, import_tensorrt

__all__ = [
    "DEFAULT_ENGINE_DIR",
    "DEFAULT_OPSET",
    "DYNAMO_OPSET",
    "FALLBACK_ORDER",
    "SIDECAR_FORMAT_VERSION",
    "AcceleratedPart",
    "Availability",
    "BackendChoice",
    "BackendName",
    "CalibrationSet",
    "CompileBackend",
    "DeviceIdentity",
    "EagerBackend",
    "ElapsedSpinner",
    "EngineCache",
    "EngineFiles",
    "EngineKey",
    "EngineRecord",
    "InferenceBackend",
    "OnnxExporter",
    "ParityReport",
    "PartRunner",
    "PhaseProgress",
    "Precision",
    "PreparedPart",
    "Sam2ImageEncoderPart",
    "Sam2MemoryAttentionPart",
    "Sam2MemoryEncoderPart",
    "Sam2PartLimits",
    "Sam2PromptDecoderPart",
    "ShapeProfile",
    "TensorRTBackend",
    "TensorShapeRange",
    "TrtBuildSettings",
    "TrtEngineRunner",
    "build_cached_engine",
    "build_engine",
    "check_onnx_parity",
    "engine_key_for",
    "export_onnx",
    "hash_model_files",
    "image_encoder_part",
    "import_tensorrt",
    "make_backends",
    "memory_attention_part",
    "memory_encoder_part",
    "prepare_with_fallback",
    "prompt_decoder_part",
    "resolve_backend",
    "run_onnx",
]
