"""The CI version of benchmarks/soak.py: 300 frames at 30 Hz with requests in between.

The full run (10,000 frames) and its figures are in docs/reliability.md. Bounds stated here:
the node's RSS may grow at most RSS_BOUND_MB after the first window, frames are processed in
every window, at most 3 frames are ever in flight, every request is answered, and SIGINT ends
the node with exit code 0 and no traceback.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros

ROOT = Path(__file__).parents[2]
FRAMES = 300
RSS_BOUND_MB = 32.0


def test_a_short_soak_keeps_rss_flat_and_frames_flowing(tmp_path: Path) -> None:
    figures = tmp_path / "soak.json"
    # A ROS domain of its own: this session's other nodes are also called /unipixel.
    domain = 101 + (int(os.environ.get("ROS_DOMAIN_ID", "0")) + os.getpid()) % 100
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "soak.py"),
            "--frames",
            str(FRAMES),
            "--window",
            "60",
            "--request-period",
            "0.5",
            "--rss-bound-mb",
            str(RSS_BOUND_MB),
            "--json",
            str(figures),
            "--log",
            str(tmp_path / "node.log"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "ROS_DOMAIN_ID": str(domain)},
    )
    result = json.loads(figures.read_text())
    report = f"{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
    assert result["rss_growth_mb"] <= RSS_BOUND_MB, report
    processed = [window["processed"] for window in result["windows"]]
    assert all(b > a for a, b in itertools.pairwise(processed[:-1])), report
    assert result["max_in_flight"] <= 3, report
    assert result["requests_sent"] >= 5 and result["requests_answered"] == result["requests_sent"]
    assert result["node_exit_code"] == 0 and not result["traceback_in_log"], report
    assert done.returncode == 0 and "VERDICT PASS" in done.stdout, report
