"""The compiled tracking step: per bucket, the same tracks as the package's eager step, no
recompilation when objects come and go inside a bucket; and ``torch.export`` of the step
matches eager. Slow: about 15-35 s of inductor compilation per bucket on a 2-core CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch._dynamo.utils import counters

from unipixel_ros.accel.backends.torch_compile import CompileBackend
from unipixel_ros.accel.parts.sam2.tracking_step import Sam2TrackingStep, tracking_step_part
from unipixel_ros.accel.parts.tracking_step import BucketedTrackingStep
from unipixel_ros.sam import PointPrompt, Sam2Model
from unipixel_ros.tracking import StreamingTracker, TrackerConfig

CPU = torch.device("cpu")
TOLERANCE = 1e-5


def _clicks(*points: tuple[float, float]) -> PointPrompt:
    coords = torch.tensor(points, dtype=torch.float32)[:, None]
    return PointPrompt(coords=coords, labels=torch.ones(len(points), 1, dtype=torch.int32))


@pytest.mark.slow
def test_compiled_step_tracks_like_eager_and_never_recompiles_inside_a_bucket(
    sam2_present: Sam2Model,
) -> None:
    backend = CompileBackend(dynamic=False, fullgraph=True)
    if not backend.availability(CPU).available:
        pytest.skip(backend.availability(CPU).detail)
    step = BucketedTrackingStep(model=sam2_present, backend=backend, buckets=(1, 4))
    graphs = counters["stats"]["unique_graphs"]
    frames = np.random.default_rng(1).integers(0, 256, size=(10, 48, 64, 3), dtype=np.uint8)
    config = TrackerConfig(max_objects=4)
    eager = StreamingTracker(model=sam2_present, config=config)
    compiled = StreamingTracker(model=sam2_present, config=config, step=step)
    counts = []
    with torch._dynamo.config.patch(error_on_recompile=True):
        for t, frame in enumerate(frames):
            results = [tracker.push_frame(frame) for tracker in (eager, compiled)]
            for tracker in (eager, compiled):
                if t == 0:
                    tracker.add_objects(_clicks((20.0, 20.0)))
                if t in (2, 4):  # a 2nd and a 3rd object: bucket 4
                    tracker.add_objects(_clicks((40.0 + t, 30.0)))
                if t == 6:
                    tracker.remove_object(1)
            ours, theirs = results[1], results[0]
            counts.append(len(ours.object_ids))
            assert ours.object_ids == theirs.object_ids
            torch.testing.assert_close(
                ours.low_res_logits, theirs.low_res_logits, rtol=0, atol=TOLERANCE
            )
            assert torch.equal(ours.low_res_logits > 0, theirs.low_res_logits > 0)
    assert counts == [0, 1, 1, 2, 2, 3, 3, 2, 2, 2]
    assert counters["stats"]["unique_graphs"] == graphs, "a bucket was compiled again"


def test_exported_step_matches_eager(sam2_present: Sam2Model) -> None:
    module = Sam2TrackingStep(model=sam2_present).eval()
    part = tracking_step_part(sam2_present, bucket=2, module=module)
    inputs = list(part.example_inputs)
    layout = inputs[-1].clone()
    t_count, p_count = sam2_present.num_maskmem, sam2_present.max_obj_ptrs_in_encoder
    meta = layout[:, -(2 * t_count + 2 * p_count) :]
    meta[0, :t_count] = torch.arange(t_count).flip(0)  # time indices
    meta[1, t_count + 1 : 2 * t_count] = 0  # object 1: only its conditioning memory
    meta[1, 2 * t_count + p_count + 1 :] = 0
    inputs[-1] = layout
    with torch.no_grad():
        exported = torch.export.export(module, tuple(inputs))
        got = exported.module()(*inputs)
        want = module(*inputs)
    for name, a, b in zip(part.output_names, got, want, strict=True):
        diff = float((a - b).abs().max())
        assert diff <= TOLERANCE, f"{name}: exported vs eager max abs diff {diff:.2e}"
