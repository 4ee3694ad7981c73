"""The tiny SAM 2.1 fixtures (test/sam2_fixtures.py)."""

from __future__ import annotations

from sam2_fixtures import sam2_absent, sam2_present

__all__ = ["sam2_absent", "sam2_present"]
