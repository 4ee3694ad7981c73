"""Point and box prompts against the `sam2` package's interactive video predictor.

The reference is built the way its users get it: ``build_sam2_video_predictor`` on the official
``sam2.1_hiera_b+.yaml`` (interactive settings on), at 256 px, carrying our random weights.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sam2.build_sam import build_sam2_video_predictor
from sam2.sam2_video_predictor import SAM2VideoPredictor
from tracking_support import HEIGHT, WIDTH, package_state, set_object_score

from unipixel_ros.errors import ConfigError
from unipixel_ros.sam import (
    BoxPrompt,
    HiddenStatePrompt,
    MaskPrompt,
    PointPrompt,
    Sam2Config,
    Sam2Model,
    build_sam2,
    package_key,
    preprocess_frames,
    upscale_logits,
)
from unipixel_ros.sam.hole_filling import background_components
from unipixel_ros.tracking import InteractivePromptSettings, StreamingTracker, TrackerConfig

SIZE = 256
B_PLUS_YAML = "configs/sam2.1/sam2.1_hiera_b+.yaml"
CLICKS = ((30.0, 20.0), (60.0, 30.0))
# sam2 1.1.0 stores bf16 memories; without its CUDA extension it skips hole filling.
NO_HOLE_FILLING = TrackerConfig(
    memory_dtype=torch.bfloat16, interactive=InteractivePromptSettings(fill_hole_area=0)
)
INTERACTIVE = TrackerConfig(memory_dtype=torch.bfloat16)


@pytest.fixture(scope="module")
def b_plus() -> Sam2Model:
    torch.manual_seed(0)
    model = build_sam2(Sam2Config.hiera_b_plus(SIZE))
    set_object_score(model, 3.0, keep_weights=True)
    return model


@pytest.fixture(scope="module")
def package_predictor(b_plus: Sam2Model) -> SAM2VideoPredictor:
    predictor = build_sam2_video_predictor(
        B_PLUS_YAML, device="cpu", hydra_overrides_extra=[f"++model.image_size={SIZE}"]
    )
    weights = {package_key(k): v for k, v in b_plus.state_dict().items()}
    predictor.load_state_dict(weights, strict=True)
    return predictor.eval()


@pytest.fixture(scope="module")
def video() -> np.ndarray:
    """40 frames of a smooth moving pattern (past the 7-frame mask and 16-pointer windows)."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    frames = [
        np.stack([np.sin((x + 2 * t) / 6), np.cos(y / 5 - t / 7), np.sin((x + y) / 9)], -1)
        for t in range(40)
    ]
    return ((np.stack(frames) + 1) * 127.5).astype(np.uint8)


def _scale() -> torch.Tensor:
    return torch.tensor([SIZE / WIDTH, SIZE / HEIGHT])


