"""The batched tracking step (all objects per bucket, memory in preallocated slots, padding
masked out of the attention) tracks exactly as the package's ``track_step`` per memory layout:
logits and scores within 1e-5, identical masks and states, whatever each object's memory fill.
The step runs uncompiled here; test/accel/parts/test_tracking_step.py compiles it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from tracking_support import point_prompt, set_object_score

from unipixel_ros.accel.parts.tracking_step import eager_tracking_step
from unipixel_ros.sam import Sam2Config, Sam2Model, build_sam2
from unipixel_ros.tracking import StreamingTracker, TrackerConfig

TOLERANCE = 1e-5


def _model(config: Sam2Config, object_score: float) -> Sam2Model:
    torch.manual_seed(0)
    model = build_sam2(config).eval()
    set_object_score(model, object_score, keep_weights=True)
    return model


def _run_side_by_side(
    model: Sam2Model, frames: np.ndarray, buckets: tuple[int, ...], config: TrackerConfig
) -> list[tuple[str, int]]:
    """Eager and batched trackers through the same script; returns (state, frame) seen."""
    package = StreamingTracker(model=model, config=config)
    batched = StreamingTracker(model=model, config=config, step=eager_tracking_step(model, buckets))
    seen = []
    for t, frame in enumerate(frames):
        results = [tracker.push_frame(frame) for tracker in (package, batched)]
        for tracker in (package, batched):
            if t == 0:
                tracker.add_objects(point_prompt((20, 20), (60, 30)))
            if t == 3:  # a newer object: one memory while the others hold three or more
                tracker.add_objects(point_prompt((40, 10)))
            if t == 8:
                tracker.remove_object(0)
            if t == 10:  # prompted on an older ring frame, caught up through the later ones
                tracker.add_objects(point_prompt((10, 40), (70, 40)), frame_index=6)
        ours, theirs = results[1], results[0]
        assert ours.object_ids == theirs.object_ids
        assert ours.states == theirs.states
        torch.testing.assert_close(
            ours.low_res_logits, theirs.low_res_logits, rtol=0, atol=TOLERANCE
        )
        torch.testing.assert_close(
            ours.object_score_logits, theirs.object_score_logits, rtol=0, atol=TOLERANCE
        )
        assert torch.equal(ours.low_res_logits > 0, theirs.low_res_logits > 0)
        seen += [(state.value, t) for state in ours.states]
    for object_id in batched.bank.ids():
        assert batched.bank.get(object_id).masks.keys() == package.bank.get(object_id).masks.keys()
    return seen


@pytest.mark.parametrize("object_score", [3.0, 0.2])
@pytest.mark.parametrize("windows", ["tiny", "b+"])
def test_batched_step_equals_the_package_step_for_objects_of_different_memory_fill(
    frames: np.ndarray, object_score: float, windows: str
) -> None:
    config = Sam2Config.tiny()
    if windows == "b+":  # SAM 2.1's windows: 7 spatial memories, 16 object pointers
        config = replace(config, num_maskmem=7, max_obj_ptrs_in_encoder=16)
    model = _model(config, object_score)
    long_run = np.concatenate([frames, frames[::-1]])  # 24 frames: past the pointer window
    seen = _run_side_by_side(model, long_run, (1, 2, 4), TrackerConfig(ring_stride=2))
    assert {state for state, _ in seen} <= {"tracked", "lost"}
    if object_score > 1:
        assert ("tracked", len(long_run) - 1) in seen


def test_more_objects_than_the_largest_bucket_are_tracked_in_chunks(frames: np.ndarray) -> None:
    model = _model(Sam2Config.tiny(), 3.0)
    _run_side_by_side(model, frames, (1, 2), TrackerConfig(max_objects=5))


def test_a_mixed_present_and_absent_batch_equals_the_package(frames: np.ndarray) -> None:
    model = _model(Sam2Config.tiny(), 0.01)  # scores near 0: some frames present, some not
    seen = _run_side_by_side(model, frames, (4,), TrackerConfig())
    states = {state for state, _ in seen}
    assert states == {"tracked", "lost"}, f"the script must mix present and absent: {states}"
