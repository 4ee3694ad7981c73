"""TensorRT engines: ONNX export, the keyed cache with sidecars, the builder, the runtime."""

from __future__ import annotations

__all__: list[str] = []
