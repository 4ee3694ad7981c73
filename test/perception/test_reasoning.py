"""A reasoning request served on its own gives what the single node's flows give on the ring."""

from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError
from unipixel_ros.model import SEG_TOKEN
from unipixel_ros.model.outputs import VisualPrompt
from unipixel_ros.perception.lanes import frame_features
from unipixel_ros.perception.reasoning import ReasoningFlow, ReasoningRequest, serve_request
from unipixel_ros.tracking import FrameEncoder, StreamingTracker, TrackerConfig


def _frames(count: int) -> list[np.ndarray]:
    frames = []
    for t in range(count):
        frame = np.full((60, 90, 3), 30, dtype=np.uint8)
        frame[20:40, 10 + 4 * t : 30 + 4 * t] = (220, 40, 40)
        frames.append(frame)
    return frames


@pytest.fixture
def seg_predictor(steered_predictor):
    return steered_predictor(f"[0] {SEG_TOKEN}")


def test_a_segment_request_gives_the_masks_the_flow_gives_on_the_trackers_ring_features(
    seg_predictor,
) -> None:
    sam2 = seg_predictor.model.sam2
    tracker = StreamingTracker(
        model=sam2, config=TrackerConfig(ring_capacity=4), encoder=FrameEncoder(model=sam2)
    )
    for frame in _frames(4):
        tracker.push_frame(frame)
    ring = tuple(tracker.ring.frames())
    images = np.stack([f.image for f in ring])
    single = seg_predictor.segment(images, "Segment it.", features=frame_features(ring))
    request = ReasoningRequest(
        flow=ReasoningFlow.SEGMENT, text="Segment it.", frames=tuple(f.image for f in ring)
    )
    served = serve_request(seg_predictor, FrameEncoder(model=sam2), request)
    assert served.text == single.text == f"[0] {SEG_TOKEN}"
    assert len(served.tracks) == len(single.tracks) == 1
    for ours, theirs in zip(served.tracks[0].masks, single.tracks[0].masks, strict=True):
        assert np.array_equal(ours, theirs)
    assert served.tracks[0].masks[-1].any()
    np.testing.assert_array_equal(served.tracks[0].object_scores, single.tracks[0].object_scores)


def test_a_memory_request_answers_as_answer_with_memory_does(seg_predictor) -> None:
    frames = _frames(3)
    masks = np.zeros((3, 60, 90), dtype=bool)
    masks[:, 20:40, 10:30] = True
    request = ReasoningRequest(
        flow=ReasoningFlow.MEMORY,
        text="What is [0]?",
        frames=tuple(frames),
        object_masks={0: masks},
    )
    served = serve_request(seg_predictor, FrameEncoder(model=seg_predictor.model.sam2), request)
    direct = seg_predictor.answer_with_memory(np.stack(frames), "What is [0]?", {0: masks})
    assert (served.text, served.prompt, served.slots_per_object) == (
        direct.text,
        direct.prompt,
        direct.slots_per_object,
    )


def test_requests_that_break_their_contract_are_refused_with_the_reason() -> None:
    frames = tuple(_frames(2))
    with pytest.raises(BadInputError, match="at least one frame"):
        ReasoningRequest(flow=ReasoningFlow.SEGMENT, text="x", frames=())
    with pytest.raises(BadInputError, match="differ in size"):
        ReasoningRequest(flow=ReasoningFlow.SEGMENT, text="x", frames=(frames[0], frames[1][:30]))
    with pytest.raises(BadInputError, match="names frame 5"):
        ReasoningRequest(
            flow=ReasoningFlow.DESCRIBE,
            text="[0] <|ref|>",
            frames=frames,
            prompts=(VisualPrompt(frame_index=5, point=(1.0, 1.0)),),
        )
    with pytest.raises(BadInputError, match=r"expected \(2, H, W\)"):
        ReasoningRequest(
            flow=ReasoningFlow.MEMORY,
            text="[0]?",
            frames=frames,
            object_masks={0: np.zeros((3, 60, 90), dtype=bool)},
        )
    with pytest.raises(BadInputError, match="uint8 RGB"):
        ReasoningRequest(flow=ReasoningFlow.SEGMENT, text="x", frames=(np.zeros((4, 4)),))
