"""Our messages survive a rosbag2 MCAP file written and read with rosbags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rclpy.serialization import deserialize_message, serialize_message
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from std_msgs.msg import Header
from unipixel_ros_interfaces.msg import Answer, ObjectMask, ObjectMaskArray

from unipixel_ros.evaluation.bags.interface_types import interface_typestore
from unipixel_ros.ros.image_conversion import mask_to_mono8


def _mask_array() -> ObjectMaskArray:
    header = Header(frame_id="camera_color_optical_frame")
    header.stamp.sec, header.stamp.nanosec = 12, 345
    mask = np.zeros((4, 6), dtype=bool)
    mask[1:3, 2:5] = True
    obj = ObjectMask(header=header, object_id=7, label="red cup", camera="front", score=3.5)
    obj.state = ObjectMask.STATE_LOST
    obj.box.x_offset, obj.box.y_offset, obj.box.width, obj.box.height = 2, 1, 3, 2
    obj.mask = mask_to_mono8(mask, header)
    obj.centroid_valid = True
    obj.centroid.x, obj.centroid.y, obj.centroid.z = 0.1, -0.2, 0.9
    obj.extent.x = 0.08
    return ObjectMaskArray(header=header, objects=[obj, ObjectMask(object_id=8)])


def _answer() -> Answer:
    return Answer(
        query_id="q1",
        query="which cup is graspable?",
        answer="The red cup [7].",
        object_ids=[7],
        cameras=["front", "wrist"],
        num_frames=8,
        tokens_generated=5,
        model_ms=120.5,
        tracking_ms=30.25,
        total_ms=151.0,
    )


def test_object_masks_and_answers_round_trip_through_mcap(tmp_path: Path) -> None:
    store = interface_typestore()
    bag = tmp_path / "results"
    originals = {"/unipixel/masks": _mask_array(), "/unipixel/answers": _answer()}
    with Writer(bag, version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        for stamp, (topic, msg) in enumerate(originals.items()):
            msgtype = f"unipixel_ros_interfaces/msg/{type(msg).__name__}"
            connection = writer.add_connection(topic, msgtype, typestore=store)
            writer.write(connection, stamp, serialize_message(msg))

    assert next(bag.glob("*.mcap")).stat().st_size > 0
    seen = {}
    with Reader(bag) as reader:
        for connection, _stamp, raw in reader.messages():
            original = originals[connection.topic]
            # rclpy reads back exactly what it wrote ...
            assert deserialize_message(raw, type(original)) == original
            # ... and rosbags' own decoder agrees on every field it checks below.
            seen[connection.topic] = store.deserialize_cdr(raw, connection.msgtype)
    masks = seen["/unipixel/masks"]
    assert [o.object_id for o in masks.objects] == [7, 8]
    assert masks.objects[0].state == ObjectMask.STATE_LOST
    assert masks.objects[0].mask.encoding == "mono8"
    assert bytes(masks.objects[0].mask.data) == bytes(_mask_array().objects[0].mask.data)
    assert masks.objects[0].centroid.z == 0.9
    answer = seen["/unipixel/answers"]
    assert (answer.answer, list(answer.object_ids), list(answer.cameras)) == (
        "The red cup [7].",
        [7],
        ["front", "wrist"],
    )
