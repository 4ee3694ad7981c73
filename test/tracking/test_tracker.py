from __future__ import annotations

import gc
import warnings
from pathlib import Path

import numpy as np
import psutil
import pytest
import torch
from tracking_support import HEIGHT, WIDTH, package_state, point_prompt, set_object_score

from unipixel_ros.errors import BadInputError, NotReadyError
from unipixel_ros.sam import (
    HiddenStatePrompt,
    MaskPrompt,
    Sam2Model,
    build_package_predictor,
    preprocess_frames,
    upscale_logits,
)
from unipixel_ros.tracking import (
    ClipStart,
    InteractivePromptSettings,
    ObjectState,
    StreamingTracker,
    TrackerConfig,
    track_clip,
)

CLICKS = ((30.0, 20.0), (60.0, 30.0))
# sam2 1.1.0 stores bf16 memories; `build_package_predictor` has no interactive settings.
PACKAGE_MEMORY = TrackerConfig(
    memory_dtype=torch.bfloat16, interactive=InteractivePromptSettings.off()
)


def _package_propagation(
    model: Sam2Model, frames: np.ndarray, tmp_path: Path, clicks: tuple = CLICKS
) -> dict[int, torch.Tensor]:
    """Logits at frame size from the package's offline predictor, objects prompted on frame 0."""
    images = preprocess_frames(frames, image_size=64)
    predictor = build_package_predictor(model)
    state = package_state(predictor, images, tmp_path / "frames")
    for obj_id, click in enumerate(clicks):
        predictor.add_new_points_or_box(
            state,
            frame_idx=0,
            obj_id=obj_id,
            points=torch.tensor([click]),
            labels=torch.tensor([1], dtype=torch.int32),
        )
    return {t: masks[:, 0] for t, _, masks in predictor.propagate_in_video(state)}


def _assert_same_tracks(ours: torch.Tensor, theirs: torch.Tensor) -> None:
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-4)
    assert torch.equal(ours > 0, theirs > 0)


def test_streaming_equals_the_package_offline_propagation(
    model: Sam2Model, frames: np.ndarray, tmp_path: Path
):
    theirs = _package_propagation(model, frames, tmp_path)
    tracker = StreamingTracker(model=model, config=PACKAGE_MEMORY)
    for t, frame in enumerate(frames):
        result = tracker.push_frame(frame)
        if t == 0:
            result = tracker.add_objects(point_prompt(*CLICKS))
        assert result.object_ids == (0, 1)
        _assert_same_tracks(upscale_logits(result.low_res_logits, (HEIGHT, WIDTH)), theirs[t])
    scores = [tracker.bank.get(i).score for i in (0, 1)]
    assert all(s > 0 for s in scores), "the comparison covers present objects"


def test_clip_api_equals_the_package_offline_propagation_including_short_clips(
    model: Sam2Model, frames: np.ndarray, tmp_path: Path
):
    for length in (12, 3):
        clip = frames[:length]
        theirs = _package_propagation(model, clip, tmp_path / str(length))
        tracks = track_clip(
            model,
            preprocess_frames(clip, image_size=64),
            [ClipStart(frame_index=0, prompt=point_prompt(*CLICKS))],
            config=PACKAGE_MEMORY,
        )
        for t in range(length):
            ours = upscale_logits(tracks.low_res_logits[:, t], (HEIGHT, WIDTH))
            _assert_same_tracks(ours, theirs[t])


def test_object_added_mid_stream_equals_a_propagation_started_on_its_frame(
    model: Sam2Model, frames: np.ndarray, tmp_path: Path
):
    theirs = _package_propagation(model, frames[4:], tmp_path, clicks=CLICKS[1:])
    tracker = StreamingTracker(model=model, config=PACKAGE_MEMORY)
    for t, frame in enumerate(frames):
        result = tracker.push_frame(frame)
        if t == 0:
            tracker.add_objects(point_prompt(CLICKS[0]))
        if t == 4:
            result = tracker.add_objects(point_prompt(CLICKS[1]))
        if t >= 4:
            row = result.object_ids.index(1)
            ours = upscale_logits(result.low_res_logits[row : row + 1], (HEIGHT, WIDTH))
            _assert_same_tracks(ours, theirs[t - 4])


def test_adding_and_removing_objects_mid_stream_leaves_other_tracks_unchanged(
    model: Sam2Model, frames: np.ndarray
):
    alone = StreamingTracker(model=model, config=TrackerConfig())
    busy = StreamingTracker(model=model, config=TrackerConfig())
    for t, frame in enumerate(frames):
        expected = alone.push_frame(frame)
        result = busy.push_frame(frame)
        if t == 0:
            expected = alone.add_objects(point_prompt(CLICKS[0]))
            result = busy.add_objects(point_prompt(CLICKS[0]))
        if t == 3:
            busy.add_objects(point_prompt(CLICKS[1], (10.0, 10.0)))
        if t == 7:
            busy.remove_object(1)
        assert result.object_ids == ((0,) if t <= 3 else (0, 1, 2) if t <= 7 else (0, 2))
        torch.testing.assert_close(result.low_res_logits[:1], expected.low_res_logits)
    assert busy.bank.ids() == (0, 2)
    assert busy.add_objects(point_prompt(CLICKS[1])).object_ids == (3,)


