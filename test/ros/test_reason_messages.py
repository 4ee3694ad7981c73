"""The Reason action's messages carry requests and answers across unchanged (raw frames, masks)."""

from __future__ import annotations

import numpy as np
import pytest
from rclpy.serialization import deserialize_message, serialize_message
from unipixel_ros_interfaces.action import Reason
from unipixel_ros_interfaces.msg import EncodedMask

from unipixel_ros.errors import BadInputError
from unipixel_ros.model.outputs import MemoryAnswer, ObjectTrack, PixelAnswer, VisualPrompt
from unipixel_ros.perception.reasoning import ReasoningFlow, ReasoningRequest
from unipixel_ros.ros.reason_encoding import FrameTransport, MaskEncoding, decode_mask, encode_mask
from unipixel_ros.ros.reason_messages import (
    answer_from_result,
    goal_from_request,
    request_from_goal,
    result_from_answer,
)

pytestmark = pytest.mark.ros

RNG = np.random.default_rng(7)


def _wire(message):
    """The message as the other process gets it: serialized and read back."""
    return deserialize_message(serialize_message(message), type(message))


@pytest.mark.parametrize("encoding", list(MaskEncoding))
@pytest.mark.parametrize("first", [False, True])
def test_masks_survive_both_encodings_bit_for_bit(encoding: MaskEncoding, first: bool) -> None:
    mask = RNG.random((37, 53)) > 0.6
    mask[0, 0] = first
    assert np.array_equal(decode_mask(_wire(encode_mask(mask, encoding))), mask)
    empty = np.zeros((4, 5), dtype=bool)
    assert np.array_equal(decode_mask(encode_mask(empty, encoding)), empty)


def test_a_mask_whose_data_does_not_fit_its_size_is_refused() -> None:
    message = encode_mask(np.ones((4, 4), dtype=bool), MaskEncoding.RLE)
    message.width = 5
    with pytest.raises(BadInputError, match="cover 16 pixels"):
        decode_mask(message)
    with pytest.raises(BadInputError, match="not one of"):
        decode_mask(EncodedMask(encoding="jpeg", height=1, width=1))


def test_a_describe_request_crosses_raw_unchanged_and_as_jpeg_close() -> None:
    frames = tuple(RNG.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(3))
    frames[2][10:30, 10:40] = (200, 40, 40)
    request = ReasoningRequest(
        flow=ReasoningFlow.DESCRIBE,
        text="What is [0] <|ref|>?",
        frames=frames,
        prompts=(VisualPrompt(frame_index=2, box=(10.5, 10.0, 39.0, 29.25)),),
    )
    raw = request_from_goal(
        _wire(
            goal_from_request(
                request,
                transport=FrameTransport.RAW,
                jpeg_quality=90,
                mask_encoding=MaskEncoding.PNG,
            )
        )
    )
    assert (raw.flow, raw.text, raw.prompts) == (request.flow, request.text, request.prompts)
    assert all(np.array_equal(a, b) for a, b in zip(raw.frames, frames, strict=True))
    jpeg_goal = goal_from_request(
        request, transport=FrameTransport.JPEG, jpeg_quality=90, mask_encoding=MaskEncoding.PNG
    )
    assert not jpeg_goal.raw_frames and len(jpeg_goal.jpeg_frames) == 3
    decoded = request_from_goal(_wire(jpeg_goal))
    region = (slice(12, 28), slice(12, 38))
    assert np.abs(decoded.frames[2][region].astype(int) - frames[2][region]).mean() < 12


def test_memory_masks_go_object_major_and_come_back_per_object() -> None:
    frames = tuple(np.zeros((8, 8, 3), dtype=np.uint8) for _ in range(2))
    masks = {3: RNG.random((2, 8, 8)) > 0.5, 7: RNG.random((2, 8, 8)) > 0.5}
    request = ReasoningRequest(
        flow=ReasoningFlow.MEMORY, text="[3] or [7]?", frames=frames, object_masks=masks
    )
    goal = goal_from_request(
        request, transport=FrameTransport.RAW, jpeg_quality=90, mask_encoding=MaskEncoding.RLE
    )
    back = request_from_goal(_wire(goal))
    assert list(back.object_masks) == [3, 7]
    for key, value in masks.items():
        assert np.array_equal(back.object_masks[key], value)
    goal.memory_masks = goal.memory_masks[:3]
    with pytest.raises(BadInputError, match="3 memory masks for 2 objects on 2 frames"):
        request_from_goal(goal)


def test_a_goal_with_both_or_no_frame_lists_or_an_unknown_flow_is_refused() -> None:
    with pytest.raises(BadInputError, match="exactly one of them"):
        request_from_goal(Reason.Goal(flow=0, text="x"))
    with pytest.raises(BadInputError, match="flow 9 is not one of"):
        request_from_goal(Reason.Goal(flow=9, text="x"))


@pytest.mark.parametrize("encoding", list(MaskEncoding))
def test_an_answer_with_tracks_comes_back_as_the_predictor_gave_it(encoding: MaskEncoding) -> None:
    tracks = (
        ObjectTrack(
            object_id=0,
            from_prompt=False,
            masks=tuple(RNG.random((30, 40)) > 0.5 for _ in range(2)),
            object_scores=np.array([1.25, -0.5], dtype=np.float32),
        ),
        ObjectTrack(
            object_id=None,
            from_prompt=True,
            masks=(np.zeros((30, 40), bool), np.ones((30, 40), bool)),
            object_scores=np.array([3.0e-7, 9.5], dtype=np.float32),
        ),
    )
    answer = PixelAnswer(
        text="[0] <|seg|> and <|seg|>",
        tracks=tracks,
        frame_indices=(0, 2),
        mask_frame_indices=(1, 2),
    )
    result = _wire(
        result_from_answer(answer, mask_encoding=encoding, tokens_generated=5, model_ms=12.5)
    )
    assert result.success and result.tokens_generated == 5
    back = answer_from_result(result, ReasoningFlow.SEGMENT)
    assert isinstance(back, PixelAnswer)
    assert (back.text, back.frame_indices, back.mask_frame_indices) == (
        answer.text,
        answer.frame_indices,
        answer.mask_frame_indices,
    )
    for ours, theirs in zip(back.tracks, tracks, strict=True):
        assert (ours.object_id, ours.from_prompt) == (theirs.object_id, theirs.from_prompt)
        np.testing.assert_array_equal(ours.object_scores, theirs.object_scores)
        assert all(np.array_equal(a, b) for a, b in zip(ours.masks, theirs.masks, strict=True))


def test_a_memory_answer_keeps_its_prompt_and_slots() -> None:
    answer = MemoryAnswer(
        text="(A)", localization=None, slots_per_object={2: (0, 1), 5: ()}, prompt="memory: [2]"
    )
    result = _wire(
        result_from_answer(answer, mask_encoding=MaskEncoding.PNG, tokens_generated=3, model_ms=1.0)
    )
    assert answer_from_result(result, ReasoningFlow.MEMORY) == answer
