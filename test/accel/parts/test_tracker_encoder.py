"""The tracker's image-encoder pass on a backend: the compiled encoder gives the eager features
and the same tracks, and a backend that cannot run falls back with a reason. Slow: about 25 s
of inductor compilation on a 2-core CPU (once per session; later builds hit the cache)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.torch_compile import CompileBackend
from unipixel_ros.accel.parts.frame_encoder import resolve_frame_encoder
from unipixel_ros.errors import ConfigError
from unipixel_ros.sam import PointPrompt, Sam2Model
from unipixel_ros.tracking import FrameEncoder, StreamingTracker, TrackerConfig

HEIGHT, WIDTH = 48, 80
FEATURE_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def compiled(sam2_present: Sam2Model) -> FrameEncoder:
    availability = CompileBackend().availability(sam2_present.device)
    if not availability.available:
        pytest.skip(f"torch.compile unavailable on this CPU: {availability.detail}")
    choice = resolve_frame_encoder("compile", model=sam2_present)
    assert choice.backend is BackendName.COMPILE, choice.reason
    return choice.encoder


def _frames(count: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 60, size=(count, HEIGHT, WIDTH, 3), dtype=np.uint8)
    for t, frame in enumerate(frames):
        frame[10:30, 20 + t : 44 + t] = (220, 40, 40)
    return frames


@pytest.mark.slow
def test_the_compiled_encoder_gives_the_eager_features(
    sam2_present: Sam2Model, compiled: FrameEncoder
) -> None:
    frame = _frames(1)[0]
    eager = FrameEncoder(model=sam2_present).encode(frame)
    fast = compiled.encode(frame)
    assert compiled.accelerated
    assert fast.feat_sizes == eager.feat_sizes
    for ours, reference in zip(fast.vision_feats, eager.vision_feats, strict=True):
        assert ours.shape == reference.shape
        torch.testing.assert_close(ours, reference, atol=FEATURE_TOLERANCE, rtol=0.0)
    for ours, reference in zip(fast.vision_pos_embeds, eager.vision_pos_embeds, strict=True):
        torch.testing.assert_close(ours, reference, atol=0.0, rtol=0.0)


@pytest.mark.slow
def test_tracking_with_the_compiled_encoder_gives_the_eager_tracks(
    sam2_present: Sam2Model, compiled: FrameEncoder
) -> None:
    config = TrackerConfig(max_objects=4, ring_capacity=4)
    trackers = [
        StreamingTracker(model=sam2_present, config=config),
        StreamingTracker(model=sam2_present, config=config, encoder=compiled),
    ]
    click = PointPrompt(
        coords=torch.tensor([[[25.0, 26.0]]]), labels=torch.ones(1, 1, dtype=torch.int32)
    )
    for t, frame in enumerate(_frames(5)):
        results = [tracker.push_frame(frame) for tracker in trackers]
        if t == 0:
            results = [tracker.add_objects(click) for tracker in trackers]
        eager, fast = results
        assert fast.object_ids == eager.object_ids == (0,)
        torch.testing.assert_close(fast.low_res_logits, eager.low_res_logits, atol=1e-3, rtol=0)
        assert torch.equal(fast.masks((HEIGHT, WIDTH)), eager.masks((HEIGHT, WIDTH)))


def test_eager_runs_the_model_itself(sam2_present: Sam2Model) -> None:
    choice = resolve_frame_encoder("eager", model=sam2_present)
    assert choice.backend is BackendName.EAGER
    assert not choice.encoder.accelerated
    assert choice.reason == "SAM 2.1 image encoder: eager"


@pytest.mark.slow
def test_tensorrt_without_a_gpu_falls_back_and_says_why(
    sam2_present: Sam2Model, compiled: FrameEncoder
) -> None:
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: TensorRT may really run here")
    choice = resolve_frame_encoder("tensorrt", model=sam2_present)
    assert choice.backend is BackendName.COMPILE
    assert choice.encoder.accelerated
    assert "requested tensorrt, unavailable: tensorrt:" in choice.reason


def test_an_unknown_backend_is_a_config_error(sam2_present: Sam2Model) -> None:
    with pytest.raises(ConfigError, match="unknown backend 'onnx'"):
        resolve_frame_encoder("onnx", model=sam2_present)
