"""Staged training of UniPixel-nano on rendered synthetic scenes: settings, tasks, loop, run."""

# Docstring-only: run.py writes checkpoints through nano.checkpoint, which imports loop.py, so
# package-level re-exports would be an import cycle; import from the modules.
from __future__ import annotations

__all__: list[str] = []
