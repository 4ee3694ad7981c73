"""The report's pictures: the replay GIF with caption and timeline, and the track strips."""

from __future__ import annotations

import numpy as np
import report_fixtures as fx
from PIL import Image

from unipixel_ros.evaluation.reports.pictures import (
    strip_frames,
    track_strip_name,
    write_replay_gif,
    write_track_strips,
)
from unipixel_ros.visualization.overlay import RANDOM_WEIGHTS_COLOUR
from unipixel_ros.visualization.timeline import draw_timeline


def _gif_frames(path) -> list[np.ndarray]:
    frames = []
    with Image.open(path) as gif:
        for index in range(gif.n_frames):
            gif.seek(index)
            frames.append(np.asarray(gif.convert("RGB")).astype(int))
    return frames


def test_the_replay_gif_is_at_the_bag_resolution_with_the_timeline_under_it(tmp_path):
    path = write_replay_gif(tmp_path / "overlay.gif", fx.pictures())
    frames = _gif_frames(path)
    strip = draw_timeline(width=fx.WIDTH, frame_count=fx.FRAMES, events=[], current_frame=0)
    assert len(frames) == fx.FRAMES
    assert frames[0].shape == (fx.HEIGHT + strip.shape[0], fx.WIDTH, 3)
    # Frame 0 is the bag's image untouched (no object, no answer yet), up to the palette.
    assert np.abs(frames[0][: fx.HEIGHT] - fx.frame(0)).max() <= 8


def test_the_answer_is_captioned_from_the_frame_it_was_computed_on(tmp_path):
    frames = _gif_frames(write_replay_gif(tmp_path / "overlay.gif", fx.pictures()))
    bottom = fx.HEIGHT - 4  # a row of the caption's band
    plain = fx.frame(0)[bottom].mean()
    assert abs(frames[0][bottom].mean() - plain) < 4
    assert all(frames[i][bottom].mean() < plain - 20 for i in range(1, fx.FRAMES))


def test_replays_draw_the_same_gif_every_time(tmp_path):
    first = write_replay_gif(tmp_path / "a.gif", fx.pictures())
    second = write_replay_gif(tmp_path / "b.gif", fx.pictures())
    assert first.read_bytes() == second.read_bytes()


def test_a_random_model_gif_is_stamped_on_every_frame(tmp_path):
    frames = _gif_frames(write_replay_gif(tmp_path / "o.gif", fx.pictures(random=True)))
    for frame in frames:
        red = np.all(np.abs(frame[:30, :100] - RANDOM_WEIGHTS_COLOUR) <= 8, axis=-1)
        assert red.sum() > 200


def test_each_scored_track_gets_its_first_middle_and_last_frames(tmp_path):
    pictures = fx.pictures()
    (track,) = pictures.tracks
    assert track.query_id == "click_1"
    assert [(p.name, p.frame_index) for p in track.panels] == [
        ("first", 3),
        ("middle", 6),
        ("last", 9),
    ]
    score = next(s for s in fx.result().queries if s.query_id == "click_1")
    assert [p.j for p in track.panels] == [score.track.j_per_frame[i] for i in (0, 3, 6)]
    assert track.jf == score.track.jf_mean
    (path,) = write_track_strips(tmp_path, pictures.tracks)
    assert path.name == track_strip_name("click_1") == "track_click_1.png"
    with Image.open(path) as image:
        assert image.width >= 3 * fx.WIDTH and image.height > fx.HEIGHT


def test_strip_frames_name_each_frame_once():
    assert strip_frames([]) == ()
    assert strip_frames([4]) == (("first", 4),)
    assert strip_frames([4, 5]) == (("first", 4), ("middle", 5))
    assert strip_frames(list(range(2, 9))) == (("first", 2), ("middle", 5), ("last", 8))
