from __future__ import annotations

import numpy as np
import pytest
from rosbags.rosbag2 import StoragePlugin, Writer

from unipixel_ros.errors import BagError
from unipixel_ros.evaluation.bags.layout import OPTICAL_FRAME, BagStorage, BagTopics
from unipixel_ros.evaluation.bags.messages import (
    CAMERA_INFO_TYPE,
    IMAGE_TYPE,
    camera_info_message,
    image_message,
    typestore,
)
from unipixel_ros.evaluation.bags.reader import bag_topic_counts, read_bag_frames
from unipixel_ros.evaluation.bags.writer import CameraBagWriter
from unipixel_ros.synthetic.camera import PinholeCamera
from unipixel_ros.synthetic.sample_bag import write_scene_bag
from unipixel_ros.synthetic.scene_config import SceneConfig
from unipixel_ros.synthetic.scene_layout import generate_scene


@pytest.fixture(scope="module")
def scene():
    return generate_scene(config=SceneConfig(width=96, height=72, frame_count=3), seed=8)


@pytest.fixture(scope="module", params=[BagStorage.MCAP, BagStorage.SQLITE3])
def bag_path(request, scene, tmp_path_factory):
    path = tmp_path_factory.mktemp(request.param.value) / "bag"
    return write_scene_bag(scene, path, storage=request.param, progress=False).path


def test_frames_read_back_equal_the_scene(bag_path, scene):
    frames = list(read_bag_frames(bag_path, require_depth=True, require_ground_truth=True))
    assert [f.index for f in frames] == [0, 1, 2]
    for read, original in zip(frames, scene.frames(), strict=True):
        assert read.stamp_ns == original.stamp_ns
        assert read.frame_id == OPTICAL_FRAME
        assert read.camera == scene.camera
        np.testing.assert_array_equal(read.rgb, original.rgb)
        np.testing.assert_array_equal(read.instance_labels, original.instance_labels)
        np.testing.assert_allclose(read.depth_m, original.depth_m, atol=0.0005 + 1e-6)


def test_camera_pose_chains_dynamic_and_static_tf_to_the_optical_frame(bag_path, scene):
    for read, pose in zip(read_bag_frames(bag_path), scene.camera_poses, strict=True):
        np.testing.assert_allclose(read.camera_pose.matrix, pose.matrix, atol=1e-9)


def test_an_unknown_fixed_frame_gives_no_pose(bag_path):
    frame = next(read_bag_frames(bag_path, fixed_frame="map"))
    assert frame.camera_pose is None


def test_topic_counts_list_every_topic(bag_path):
    counts = bag_topic_counts(bag_path)
    assert counts[BagTopics().color] == 3
    assert counts[BagTopics().tf_static] == 1


def test_reading_a_missing_bag_raises_bag_error(tmp_path):
    with pytest.raises(BagError, match=r"does not exist"):
        list(read_bag_frames(tmp_path / "nothing"))


def test_reading_a_bag_with_garbage_storage_raises_bag_error(bag_path, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for item in bag_path.iterdir():
        data = item.read_bytes()
        if item.suffix in (".mcap", ".db3"):
            data = data[:64] + b"\x00garbage" * 32  # keep the header, destroy the rest
        (broken / item.name).write_bytes(data)
    with pytest.raises(BagError, match=r"(cannot open|is corrupt)"):
        list(read_bag_frames(broken))


def test_reading_a_directory_without_metadata_raises_bag_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BagError, match=r"cannot open bag"):
        list(read_bag_frames(tmp_path / "empty"))


def test_required_topics_missing_from_a_bag_are_named(tmp_path):
    camera = PinholeCamera.from_horizontal_fov(width=8, height=6, fov_deg=60.0)
    with CameraBagWriter(tmp_path / "rgb_only") as writer:
        writer.write_frame(stamp_ns=5, rgb=np.zeros((6, 8, 3), np.uint8), camera=camera)
    frames = list(read_bag_frames(tmp_path / "rgb_only"))
    assert len(frames) == 1 and frames[0].depth_m is None and frames[0].instance_labels is None
    with pytest.raises(
        BagError, match=r"lacks topics \['/camera/aligned_depth_to_color/image_raw'"
    ):
        list(read_bag_frames(tmp_path / "rgb_only", require_depth=True))


def test_frames_are_matched_by_stamp_when_parts_arrive_late(tmp_path):
    """Depth logged after the next colour frame still pairs with its own colour frame."""
    camera = PinholeCamera.from_horizontal_fov(width=8, height=6, fov_deg=60.0)
    topics = BagTopics()
    store = typestore()
    messages = []  # (topic, msgtype, message, log time)
    for stamp in (100, 200):
        rgb = np.full((6, 8, 3), stamp // 100, np.uint8)
        messages.append(
            (
                topics.color,
                IMAGE_TYPE,
                image_message(rgb, encoding="rgb8", stamp_ns=stamp, frame_id="c"),
                stamp,
            )
        )
        info = camera_info_message(camera, stamp_ns=stamp, frame_id="c")
        messages.append((topics.color_info, CAMERA_INFO_TYPE, info, stamp))
    for stamp in (100, 200):
        depth = np.full((6, 8), stamp * 10, np.uint16)
        message = image_message(depth, encoding="16UC1", stamp_ns=stamp, frame_id="c")
        messages.append((topics.depth, IMAGE_TYPE, message, stamp + 150))
    with Writer(tmp_path / "late", version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        connections = {}
        for topic, msgtype, message, log_time in messages:
            if topic not in connections:
                connections[topic] = writer.add_connection(topic, msgtype, typestore=store)
            raw = bytes(store.serialize_cdr(message, msgtype))
            writer.write(connections[topic], log_time, raw)
    frames = list(read_bag_frames(tmp_path / "late"))
    assert [int(f.rgb[0, 0, 0]) for f in frames] == [1, 2]
    assert [float(f.depth_m[0, 0]) for f in frames] == [1.0, 2.0]
