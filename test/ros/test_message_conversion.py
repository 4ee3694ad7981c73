"""Headers at a stamp and object prompts, from ROS messages to the core's records."""

from __future__ import annotations

from geometry_msgs.msg import Point
from unipixel_ros_interfaces.msg import ObjectPrompt

from unipixel_ros.ros.message_conversion import header_at, prompt_spec


def test_header_at_splits_nanoseconds_into_sec_and_nanosec() -> None:
    header = header_at(1_700_000_000_250_000_000, "camera_optical")
    assert (header.stamp.sec, header.stamp.nanosec) == (1_700_000_000, 250_000_000)
    assert header.frame_id == "camera_optical"


def test_prompt_spec_turns_the_roi_into_a_corner_box() -> None:
    prompt = ObjectPrompt(label="cup", has_box=True)
    prompt.box.x_offset, prompt.box.y_offset, prompt.box.width, prompt.box.height = 4, 6, 10, 20
    spec = prompt_spec(prompt)
    assert (spec.label, spec.box, spec.points) == ("cup", (4.0, 6.0, 14.0, 26.0), ())


def test_prompt_spec_keeps_points_and_their_labels() -> None:
    prompt = ObjectPrompt(label="", points=[Point(x=1.5, y=2.0)], point_labels=[1])
    spec = prompt_spec(prompt)
    assert (spec.points, spec.point_labels, spec.box) == (((1.5, 2.0),), (1,), None)
