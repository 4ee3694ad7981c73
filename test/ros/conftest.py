"""Checkpoints for the node's graph tests, saved in the released layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from unipixel_ros.model import SEG_TOKEN, save_unipixel


@pytest.fixture(scope="session")
def seg_checkpoint(tmp_path_factory: pytest.TempPathFactory, steered_predictor) -> Path:
    """A tiny checkpoint whose greedy answer is always "[0] <|seg|>" (random SAM 2.1)."""
    predictor = steered_predictor(f"[0] {SEG_TOKEN}")
    return save_unipixel(predictor.model, predictor.tokenizer, tmp_path_factory.mktemp("ckpt"))
