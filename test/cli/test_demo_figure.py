"""`unipixel-ros demo --figure PATH`: the README's picture is the GIF frame of the last answer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sample_data import SAMPLE_BAG

from unipixel_ros.cli.demo import DEMO_SPEC_NAME, save_answer_figure
from unipixel_ros.errors import ConfigError
from unipixel_ros.evaluation.scoring.queries import load_query_spec, save_query_spec
from unipixel_ros.visualization.gif import write_gif

SPEC = load_query_spec(SAMPLE_BAG / "queries.json")


def _demo_out(tmp_path: Path, answered_frames: list[int | None]) -> Path:
    save_query_spec(SPEC, tmp_path / DEMO_SPEC_NAME)
    frames = [np.full((24, 32, 3), 40 * i, np.uint8) for i in range(SPEC.frame_count)]
    write_gif(tmp_path / "overlay.gif", frames, frame_rate_hz=10.0)
    requests = [
        {"success": True, "answer": "red.", "frame_index": index} for index in answered_frames
    ]
    requests.append({"success": True, "answer": "", "frame_index": 0})  # a click: no answer
    (tmp_path / "report.json").write_text(json.dumps({"run": {"requests": requests}}))
    return tmp_path


def test_the_figure_is_the_frame_of_the_last_answer(tmp_path: Path) -> None:
    out = _demo_out(tmp_path, [0, 2])
    figure = save_answer_figure(out, tmp_path / "docs" / "overlay.png")
    with Image.open(figure) as image:
        assert image.format == "PNG" and image.size == (32, 24)
        assert abs(int(np.asarray(image.convert("RGB")).mean()) - 80) <= 2  # frame 2


def test_without_a_report_the_figure_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the demo's report"):
        save_answer_figure(tmp_path, tmp_path / "overlay.png")
