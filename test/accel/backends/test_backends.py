from __future__ import annotations

import pytest
import torch
from torch import nn

from unipixel_ros.accel.backends.fallback import (
    make_backends,
    prepare_with_fallback,
    resolve_backend,
)
from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.protocol import EagerBackend, InferenceBackend
from unipixel_ros.accel.backends.torch_compile import CompileBackend
from unipixel_ros.accel.engines.cache import EngineCache
from unipixel_ros.accel.engines.key import ShapeProfile, TensorShapeRange
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.errors import ConfigError

CPU = torch.device("cpu")
# The meta device runs nothing real; eager "runs" there, compile and TensorRT are unavailable.
META = torch.device("meta")


class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(8, 16)
        self.second = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.second(torch.nn.functional.gelu(self.first(x))),)


def tiny_part(*, cuda_graphs: bool = False) -> AcceleratedPart:
    torch.manual_seed(0)
    return AcceleratedPart(
        name="two_layer",
        module=TwoLayer(),
        input_names=("x",),
        output_names=("y",),
        example_inputs=(torch.randn(3, 8),),
        dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
        shape_profile=ShapeProfile(
            (TensorShapeRange(name="x", min=(1, 8), opt=(3, 8), max=(8, 8)),)
        ),
        cuda_graphs=cuda_graphs,
    )


@pytest.fixture
def backends(tmp_path: object) -> dict[BackendName, InferenceBackend]:
    return make_backends(engine_cache=EngineCache(directory=tmp_path))  # type: ignore[arg-type]


def test_every_backend_implements_the_protocol(
    backends: dict[BackendName, InferenceBackend],
) -> None:
    assert set(backends) == set(BackendName)
    for name, backend in backends.items():
        assert isinstance(backend, InferenceBackend)
        assert backend.name is name


def test_eager_is_chosen_when_requested(backends: dict[BackendName, InferenceBackend]) -> None:
    choice = resolve_backend("eager", device=CPU, backends=backends)
    assert choice.backend.name is BackendName.EAGER
    assert not choice.fell_back
    assert choice.reason == "backend eager: PyTorch eager on cpu"


def test_tensorrt_on_cpu_falls_back_with_one_line_reason(
    backends: dict[BackendName, InferenceBackend],
) -> None:
    choice = resolve_backend(BackendName.TENSORRT, device=CPU, backends=backends)
    compile_works = backends[BackendName.COMPILE].availability(CPU).available
    expected = BackendName.COMPILE if compile_works else BackendName.EAGER
    assert choice.backend.name is expected
    assert choice.fell_back
    assert "\n" not in choice.reason
    assert choice.reason.startswith(f"backend {expected.value} (requested tensorrt, unavailable: ")
    assert "tensorrt: TensorRT needs a CUDA device, got cpu" in choice.reason


def test_fallback_walks_tensorrt_then_compile_then_eager(
    backends: dict[BackendName, InferenceBackend],
) -> None:
    choice = resolve_backend("tensorrt", device=META, backends=backends)
    assert choice.backend.name is BackendName.EAGER
    assert "tensorrt: TensorRT needs a CUDA device, got meta" in choice.reason
    assert "compile: torch.compile is not set up for device type meta" in choice.reason


def test_missing_backend_in_mapping_is_skipped_with_a_reason() -> None:
    only_eager: dict[BackendName, InferenceBackend] = {BackendName.EAGER: EagerBackend()}
    choice = resolve_backend("compile", device=CPU, backends=only_eager)
    assert choice.backend.name is BackendName.EAGER
    assert "compile: not configured" in choice.reason


def test_unknown_backend_name_is_a_config_error(
    backends: dict[BackendName, InferenceBackend],
) -> None:
    with pytest.raises(ConfigError, match=r"unknown backend 'onnx'; expected one of \['eager'"):
        resolve_backend("onnx", device=CPU, backends=backends)


def test_mapping_without_eager_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="must contain 'eager'"):
        resolve_backend("compile", device=CPU, backends={BackendName.COMPILE: CompileBackend()})


def test_mapping_under_the_wrong_name_is_a_config_error() -> None:
    wrong = {BackendName.EAGER: EagerBackend(), BackendName.COMPILE: EagerBackend()}
    with pytest.raises(ConfigError, match="'compile' maps to a 'eager'"):
        resolve_backend("eager", device=CPU, backends=wrong)  # type: ignore[arg-type]


def test_compile_uses_cuda_graphs_only_for_step_parts_on_cuda() -> None:
    backend = CompileBackend()
    cuda = torch.device("cuda", 0)
    assert backend.mode_for(tiny_part(cuda_graphs=True), cuda) == "reduce-overhead"
    assert backend.mode_for(tiny_part(cuda_graphs=False), cuda) == "default"
    assert backend.mode_for(tiny_part(cuda_graphs=True), CPU) == "default"


def test_prepared_part_on_unavailable_tensorrt_matches_eager(
    backends: dict[BackendName, InferenceBackend],
) -> None:
    # Without compile in the mapping (its own parity test is below), TensorRT falls to eager.
    del backends[BackendName.COMPILE]
    part = tiny_part()
    prepared = prepare_with_fallback(part, requested="tensorrt", device=CPU, backends=backends)
    assert prepared.backend is BackendName.EAGER
    assert "compile: not configured" in prepared.reason
    x = torch.randn(5, 8)
    (want,) = EagerBackend().prepare(part, CPU)(x)
    (got,) = prepared.runner(x)
    assert torch.allclose(got, want, atol=1e-5), float((got - want).abs().max())


def test_compile_backend_matches_eager_on_cpu() -> None:
    backend = CompileBackend(fullgraph=True)
    availability = backend.availability(CPU)
    if not availability.available:
        pytest.skip(f"torch.compile unavailable on this CPU: {availability.detail}")
    part = tiny_part()
    runner = backend.prepare(part, CPU)
    x = torch.randn(3, 8)
    try:
        (got,) = runner(x)
    except Exception as err:
        pytest.skip(f"torch.compile does not work on this CPU: {type(err).__name__}: {err}")
    (want,) = EagerBackend().prepare(part, CPU)(x)
    diff = float((got - want).abs().max())
    assert diff <= 1e-5, f"compile vs eager max abs diff {diff:.2e}"