@pytest.fixture
def package_hole_filling(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's hole filling, active on CPU: our components instead of its CUDA kernel."""
    monkeypatch.setattr("sam2.utils.misc.get_connected_components", background_components)


def _package_clicks() -> list[dict]:
    return [
        {"points": torch.tensor([c]), "labels": torch.tensor([1], dtype=torch.int32)}
        for c in CLICKS
    ]


def _clicks(points: tuple[tuple[float, float], ...]) -> PointPrompt:
    coords = torch.tensor(points, dtype=torch.float32)[:, None] * _scale()
    return PointPrompt(coords=coords, labels=torch.ones(len(points), 1, dtype=torch.int32))


def _package_tracks(
    predictor: SAM2VideoPredictor, frames: np.ndarray, tmp_path: Path, prompts: list[dict]
) -> dict[int, torch.Tensor]:
    """Frame-size logits of the package, one ``add_new_points_or_box`` per object on frame 0."""
    state = package_state(predictor, preprocess_frames(frames, image_size=SIZE), tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the skipped hole filling warns on every frame
        for obj_id, prompt in enumerate(prompts):
            predictor.add_new_points_or_box(state, frame_idx=0, obj_id=obj_id, **prompt)
        return {t: masks[:, 0] for t, _, masks in predictor.propagate_in_video(state)}


def _our_tracks(
    model: Sam2Model, frames: np.ndarray, prompt: PointPrompt | BoxPrompt, config: TrackerConfig
) -> dict[int, torch.Tensor]:
    tracker = StreamingTracker(model=model, config=config)
    tracks = {}
    for t, frame in enumerate(frames):
        result = tracker.push_frame(frame)
        if t == 0:
            result = tracker.add_objects(prompt)
        tracks[t] = upscale_logits(result.low_res_logits, (HEIGHT, WIDTH))
    return tracks


def _assert_same_tracks(
    ours: dict[int, torch.Tensor], theirs: dict[int, torch.Tensor], *, exact_masks: bool = True
) -> None:
    """Logits within 1e-4; masks identical, or (``exact_masks=False``) identical wherever the
    logit is further than that tolerance from the threshold."""
    assert ours.keys() == theirs.keys()
    for t in ours:
        torch.testing.assert_close(ours[t], theirs[t], rtol=0, atol=1e-4, msg=f"frame {t}")
        undecided = theirs[t].abs() <= (0 if exact_masks else 1e-4)
        assert torch.equal((ours[t] > 0) | undecided, (theirs[t] > 0) | undecided), f"frame {t}"


def test_two_clicked_objects_track_as_the_package_interactive_predictor_over_40_frames(
    b_plus: Sam2Model, package_predictor: SAM2VideoPredictor, video: np.ndarray, tmp_path: Path
):
    theirs = _package_tracks(package_predictor, video, tmp_path, _package_clicks())
    ours = _our_tracks(b_plus, video, _clicks(CLICKS), NO_HOLE_FILLING)
    _assert_same_tracks(ours, theirs)
    assert any((theirs[t] > 0).any() for t in theirs), "the comparison covers non-empty masks"


def test_hole_filling_matches_the_package_when_its_connected_components_are_available(
    b_plus: Sam2Model,
    package_predictor: SAM2VideoPredictor,
    video: np.ndarray,
    tmp_path: Path,
    package_hole_filling: None,
):
    clip = video[:10]
    theirs = _package_tracks(package_predictor, clip, tmp_path, _package_clicks())
    filled = _our_tracks(b_plus, clip, _clicks(CLICKS), INTERACTIVE)
    _assert_same_tracks(filled, theirs)
    unfilled = _our_tracks(b_plus, clip, _clicks(CLICKS), NO_HOLE_FILLING)
    assert any(not torch.equal(filled[t], unfilled[t]) for t in filled), "some hole was filled"


def test_box_prompt_tracks_as_the_package_interactive_predictor(
    b_plus: Sam2Model,
    package_predictor: SAM2VideoPredictor,
    video: np.ndarray,
    tmp_path: Path,
    package_hole_filling: None,
):
    box = (10.0, 8.0, 50.0, 40.0)
    clip = video[:10]
    theirs = _package_tracks(package_predictor, clip, tmp_path, [{"box": torch.tensor(box)}])
    prompt = BoxPrompt(boxes=torch.tensor([box]) * _scale().repeat(2))
    _assert_same_tracks(_our_tracks(b_plus, clip, prompt, INTERACTIVE), theirs)


def test_two_point_prompt_falls_back_to_the_stable_multimask_output_as_the_package(
    b_plus: Sam2Model,
    package_predictor: SAM2VideoPredictor,
    video: np.ndarray,
    tmp_path: Path,
    package_hole_filling: None,
):
    points = ((30.0, 20.0), (36.0, 24.0))
    prompt = PointPrompt(
        coords=torch.tensor([points]) * _scale(), labels=torch.ones(1, 2, dtype=torch.int32)
    )
    features = b_plus.encode_images(preprocess_frames(video[:1], image_size=SIZE))[0]
    with torch.inference_mode():
        plain = b_plus.decode_prompt(features, prompt)
        stable = b_plus.decode_prompt(features, prompt, stability_fallback=True)
    assert not torch.equal(plain.low_res_logits, stable.low_res_logits), "fallback taken"
    clip = video[:10]
    package_prompt = {"points": torch.tensor(points), "labels": torch.ones(2, dtype=torch.int32)}
    theirs = _package_tracks(package_predictor, clip, tmp_path, [package_prompt])
    ours = _our_tracks(b_plus, clip, prompt, INTERACTIVE)
    _assert_same_tracks(ours, theirs, exact_masks=False)


def test_hidden_state_and_mask_prompts_ignore_the_interactive_settings(
    model: Sam2Model, frames: np.ndarray
):
    torch.manual_seed(3)
    prompts = (
        HiddenStatePrompt(torch.randn(2, 1, 32)),
        MaskPrompt(torch.rand(2, HEIGHT, WIDTH) > 0.5),
    )
    off = TrackerConfig(interactive=InteractivePromptSettings.off())
    for prompt in prompts:
        runs = []
        for config in (TrackerConfig(), off):
            tracker = StreamingTracker(model=model, config=config)
            logits = []
            for t, frame in enumerate(frames):
                result = tracker.push_frame(frame)
                if t == 0:
                    result = tracker.add_objects(prompt)
                logits.append(result.low_res_logits)
            runs.append(torch.stack(logits))
        assert torch.equal(runs[0], runs[1])


def test_interactive_settings_are_on_by_default_and_a_negative_hole_area_is_refused():
    assert TrackerConfig().interactive == InteractivePromptSettings(
        binarize_memory=True, stability_fallback=True, fill_hole_area=8
    )
    with pytest.raises(ConfigError, match="fill_hole_area must be >= 0, got -1"):
        InteractivePromptSettings(fill_hole_area=-1)
