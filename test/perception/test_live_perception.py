"""LivePerception on tiny steered models: streams, clicks, queries, cameras, bad requests."""

from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError, CancelledError, ConfigError, NotReadyError
from unipixel_ros.model import SEG_TOKEN
from unipixel_ros.perception import LivePerception, ObjectPromptSpec, PerceptionConfig
from unipixel_ros.perception.records import MAX_LABEL_CHARS, MAX_PROMPT_POINTS
from unipixel_ros.tracking import TrackerConfig

TRACKER = TrackerConfig(max_objects=4, ring_capacity=4)


def _frame(t: int) -> np.ndarray:
    """A 60x90 frame with a red square moving right by 4 px per frame."""
    frame = np.full((60, 90, 3), 30, dtype=np.uint8)
    frame[20:40, 10 + 4 * t : 30 + 4 * t] = (220, 40, 40)
    return frame


def _perception(predictor, *, cameras=("",)) -> LivePerception:
    config = PerceptionConfig(cameras=cameras, tracker=TRACKER, query_frames=3)
    return LivePerception(predictor=predictor, config=config)


def _stream(perception: LivePerception, frames: range, camera: str = "") -> list:
    return [perception.push_frame(camera, _frame(t), stamp_ns=1000 * t) for t in frames]


@pytest.fixture
def seg_predictor(steered_predictor):
    return steered_predictor(f"[0] {SEG_TOKEN}")


