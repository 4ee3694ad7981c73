from __future__ import annotations

import numpy as np
import pytest
from rosbags.interfaces import QosDurability
from rosbags.rosbag2 import Reader

from unipixel_ros.errors import BadInputError, BagError, ConfigError
from unipixel_ros.evaluation.bags.layout import (
    OPTICAL_FRAME,
    QUERIES_FILE_NAME,
    BagStorage,
    BagTopics,
)
from unipixel_ros.evaluation.bags.messages import image_from_message, stamp_ns_of, typestore
from unipixel_ros.evaluation.bags.writer import CameraBagWriter
from unipixel_ros.evaluation.scoring.queries import load_query_spec
from unipixel_ros.synthetic.camera import PinholeCamera
from unipixel_ros.synthetic.sample_bag import generate_sample_bag, write_scene_bag
from unipixel_ros.synthetic.scene_config import SceneConfig
from unipixel_ros.synthetic.scene_layout import generate_scene

TOPICS = BagTopics()
SCENE_CONFIG = SceneConfig(width=96, height=72, frame_count=3)


@pytest.fixture(scope="module")
def scene():
    return generate_scene(config=SCENE_CONFIG, seed=3)


@pytest.fixture(scope="module", params=[BagStorage.MCAP, BagStorage.SQLITE3])
def written(request, scene, tmp_path_factory):
    path = tmp_path_factory.mktemp(request.param.value) / "bag"
    return write_scene_bag(scene, path, storage=request.param, progress=False)


def test_bag_uses_the_requested_storage_file(written):
    suffix = ".mcap" if written.storage is BagStorage.MCAP else ".db3"
    assert [p.suffix for p in written.path.iterdir() if p.suffix in (".mcap", ".db3")] == [suffix]
    assert written.queries_path == written.path / QUERIES_FILE_NAME
    assert written.frame_count == 3


def test_every_topic_round_trips_through_cdr_with_rosbags(written):
    store = typestore()
    with Reader(written.path) as reader:
        counts = {topic: info.msgcount for topic, info in reader.topics.items()}
        assert counts == {
            TOPICS.color: 3,
            TOPICS.color_info: 3,
            TOPICS.depth: 3,
            TOPICS.depth_info: 3,
            TOPICS.ground_truth: 3,
            TOPICS.tf: 3,
            TOPICS.tf_static: 1,
        }
        for connection, timestamp, raw in reader.messages():
            message = store.deserialize_cdr(raw, connection.msgtype)
            assert bytes(store.serialize_cdr(message, connection.msgtype)) == bytes(raw)
            if connection.msgtype.startswith("sensor_msgs"):
                assert message.header.frame_id == OPTICAL_FRAME
                assert stamp_ns_of(message) == timestamp


def test_image_topics_hold_the_rendered_frames_with_their_encodings(written, scene):
    store = typestore()
    frames = {frame.stamp_ns: frame for frame in scene.frames()}
    seen = 0
    with Reader(written.path) as reader:
        wanted = [c for c in reader.connections if c.msgtype == "sensor_msgs/msg/Image"]
        for connection, timestamp, raw in reader.messages(connections=wanted):
            message = store.deserialize_cdr(raw, connection.msgtype)
            frame = frames[timestamp]
            expected, encoding = {
                TOPICS.color: (frame.rgb, "rgb8"),
                TOPICS.depth: (frame.depth_mm, "16UC1"),
                TOPICS.ground_truth: (frame.instance_labels, "mono16"),
            }[connection.topic]
            assert message.encoding == encoding
            np.testing.assert_array_equal(image_from_message(message), expected)
            seen += 1
    assert seen == 9


def test_tf_static_is_offered_transient_local_and_links_camera_to_optical_frame(written):
    store = typestore()
    with Reader(written.path) as reader:
        (static,) = [c for c in reader.connections if c.topic == TOPICS.tf_static]
        assert static.ext.offered_qos_profiles[0].durability is QosDurability.TRANSIENT_LOCAL
        (_, _, raw), *_ = list(reader.messages(connections=[static]))
        (edge,) = store.deserialize_cdr(raw, static.msgtype).transforms
    assert (edge.header.frame_id, edge.child_frame_id) == ("camera_link", OPTICAL_FRAME)


def test_queries_json_beside_the_bag_matches_the_scene(written, scene):
    assert load_query_spec(written.queries_path) == scene.query_spec


def test_writing_over_an_existing_bag_raises_bag_error(written, scene):
    with pytest.raises(BagError, match=r"cannot create bag .*exists"):
        write_scene_bag(scene, written.path, progress=False)


def test_write_frame_rejects_labels_of_another_size(tmp_path):
    camera = PinholeCamera.from_horizontal_fov(width=8, height=6, fov_deg=60.0)
    with (
        CameraBagWriter(tmp_path / "bag") as writer,
        pytest.raises(BadInputError, match=r"instance_labels must have shape \(6, 8\)"),
    ):
        writer.write_frame(
            stamp_ns=1,
            rgb=np.zeros((6, 8, 3), np.uint8),
            camera=camera,
            instance_labels=np.zeros((5, 8), np.uint16),
        )


def test_generate_sample_bag_is_deterministic_by_seed(tmp_path):
    first = generate_sample_bag(
        tmp_path / "a", seed=2, frames=2, width=64, height=48, progress=False
    )
    second = generate_sample_bag(
        tmp_path / "b", seed=2, frames=2, storage="sqlite3", width=64, height=48, progress=False
    )
    assert first.queries_path.read_text() == second.queries_path.read_text()
    assert second.storage is BagStorage.SQLITE3


def test_generate_sample_bag_rejects_unknown_storage(tmp_path):
    with pytest.raises(ConfigError, match=r"storage must be one of \['mcap', 'sqlite3'\]"):
        generate_sample_bag(tmp_path / "bag", storage="rosbag1", progress=False)


def test_compressed_mcap_bags_read_back_unchanged(scene, tmp_path):
    written = write_scene_bag(scene, tmp_path / "zstd", compress=True, progress=False)
    store = typestore()
    first = scene.render(0)
    with Reader(written.path) as reader:
        (color,) = [c for c in reader.connections if c.topic == TOPICS.color]
        _, _, raw = next(reader.messages(connections=[color]))
    np.testing.assert_array_equal(
        image_from_message(store.deserialize_cdr(raw, color.msgtype)), first.rgb
    )


def test_compression_needs_mcap(tmp_path):
    with pytest.raises(ConfigError, match=r"compression needs MCAP storage, got sqlite3"):
        CameraBagWriter(tmp_path / "bag", storage=BagStorage.SQLITE3, compress=True)
