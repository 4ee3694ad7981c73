"""A steady-state memory window for the tracking benchmarks, in our layout and the package's.

Tracked frames are timed in the steady state: every object reads a full memory window
(``num_maskmem`` spatial memories and ``max_obj_ptrs_in_encoder`` pointers, 7 and 16 for
b+). The memory contents are random; only their shapes matter for the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from unipixel_ros.accel.parts.sam2.limits import feature_grid
from unipixel_ros.sam import Sam2Model

__all__ = ["SteadyMemory", "steady_memory"]


@dataclass(frozen=True)
class SteadyMemory:
    """A full memory window for N objects, in the layouts of both paths.

    Args:
        spatial (`(N, T*G*G, Cm)`): T spatial memories, flattened (our memory attention part).
        spatial_pos (`(N, T*G*G, Cm)`): their position + temporal encodings.
        pointers (`(N, Q, Cm)`): object-pointer tokens (Q = pointers * C / Cm).
        pointers_pos (`(N, Q, Cm)`): their position encodings.
        package_store: the same window as the package's per-object output store
            (``cond_frame_outputs`` / ``non_cond_frame_outputs``) for ``track_step``.
        frame_index: the frame index a step on this memory has (after every stored frame).
    """

    spatial: torch.Tensor
    spatial_pos: torch.Tensor
    pointers: torch.Tensor
    pointers_pos: torch.Tensor
    package_store: dict[str, dict[int, dict[str, Any]]]
    frame_index: int

    @property
    def num_objects(self) -> int:
        return int(self.spatial.shape[0])


def steady_memory(model: Sam2Model, num_objects: int, *, seed: int = 0) -> SteadyMemory:
    """Random memory of the steady-state size for ``num_objects`` objects."""
    generator = torch.Generator().manual_seed(seed)
    device = model.device
    grid = feature_grid(model)
    width, mem = model.hidden_dim, model.mem_dim
    memories = model.num_maskmem
    pointers = model.max_obj_ptrs_in_encoder if model.use_obj_ptrs_in_encoder else 1
    window = max(memories - 1, pointers - 1, 1)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator).to(device)

    def entry() -> dict[str, Any]:
        return {
            "maskmem_features": rand(num_objects, mem, grid, grid),
            "maskmem_pos_enc": [rand(num_objects, mem, grid, grid)],
            "obj_ptr": rand(num_objects, width),
        }

    tokens = pointers * (width // mem)
    return SteadyMemory(
        spatial=rand(num_objects, memories * grid * grid, mem),
        spatial_pos=rand(num_objects, memories * grid * grid, mem),
        pointers=rand(num_objects, tokens, mem),
        pointers_pos=rand(num_objects, tokens, mem),
        package_store={
            "cond_frame_outputs": {0: entry()},
            "non_cond_frame_outputs": {t: entry() for t in range(1, window + 1)},
        },
        frame_index=window + 1,
    )
