from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import ConfigError
from unipixel_ros.nano import (
    KINDS,
    WINDOW,
    SceneArrays,
    load_or_render_scenes,
    render_scenes,
    scene_config,
)


def test_render_scenes_is_deterministic_for_the_same_seeds(small_scenes: SceneArrays) -> None:
    again = render_scenes(range(700_000, 700_002), config=scene_config(frame_count=8))
    np.testing.assert_array_equal(again.rgb, small_scenes.rgb[:2])
    np.testing.assert_array_equal(again.labels, small_scenes.labels[:2])
    np.testing.assert_array_equal(again.frame_indices, small_scenes.frame_indices[:2])


def test_rendered_frames_are_frame_zero_then_a_consecutive_window(
    small_scenes: SceneArrays,
) -> None:
    assert small_scenes.rgb.shape == (3, 1 + WINDOW, 96, 128, 3)
    for indices in small_scenes.frame_indices:
        assert indices[0] == 0
        assert list(np.diff(indices[1:])) == [1] * (WINDOW - 1)
        assert indices[1] >= 1
        assert indices[-1] < 8


def test_object_slots_hold_the_objects_of_the_label_images(small_scenes: SceneArrays) -> None:
    for scene in range(len(small_scenes)):
        slots = small_scenes.object_slots(scene)
        ids_on_frame_zero = set(np.unique(small_scenes.labels[scene, 0]).tolist()) - {0}
        assert ids_on_frame_zero == {slot + 1 for slot in slots}
        assert all(0 <= small_scenes.kind[scene, slot] < len(KINDS) for slot in slots)
        cups = [s for s in slots if KINDS[small_scenes.kind[scene, s]] == "cup"]
        graspable = [s for s in slots if small_scenes.graspable[scene, s]]
        assert graspable and set(graspable) <= set(cups)


def test_scene_arrays_round_trip_through_npz(small_scenes: SceneArrays, tmp_path) -> None:
    path = tmp_path / "scenes.npz"
    small_scenes.save(path)
    loaded = SceneArrays.load(path)
    for name in ("rgb", "labels", "kind", "colour", "graspable", "has_handle", "clicks"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(small_scenes, name))


def test_load_or_render_scenes_reads_the_cache_file_it_wrote(tmp_path) -> None:
    config = scene_config(frame_count=6)
    first = load_or_render_scenes(range(5, 6), config=config, cache_dir=tmp_path)
    (cached,) = list(tmp_path.glob("*.npz"))
    cached_mtime = cached.stat().st_mtime_ns
    second = load_or_render_scenes(range(5, 6), config=config, cache_dir=tmp_path)
    assert cached.stat().st_mtime_ns == cached_mtime
    np.testing.assert_array_equal(first.rgb, second.rgb)


def test_render_scenes_rejects_scenes_shorter_than_the_window() -> None:
    with pytest.raises(ConfigError, match="frame_count must be > 3"):
        render_scenes(range(1), config=scene_config(frame_count=WINDOW))
