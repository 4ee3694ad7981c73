"""`tools/gpu_check.sh --dry-run`: the one-shot GPU check runs end to end on the CPU (tiny
preset), so the script cannot rot between the sessions that have a GPU."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
def test_the_gpu_check_dry_run_writes_the_benchmarks_and_the_table(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(
        ["bash", str(ROOT / "tools" / "gpu_check.sh"), "--dry-run", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in ("bench_eager.json", "bench_compile.json", "bench_live.json", "gpu_check.md"):
        assert (tmp_path / name).is_file(), name
    table = (tmp_path / "gpu_check.md").read_text()
    for row in ("| track_frame_1obj |", "| track_frame_8obj |", "| llm_decode |", "| query_ms |"):
        assert row in table
    assert "[gpu_check" in done.stdout and "done:" in done.stdout
