"""Accelerated parts: SAM 2.1's stages, the frame encoder, the LLM (step, decode loop, TensorRT
programs, int8 weights) and the vision tower."""

from __future__ import annotations

__all__: list[str] = []
