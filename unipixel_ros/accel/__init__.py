"""Acceleration: backends (eager / torch.compile / TensorRT), the parts they run, TRT engines.

Engines come from ONNX export into a keyed cache whose sidecars are checked before any engine
is loaded. TensorRT is imported lazily, only by the TensorRT backend and engines.
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
    TensorRTBackend,
    make_backends,
    prepare_with_fallback,
    resolve_backend,
)
from unipixel_ros.accel.engines.builder import (
    TrtBuildSettings,
    build_cached_engine,
    build_engine,
    engine_key_for,
)
from unipixel_ros.accel.engines.cache import (
    DEFAULT_ENGINE_DIR,
    SIDECAR_FORMAT_VERSION,
    EngineCache,
    EngineFiles,
    EngineRecord,
)
from unipixel_ros.accel.engines.calibration import CalibrationSet
from unipixel_ros.accel.engines.key import (
    DeviceIdentity,
    EngineKey,
    Precision,
    ShapeProfile,
    TensorShapeRange,
    hash_model_files,
)
from unipixel_ros.accel.engines.onnx_export import (
    DEFAULT_OPSET,
    DYNAMO_OPSET,
    OnnxExporter,
    ParityReport,
    check_onnx_parity,
    export_onnx,
    run_onnx,
)
from unipixel_ros.accel.engines.progress import ElapsedSpinner, PhaseProgress
from unipixel_ros.accel.engines.runtime import TrtEngineRunner, import_tensorrt
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2 import (
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
