"""The small bag kept in the suite, shared by the tests that replay or read it."""

from __future__ import annotations

from pathlib import Path

SAMPLE_BAG = Path(__file__).resolve().parent / "data" / "sample_tabletop"