def test_object_is_marked_lost_when_its_score_drops_and_recovers_when_it_returns(
    model: Sam2Model, frames: np.ndarray
):
    tracker = StreamingTracker(model=model, config=TrackerConfig())
    schedule = [3.0] * 4 + [-3.0] * 3 + [3.0] * 3
    states, masks = [], []
    for t, logit in enumerate(schedule):
        set_object_score(model, logit)
        result = tracker.push_frame(frames[t])
        if t == 0:
            result = tracker.add_objects(point_prompt(CLICKS[0]))
        states.append(result.states[0])
        masks.append(result.masks((HEIGHT, WIDTH))[0])
    lost = [s is ObjectState.LOST for s in states]
    assert lost == [False] * 4 + [True] * 3 + [False] * 3
    assert not any(m.any() for m in masks[4:7])
    assert masks[7].any() and masks[0].any()


def test_memory_stays_flat_over_many_frames(model: Sam2Model, frames: np.ndarray):
    tracker = StreamingTracker(model=model, config=TrackerConfig(ring_capacity=4))
    tracker.push_frame(frames[0])
    tracker.add_objects(point_prompt(*CLICKS))

    def held() -> tuple[int, int, int, int]:
        gc.collect()
        with warnings.catch_warnings():  # isinstance() touches deprecated torch module objects
            warnings.simplefilter("ignore")
            tensors = sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor))
        memories = [tracker.bank.get(i) for i in tracker.bank.ids()]
        containers = sum(len(m.recent) + len(m.masks) + len(m.conditioning) for m in memories)
        return tensors, tracker.bank.held_tensors(), containers, len(tracker.ring)

    for t in range(1, 40):
        tracker.push_frame(frames[t % len(frames)])
    before = held()
    rss_before = psutil.Process().memory_info().rss
    for t in range(40, 400):
        tracker.push_frame(frames[t % len(frames)])
    after = held()
    rss_growth = psutil.Process().memory_info().rss - rss_before
    assert after == before
    assert rss_growth < 16 * 2**20, f"RSS grew by {rss_growth / 2**20:.1f} MiB over 360 frames"


def test_adding_on_an_older_ring_frame_catches_up_to_the_latest_frame(
    model: Sam2Model, frames: np.ndarray
):
    live = StreamingTracker(model=model, config=TrackerConfig())
    late = StreamingTracker(model=model, config=TrackerConfig())
    for t in range(8):
        live.push_frame(frames[t])
        late.push_frame(frames[t])
        if t == 2:
            live.add_objects(point_prompt(CLICKS[0]))
    late.add_objects(point_prompt(CLICKS[0]), frame_index=2)
    expected = live.push_frame(frames[8])
    result = late.push_frame(frames[8])
    torch.testing.assert_close(result.low_res_logits, expected.low_res_logits)
    assert list(late.bank.get(0).masks) == list(live.bank.get(0).masks)


def test_hidden_state_and_mask_prompts_start_tracks(model: Sam2Model, frames: np.ndarray):
    tracker = StreamingTracker(model=model, config=TrackerConfig())
    tracker.push_frame(frames[0])
    mask = torch.zeros(1, HEIGHT, WIDTH, dtype=torch.bool)
    mask[0, 10:30, 20:50] = True
    started = tracker.add_objects(HiddenStatePrompt(tokens=torch.randn(2, 2, 32)))
    started_mask = tracker.add_objects(MaskPrompt(masks=mask))
    assert started.object_ids == (0, 1) and started_mask.object_ids == (2,)
    assert started_mask.masks((HEIGHT, WIDTH))[0].any()
    result = tracker.push_frame(frames[1])
    assert result.object_ids == (0, 1, 2)
    assert result.low_res_logits.shape == (3, 1, 16, 16)


def test_tracker_reports_misuse_clearly(model: Sam2Model, frames: np.ndarray):
    tracker = StreamingTracker(model=model, config=TrackerConfig(max_objects=1))
    with pytest.raises(NotReadyError, match="push a frame before adding objects"):
        tracker.add_objects(point_prompt(CLICKS[0]))
    tracker.push_frame(frames[0])
    with pytest.raises(BadInputError, match="holds at most 1"):
        tracker.add_objects(point_prompt(*CLICKS))
    with pytest.raises(BadInputError, match="object 5 is not tracked"):
        tracker.remove_object(5)
    with pytest.raises(BadInputError, match="start frame 4 is outside the clip of 2 frames"):
        track_clip(
            model,
            preprocess_frames(frames[:2], image_size=64),
            [ClipStart(frame_index=4, prompt=point_prompt(CLICKS[0]))],
        )
