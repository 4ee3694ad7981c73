"""Accelerated parts: SAM 2.1's stages, the frame encoder, the LLM decode loop."""

from __future__ import annotations

__all__: list[str] = []