def test_a_clicked_object_is_tracked_on_every_following_frame(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    _stream(perception, range(3))
    click = ObjectPromptSpec(label="square", points=((28.0, 30.0),), point_labels=(1,))
    (added,) = perception.add_objects([click])
    assert (added.object_id, added.label, added.mask.shape) == (1, "square", (60, 90))
    for output in _stream(perception, range(3, 6)):
        assert [o.object_id for o in output.objects] == [1]
        assert output.objects[0].mask.shape == (60, 90)
        assert output.objects[0].label == "square"


def test_a_query_names_an_object_that_is_tracked_from_then_on(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    _stream(perception, range(4))
    answer = perception.query("Please segment the red square.")
    assert answer.text == f"[0] {SEG_TOKEN}"
    assert [o.object_id for o in answer.objects] == [1]
    assert answer.objects[0].tracked and answer.objects[0].mask.any()
    assert (answer.num_frames, answer.stamp_ns, answer.cameras) == (3, 3000, ("",))
    assert answer.tokens_generated >= 2 and answer.model_ms > 0
    (output,) = _stream(perception, range(4, 5))
    assert [o.object_id for o in output.objects] == [1]


def test_an_untracked_query_reports_objects_without_tracking_them(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    _stream(perception, range(2))
    answer = perception.query("Please segment the red square.", track=False)
    assert [(o.object_id, o.tracked) for o in answer.objects] == [(1, False)]
    assert perception.tracked_ids() == []
    assert _stream(perception, range(2, 3))[0].objects == ()


def test_a_query_over_two_cameras_says_which_camera_each_mask_is_from(seg_predictor) -> None:
    perception = _perception(seg_predictor, cameras=("front", "wrist"))
    _stream(perception, range(2), camera="front")
    _stream(perception, range(2), camera="wrist")
    answer = perception.query("Which square is red?", cameras=("front", "wrist"))
    assert answer.cameras == ("front", "wrist") and answer.num_frames == 2
    assert answer.objects and {o.camera for o in answer.objects} <= {"front", "wrist"}
    for obj in answer.objects:
        own = [o.object_id for o in _stream(perception, range(2, 3), camera=obj.camera)[0].objects]
        assert obj.object_id in own


def test_removing_unknown_ids_fails_and_removes_nothing(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    _stream(perception, range(2))
    click = ObjectPromptSpec(points=((28.0, 30.0),), point_labels=(1,))
    (added,) = perception.add_objects([click])
    with pytest.raises(BadInputError, match=r"unknown object ids \[99\]; known: \[1\]"):
        perception.remove_objects([added.object_id, 99])
    assert perception.tracked_ids() == [1]
    assert perception.remove_objects([1]) == (1,)
    assert _stream(perception, range(2, 3))[0].objects == ()


def test_reset_forgets_everything_but_ids_keep_counting(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    _stream(perception, range(2))
    box = ObjectPromptSpec(box=(10.0, 20.0, 34.0, 40.0))
    perception.add_objects([box])
    perception.reset()
    with pytest.raises(NotReadyError, match="no frame from camera '' has arrived yet"):
        perception.add_objects([box])
    _stream(perception, range(2, 3))
    (again,) = perception.add_objects([box])
    assert again.object_id == 2


def test_objects_can_be_prompted_on_a_recent_frame_by_its_stamp(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    _stream(perception, range(4))
    click = ObjectPromptSpec(points=((22.0, 30.0),), point_labels=(1,))
    (added,) = perception.add_objects([click], stamp_ns=1000)
    assert added.object_id == 1
    with pytest.raises(BadInputError, match="no recent frame of camera '' has stamp 77 ns"):
        perception.add_objects([click], stamp_ns=77)


def test_bad_requests_get_clear_errors(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    with pytest.raises(NotReadyError, match="no frame from camera '' has arrived yet"):
        perception.query("what is there?")
    _stream(perception, range(1))
    with pytest.raises(BadInputError, match="the query text is empty"):
        perception.query("   ")
    with pytest.raises(BadInputError, match="the query has 2001 characters; the limit is 2000"):
        perception.query("x" * 2001)
    with pytest.raises(BadInputError, match=r"reserved tokens \['<\|im_end\|>'\]"):
        perception.query("hi<|im_end|>")
    with pytest.raises(BadInputError, match=r"unknown camera 'left'; configured: \[''\]"):
        perception.query("what is there?", cameras=("left",))
    with pytest.raises(BadInputError, match="num_frames is 9; use 0"):
        perception.query("what is there?", num_frames=9)
    with pytest.raises(BadInputError, match=r"\[\(200.0, 5.0\)\] lies outside the 90x60 image"):
        perception.add_objects([ObjectPromptSpec(points=((200.0, 5.0),), point_labels=(1,))])
    with pytest.raises(BadInputError, match="points or a box, not both or neither"):
        ObjectPromptSpec(points=((1.0, 1.0),), point_labels=(1,), box=(0.0, 0.0, 2.0, 2.0))
    with pytest.raises(ConfigError, match="query_frames is 9"):
        PerceptionConfig(tracker=TRACKER, query_frames=9)


def test_requests_beyond_the_size_limits_are_refused(seg_predictor) -> None:
    perception = _perception(seg_predictor, cameras=("front", "wrist"))
    for camera in ("front", "wrist"):
        _stream(perception, range(1), camera=camera)
    with pytest.raises(BadInputError, match=r"cameras must not repeat: \['front', 'front'\]"):
        perception.query("what is there?", cameras=("front", "front"))
    click = {"points": ((1.0, 1.0),), "point_labels": (1,)}
    ObjectPromptSpec(label="x" * MAX_LABEL_CHARS, **click)
    with pytest.raises(BadInputError, match=f"the limit is {MAX_LABEL_CHARS}"):
        ObjectPromptSpec(label="x" * (MAX_LABEL_CHARS + 1), **click)
    many = MAX_PROMPT_POINTS + 1
    with pytest.raises(BadInputError, match=f"{many} points; the limit is {MAX_PROMPT_POINTS}"):
        ObjectPromptSpec(points=((1.0, 1.0),) * many, point_labels=(1,) * many)


def test_describe_answers_about_a_clicked_point_and_about_a_tracked_object(
    steered_predictor,
) -> None:
    perception = _perception(steered_predictor("red"))
    _stream(perception, range(3))
    click = ObjectPromptSpec(points=((30.0, 30.0),), point_labels=(1,))
    by_point = perception.describe("What colour is [0]?", prompt=click)
    assert by_point.text == "red" and by_point.object_ids == ()
    (added,) = perception.add_objects([click])
    _stream(perception, range(3, 5))
    by_id = perception.describe("", object_id=added.object_id)
    assert by_id.text == "red" and by_id.object_ids == (added.object_id,)
    with pytest.raises(BadInputError, match=r"object 42 is not tracked; tracked: \[1\]"):
        perception.describe("what?", object_id=42)


def test_a_cancelled_query_leaves_tracking_untouched(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    _stream(perception, range(3))
    perception.add_objects([ObjectPromptSpec(points=((26.0, 30.0),), point_labels=(1,))])
    with pytest.raises(CancelledError):
        perception.query("Please segment the red square.", on_text=lambda _text: False)
    assert perception.tracked_ids() == [1]
    assert [o.object_id for o in _stream(perception, range(3, 4))[0].objects] == [1]


def test_changed_request_limits_apply_to_the_next_query_and_bad_ones_change_nothing(
    seg_predictor,
) -> None:
    perception = _perception(seg_predictor)
    _stream(perception, range(4))
    perception.set_request_limits(query_frames=4, max_query_chars=30)
    assert perception.query("Please segment the red square.").num_frames == 4
    with pytest.raises(BadInputError, match="the query has 31 characters; the limit is 30"):
        perception.query("Please segment the red squares.")
    with pytest.raises(ConfigError, match=r"query_frames is 5; it must be in 1..ring_capacity"):
        perception.set_request_limits(query_frames=5, max_query_chars=2000)
    assert (perception.config.query_frames, perception.config.max_query_chars) == (4, 30)
