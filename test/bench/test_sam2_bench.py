"""SAM 2.1 stage bench: backend choice per part, and our tracking step's tensor contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from unipixel_ros.accel import EngineCache, make_backends
from unipixel_ros.bench.sam2 import Sam2StageBench
from unipixel_ros.bench.sam2_runners import prepare_sam2_runners
from unipixel_ros.bench.steady_memory import steady_memory
from unipixel_ros.sam import Sam2Model

CPU = torch.device("cpu")


def test_tensorrt_request_on_cpu_falls_back_with_one_reason_line(
    sam2_present: Sam2Model, tmp_path: Path
) -> None:
    runners = prepare_sam2_runners(
        sam2_present,
        requested="tensorrt",
        device=CPU,
        backends=make_backends(engine_cache=EngineCache(directory=tmp_path)),
        hidden_tokens=2,
    )
    assert len(runners.reasons) == 1
    assert "requested tensorrt" in runners.reasons[0]
    assert "TensorRT needs a CUDA device" in runners.reasons[0]
    assert "tensorrt" not in {backend.value for backend in runners.backends.values()}


def test_our_tracking_step_returns_masks_pointers_and_memory_per_object(
    sam2_present: Sam2Model, tmp_path: Path
) -> None:
    runners = prepare_sam2_runners(
        sam2_present, requested="eager", device=CPU, backends=make_backends(), hidden_tokens=2
    )
    frames = np.random.default_rng(0).integers(0, 256, (2, 48, 64, 3), dtype=np.uint8)
    bench = Sam2StageBench(
        model=sam2_present,
        runners=runners,
        device=CPU,
        frames=frames,
        repeats=1,
        warmup=0,
        workdir=tmp_path,
    )
    memory = steady_memory(sam2_present, 3)
    grid = sam2_present.image_size // 16
    size = sam2_present.image_size
    encoded = runners.image_encoder(torch.zeros(1, 3, size, size))
    with torch.inference_mode():
        best, score, pointer, (features, pos) = bench.ours_track_step(encoded, memory)
    assert best.shape == (3, 1, 4 * grid, 4 * grid)
    assert score.shape == (3, 1)
    assert pointer.shape == (3, sam2_present.hidden_dim)
    assert features.shape == pos.shape == (3, sam2_present.mem_dim, grid, grid)


def test_steady_memory_fills_the_whole_memory_window(sam2_present: Sam2Model) -> None:
    memory = steady_memory(sam2_present, 2)
    grid = sam2_present.image_size // 16
    tokens_per_pointer = sam2_present.hidden_dim // sam2_present.mem_dim
    assert memory.spatial.shape[1] == sam2_present.num_maskmem * grid * grid
    assert memory.pointers.shape[1] == sam2_present.max_obj_ptrs_in_encoder * tokens_per_pointer
    stored = memory.package_store["non_cond_frame_outputs"]
    assert max(stored) == memory.frame_index - 1
    assert len(stored) + 1 >= sam2_present.max_obj_ptrs_in_encoder
