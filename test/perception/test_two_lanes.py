"""The two lanes in the core: queries reuse the tracker's features, tracking goes on while the
language model runs, and the answer's objects land on the newest frame.

Frames "arriving during a query" are pushed from the query's own token callback, which runs on
the reasoning side between two generated tokens: deterministic, and the same order of work as
two lanes that interleave.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from unipixel_ros.model import SEG_TOKEN
from unipixel_ros.perception import LivePerception, ObjectPromptSpec, PerceptionConfig
from unipixel_ros.tracking import InferenceWorker, TrackerConfig

RING = 8


def _frame(t: int) -> np.ndarray:
    """A 60x90 frame with a red square moving right by 2 px per frame."""
    frame = np.full((60, 90, 3), 30, dtype=np.uint8)
    frame[20:40, 10 + 2 * t : 30 + 2 * t] = (220, 40, 40)
    return frame


def _perception(predictor, **lanes) -> LivePerception:
    config = PerceptionConfig(
        tracker=TrackerConfig(max_objects=4, ring_capacity=RING), query_frames=RING
    )
    return LivePerception(predictor=predictor, config=config, **lanes)


def _push(perception: LivePerception, times: Iterable[int]) -> None:
    """Push `_frame(t)` at stamp 1000 * t ns for each of ``times``, in order."""
    for t in times:
        perception.push_frame("", _frame(t), stamp_ns=1000 * t)


@contextmanager
def _encoder_calls(predictor) -> Iterator[list[int]]:
    """Counts forward passes of SAM 2.1's image encoder (a hook on the real module)."""
    calls = [0]

    def count(*_: object) -> None:
        calls[0] += 1

    handle = predictor.model.sam2.image_encoder.register_forward_hook(count)
    try:
        yield calls
    finally:
        handle.remove()


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


@pytest.fixture
def seg_predictor(steered_predictor):
    return steered_predictor(f"[0] {SEG_TOKEN}")


def test_a_query_over_tracked_ring_frames_encodes_no_frame(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    _push(perception, range(RING))
    with _encoder_calls(seg_predictor) as calls:
        answer = perception.query("Please segment the red square.")
    assert answer.num_frames == RING
    assert [o.object_id for o in answer.objects] == [1] and answer.objects[0].tracked
    assert calls[0] == 0


def test_add_objects_at_an_older_ring_stamp_encodes_no_frame(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    _push(perception, range(RING))
    click = ObjectPromptSpec(points=((20.0, 30.0),), point_labels=(1,))
    with _encoder_calls(seg_predictor) as calls:
        (added,) = perception.add_objects([click], stamp_ns=2000)
    assert added.tracked and calls[0] == 0
    output = perception.push_frame("", _frame(RING), stamp_ns=1000 * RING)
    assert [o.object_id for o in output.objects] == [added.object_id]


def test_describe_of_a_point_encodes_no_frame(seg_predictor) -> None:
    perception = _perception(seg_predictor)
    _push(perception, range(RING))
    prompt = ObjectPromptSpec(points=((30.0, 30.0),), point_labels=(1,))
    with _encoder_calls(seg_predictor) as calls:
        answer = perception.describe("What is [0]?", prompt=prompt, stamp_ns=3000)
    assert answer.text and calls[0] == 0


def test_tracking_through_the_tracking_lane_is_bitwise_the_same(seg_predictor) -> None:
    inline = _perception(seg_predictor)
    click = ObjectPromptSpec(points=((20.0, 30.0),), point_labels=(1,))
    inline.push_frame("", _frame(0), stamp_ns=0)
    inline.add_objects([click])
    expected = [inline.push_frame("", _frame(t), stamp_ns=1000 * t) for t in range(1, 12)]

    results = []
    worker: InferenceWorker = InferenceWorker(
        process_frame=lambda t: lanes.push_frame("", _frame(t), stamp_ns=1000 * t),
        on_result=results.append,
    )
    lanes = _perception(seg_predictor, tracking_lane=worker)
    with worker:
        worker.run(lambda: lanes.push_frame("", _frame(0), stamp_ns=0))
        worker.run(lambda: lanes.add_objects([click]))
        for t in range(1, 12):
            worker.run(lambda t=t: results.append(lanes.push_frame("", _frame(t), 1000 * t)))
    assert len(results) == len(expected)
    for got, want in zip(results, expected, strict=True):
        assert [o.object_id for o in got.objects] == [o.object_id for o in want.objects]
        for a, b in zip(got.objects, want.objects, strict=True):
            np.testing.assert_array_equal(a.mask, b.mask)
            assert a.score == b.score


def test_objects_of_a_query_land_on_the_newest_frame_as_the_sequential_path_puts_them(
    seg_predictor,
) -> None:
    during = range(RING, RING + 5)  # frames that arrive while the query generates
    newest = RING + 5

    sequential = _perception(seg_predictor)
    _push(sequential, range(RING))
    sequential.query("Please segment the red square.")
    _push(sequential, during)
    (want,) = sequential.push_frame("", _frame(newest), stamp_ns=1000 * newest).objects

    lanes = _perception(seg_predictor)
    _push(lanes, range(RING))
    arriving = iter(during)

    def frame_between_tokens(_text: str) -> bool:
        t = next(arriving, None)
        if t is not None:
            lanes.push_frame("", _frame(t), stamp_ns=1000 * t)
        return True

    answer = lanes.query("Please segment the red square.", on_text=frame_between_tokens)
    assert next(arriving, None) is None, "every frame arrived during the query"
    assert answer.stamp_ns == 1000 * (RING - 1), "the query answered about its own frames"
    (got,) = lanes.push_frame("", _frame(newest), stamp_ns=1000 * newest).objects
    assert got.object_id == answer.objects[0].object_id
    assert got.mask.any()
    assert _iou(got.mask, want.mask) >= 0.99


def test_frames_are_tracked_on_the_tracking_lane_while_a_query_generates(seg_predictor) -> None:
    generating = threading.Event()
    tracked_while_generating: list[int] = []
    worker: InferenceWorker = InferenceWorker(
        process_frame=lambda t: lanes.push_frame("", _frame(t), stamp_ns=1000 * t),
        on_result=lambda output: (
            tracked_while_generating.append(output.frame_index) if generating.is_set() else None
        ),
    )
    lanes = _perception(seg_predictor, tracking_lane=worker)

    def first_token(_text: str) -> bool:
        generating.set()
        return True

    answers = []

    def ask() -> None:
        answers.append(lanes.query("Segment it.", on_text=first_token))
        generating.clear()

    with worker:
        for t in range(RING):
            worker.submit_frame(t)
            worker.run(lambda: None)  # returns once the frame queued before it is tracked
        query = threading.Thread(target=ask)
        query.start()
        assert generating.wait(timeout=60)
        t = RING
        while query.is_alive() and not tracked_while_generating:
            worker.submit_frame(t)
            t += 1
            query.join(timeout=0.01)
        query.join()
    assert tracked_while_generating, "no frame was tracked while the query ran"
    assert answers and answers[0].objects
