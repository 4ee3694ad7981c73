"""`benchmarks/bench_live.py` runs and writes every figure the two-lanes issue asks for (the
figures themselves are benchmark output, not checked here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
KEYS = {
    "tracking_fps_idle",
    "tracking_fps_during_query",
    "tracking_ratio_during_query",
    "query_ms",
    "encoder_calls_per_query",
    "placement_ms",
}


@pytest.mark.slow
def test_bench_live_writes_both_runs_with_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "live.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "bench_live.py")]
    command += ["--idle-s", "0.5", "--query-tokens", "40", "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert set(report) >= KEYS and set(report["one_lane"]) >= KEYS
    assert report["encoder_calls_per_query"] == 0
    assert report["one_lane"]["encoder_calls_per_query"] == 8, "the flow encodes its 8 frames"
    assert report["tokens_generated"] == report["one_lane"]["tokens_generated"] >= 40
    assert "tracking_ratio_during_query" in done.stdout
