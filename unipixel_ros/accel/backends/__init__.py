"""Inference backends (eager, torch.compile, TensorRT) and the fallback that picks one."""

from __future__ import annotations

__all__: list[str] = []
