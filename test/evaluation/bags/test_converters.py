from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.evaluation.bags.converters import convert_vos_video, list_vos_videos
from unipixel_ros.evaluation.bags.layout import BagStorage
from unipixel_ros.evaluation.bags.reader import read_bag_frames
from unipixel_ros.evaluation.scoring.queries import QueryKind, load_query_spec

WIDTH, HEIGHT = 32, 24


def _labels(frame: int) -> np.ndarray:
    labels = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    labels[4:12, 2 + frame : 10 + frame] = 1
    labels[14:22, 18:28] = 2
    labels[0, 0] = 255  # void
    return labels


def _palette_png(labels: np.ndarray, path) -> None:
    image = Image.fromarray(labels, mode="P")
    palette = [0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * (256 * 3 - 9)
    image.putpalette(palette)
    image.save(path)


@pytest.fixture
def davis_root(tmp_path):
    """A DAVIS-style folder: 3 frames, annotations for frames 0 and 2, two expressions."""
    root = tmp_path / "davis"
    frames = root / "JPEGImages" / "480p" / "dog"
    notes = root / "Annotations" / "480p" / "dog"
    frames.mkdir(parents=True)
    notes.mkdir(parents=True)
    for index in range(3):
        rgb = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
        rgb[..., 0] = 40 * (index + 1)
        Image.fromarray(rgb).save(frames / f"{index:05d}.jpg", quality=95)
        if index != 1:
            _palette_png(_labels(index), notes / f"{index:05d}.png")
    (root / "meta_expressions.json").write_text(
        json.dumps(
            {
                "videos": {
                    "dog": {
                        "expressions": {
                            "0": {"exp": "the dog on the left", "obj_id": "1"},
                            "1": {"exp": "both things", "obj_id": [1, 2]},
                        },
                        "frames": ["00000", "00001", "00002"],
                    }
                }
            }
        )
    )
    return root


def test_list_vos_videos_finds_the_video_folders(davis_root):
    assert list_vos_videos(davis_root) == ["dog"]


@pytest.mark.parametrize("storage", [BagStorage.MCAP, BagStorage.SQLITE3])
def test_converted_bag_carries_frames_and_ground_truth(davis_root, tmp_path, storage):
    written = convert_vos_video(
        davis_root, "dog", tmp_path / "bag", storage=storage, progress=False
    )
    assert written.frame_count == 3
    frames = list(read_bag_frames(written.path))
    assert len(frames) == 3
    # JPEG is lossy; the red level tells the frames apart.
    assert [round(float(f.rgb[..., 0].mean()) / 40) for f in frames] == [1, 2, 3]
    expected_0 = _labels(0).astype(np.uint16)
    expected_0[expected_0 == 255] = 0
    np.testing.assert_array_equal(frames[0].instance_labels, expected_0)
    assert frames[1].instance_labels is None  # no annotation for frame 1
    assert frames[2].instance_labels[5, 4] == 1
    assert frames[0].camera.width == WIDTH
    assert frames[1].stamp_ns - frames[0].stamp_ns == round(1e9 / 24)


def test_converted_spec_holds_expressions_and_clicks(davis_root, tmp_path):
    written = convert_vos_video(davis_root, "dog", tmp_path / "bag", progress=False)
    spec = load_query_spec(written.queries_path)
    assert spec.source == "davis"
    assert spec.fixed_frame is None
    by_id = {q.query_id: q for q in spec.queries}
    assert by_id["expression_0"].text == "the dog on the left"
    assert by_id["expression_0"].expected_ids == (1,)
    assert by_id["expression_1"].expected_ids == (1, 2)
    assert by_id["expression_1"].kind is QueryKind.TRACK
    for click in spec.clicks:
        u, v = click.point_px
        assert _labels(click.frame_index)[v, u] == click.object_id
    assert {c.object_id for c in spec.clicks} == {1, 2}


def test_rgb_annotations_are_rejected(davis_root, tmp_path):
    notes = davis_root / "Annotations" / "480p" / "dog"
    Image.fromarray(np.zeros((HEIGHT, WIDTH, 3), np.uint8)).save(notes / "00000.png")
    with pytest.raises(BadInputError, match=r"has mode RGB; expected a palette or grey PNG"):
        convert_vos_video(davis_root, "dog", tmp_path / "bag", progress=False)


def test_annotation_of_another_size_is_rejected(davis_root, tmp_path):
    notes = davis_root / "Annotations" / "480p" / "dog"
    _palette_png(np.zeros((10, 10), np.uint8), notes / "00000.png")
    with pytest.raises(BadInputError, match=r"is \(10, 10\), its frame is \(24, 32\)"):
        convert_vos_video(davis_root, "dog", tmp_path / "bag", progress=False)


def test_a_missing_video_raises_config_error(davis_root, tmp_path):
    with pytest.raises(ConfigError, match=r"no \.jpg frames in .*cat"):
        convert_vos_video(davis_root, "cat", tmp_path / "bag", progress=False)


def test_flat_layout_without_480p_works(tmp_path):
    root = tmp_path / "mevis"
    (root / "JPEGImages" / "v").mkdir(parents=True)
    Image.fromarray(np.zeros((HEIGHT, WIDTH, 3), np.uint8)).save(root / "JPEGImages/v/0.jpg")
    written = convert_vos_video(root, "v", tmp_path / "bag", progress=False)
    assert written.frame_count == 1
    assert load_query_spec(written.queries_path).queries == ()
