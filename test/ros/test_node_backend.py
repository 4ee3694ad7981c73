"""The node's ``backend`` parameter reaches SAM 2.1's image encoder: with ``compile`` the node, in
its own process, compiles the encoder at start-up, says so in its log and on /diagnostics, and
processes replayed camera frames through it. Slow: the compilation takes about 25 s on a 2-core
CPU (less when inductor's on-disk cache is warm). That compiled and eager tracks agree is
checked in test/accel/test_tracker_encoder.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from node_graph import running_node
from sample_data import SAMPLE_BAG

from unipixel_ros.ros.evaluation.frame_replay import play_bag

pytestmark = [pytest.mark.ros, pytest.mark.slow]

BAG = SAMPLE_BAG
TOPICS = {
    "image": "/camera/color/image_raw",
    "camera_info": "/camera/color/camera_info",
}


def test_the_compile_backend_runs_the_image_encoder_compiled_in_the_node(tmp_path: Path) -> None:
    log = tmp_path / "node.log"
    with running_node(
        log_path=log,
        ready_timeout_s=300.0,
        parameters={"model_path": "tiny-random", "backend": "compile", "diagnostics_period_s": 0.2},
        remappings=TOPICS,
    ) as client:
        status = client.wait_for_status(lambda s: s.get("backend", "none") != "none", timeout_s=30)
        assert status["backend"] == (
            "llm compile, vision tower compile, sam2 image encoder compile, sam2 tracking compile"
        )
        play_bag(client.node, BAG, remap=TOPICS, topics=tuple(TOPICS.values()), reliable=True)
        status = client.wait_for_status(lambda s: int(s["frames_processed"]) >= 1, timeout_s=60)
        assert status["last_error"] == "", status
    text = log.read_text()
    assert "SAM 2.1 image encoder: backend compile: torch.compile" in text, text
