from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from unipixel_ros.errors import BadInputError
from unipixel_ros.visualization.gif import gif_frame_count, save_gif_frame, write_gif


def _frames() -> list[np.ndarray]:
    frames = []
    for value in (0, 80, 160):
        frame = np.full((48, 64, 3), value, np.uint8)
        frame[10:20, 10:30] = (230, 25, 75)
        frames.append(frame)
    return frames


def test_a_gif_keeps_every_frame_at_its_resolution_and_rate(tmp_path):
    path = write_gif(tmp_path / "o.gif", _frames(), frame_rate_hz=5.0)
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (64, 48)
        assert gif.info["duration"] == 200
        gif.seek(2)
        frame = np.asarray(gif.convert("RGB"))
    assert np.abs(frame.astype(int) - _frames()[2]).max() <= 8  # 256 colours, no dithering


def test_a_frame_of_a_gif_is_saved_as_a_png(tmp_path):
    gif = write_gif(tmp_path / "o.gif", _frames(), frame_rate_hz=5.0)
    assert gif_frame_count(gif) == 3
    png = save_gif_frame(gif, 1, tmp_path / "figures" / "frame.png")
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == (64, 48)
        assert np.abs(np.asarray(image.convert("RGB")).astype(int) - _frames()[1]).max() <= 8
    with pytest.raises(BadInputError, match="has 3 frames; there is no frame 3"):
        save_gif_frame(gif, 3, tmp_path / "x.png")


def test_write_gif_rejects_no_frames_frames_of_two_sizes_and_a_bad_rate(tmp_path):
    with pytest.raises(BadInputError, match="at least one frame"):
        write_gif(tmp_path / "o.gif", [], frame_rate_hz=5.0)
    with pytest.raises(BadInputError, match="share one"):
        write_gif(
            tmp_path / "o.gif", [_frames()[0], np.zeros((8, 8, 3), np.uint8)], frame_rate_hz=5.0
        )
    with pytest.raises(BadInputError, match="frame_rate_hz must be > 0"):
        write_gif(tmp_path / "o.gif", _frames(), frame_rate_hz=0.0)
