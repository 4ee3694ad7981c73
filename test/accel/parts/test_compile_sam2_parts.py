"""torch.compile (fullgraph: no graph breaks, a precondition for CUDA-graph capture) of the
tracker-step parts matches eager on CPU. Slow: 35-55 s of inductor compilation per part on a
2-core CPU."""

from __future__ import annotations

import pytest
import torch

from unipixel_ros.accel.backends.protocol import EagerBackend
from unipixel_ros.accel.backends.torch_compile import CompileBackend
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
from unipixel_ros.accel.parts.sam2.memory_attention import memory_attention_part
from unipixel_ros.accel.parts.sam2.prompt_decoder import prompt_decoder_part
from unipixel_ros.sam import Sam2Model

CPU = torch.device("cpu")
COMPILE_TOLERANCE = 1e-5


def step_part(model: Sam2Model, name: str) -> AcceleratedPart:
    limits = Sam2PartLimits()
    if name == "memory_attention":
        return memory_attention_part(
            model, limits=limits, example_objects=2, example_memory_frames=2, example_pointers=2
        )
    return prompt_decoder_part(
        model, limits=limits, num_hidden_tokens=2, example_objects=2, example_points=2
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["memory_attention", "hidden_prompt_decoder"])
def test_compiled_tracker_step_part_matches_eager(sam2_present: Sam2Model, name: str) -> None:
    backend = CompileBackend(fullgraph=True)
    availability = backend.availability(CPU)
    if not availability.available:
        pytest.skip(f"torch.compile unavailable on this CPU: {availability.detail}")
    part = step_part(sam2_present, name)
    got = backend.prepare(part, CPU)(*part.example_inputs)
    want = EagerBackend().prepare(part, CPU)(*part.example_inputs)
    for output, compiled, eager in zip(part.output_names, got, want, strict=True):
        diff = float((compiled - eager).abs().max())
        assert diff <= COMPILE_TOLERANCE, f"{output}: compile vs eager max abs diff {diff:.2e}"
