"""Every SAM 2.1 graph TensorRT would consume runs in onnxruntime and matches PyTorch, at two
or more values of each dynamic dim (exported at yet another value)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import onnx
import pytest
import torch

from unipixel_ros.accel.engines.onnx_export import (
    DYNAMO_OPSET,
    OnnxExporter,
    check_onnx_parity,
    export_onnx,
)
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.image_encoder import image_encoder_part
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
from unipixel_ros.accel.parts.sam2.memory_attention import memory_attention_part
from unipixel_ros.accel.parts.sam2.memory_encoder import memory_encoder_part
from unipixel_ros.accel.parts.sam2.prompt_decoder import prompt_decoder_part
from unipixel_ros.sam import Sam2Model

# fp32 PyTorch vs fp32 onnxruntime: kernels differ only in summation order. Measured worst
# case on the tiny config is ~1e-6 (see docs/acceleration.md); 1e-4 leaves margin without
# hiding a wrong graph (wrong graphs differ by >1e-2 on these logits).
ONNX_TOLERANCE = 1e-4
LIMITS = Sam2PartLimits()


def exported(part: AcceleratedPart, directory: Path) -> Path:
    return export_onnx(part, directory / f"{part.name}.onnx")


def assert_parity(path: Path, part: AcceleratedPart, inputs: tuple[torch.Tensor, ...]) -> None:
    report = check_onnx_parity(path, part, inputs)
    assert report.worst <= ONNX_TOLERANCE, report.describe()


def decoder_inputs(
    model: Sam2Model, num_objects: int, num_points: int, num_hidden: int
) -> tuple[torch.Tensor, ...]:
    part = prompt_decoder_part(
        model,
        limits=LIMITS,
        num_hidden_tokens=num_hidden,
        example_objects=num_objects,
        example_points=num_points,
    )
    inputs = list(part.example_inputs)
    inputs[4] = torch.randint(-1, 4, (num_objects, num_points), dtype=torch.int32)
    return tuple(inputs)


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


def test_image_encoder_onnx_matches_torch_for_1_and_3_frames(
    sam2_present: Sam2Model, onnx_dir: Path
) -> None:
    part = image_encoder_part(sam2_present, limits=LIMITS, example_frames=2)
    path = exported(part, onnx_dir)
    size = sam2_present.image_size
    for frames in (1, 3):
        assert_parity(path, part, (torch.randn(frames, 3, size, size),))


@pytest.mark.parametrize("num_hidden", [0, 2])
@pytest.mark.parametrize("multimask", [True, False])
def test_prompt_decoder_onnx_matches_torch_for_varying_objects_and_points(
    sam2_present: Sam2Model, onnx_dir: Path, num_hidden: int, multimask: bool
) -> None:
    part = prompt_decoder_part(
        sam2_present,
        limits=LIMITS,
        num_hidden_tokens=num_hidden,
        multimask_output=multimask,
        example_objects=2,
        example_points=2,
    )
    path = exported(part, onnx_dir)
    for num_objects, num_points in ((1, 1), (3, 1), (1, 5), (4, 3)):
        assert_parity(path, part, decoder_inputs(sam2_present, num_objects, num_points, num_hidden))


def test_prompt_decoder_onnx_gates_absent_objects(sam2_absent: Sam2Model, onnx_dir: Path) -> None:
    part = prompt_decoder_part(sam2_absent, limits=LIMITS, example_objects=2, example_points=2)
    path = export_onnx(part, onnx_dir / "absent_decoder.onnx")
    assert_parity(path, part, decoder_inputs(sam2_absent, 3, 2, 0))


def test_memory_attention_onnx_matches_torch_for_varying_memory(
    sam2_present: Sam2Model, onnx_dir: Path
) -> None:
    part = memory_attention_part(
        sam2_present,
        limits=LIMITS,
        example_objects=2,
        example_memory_frames=2,
        example_pointers=2,
    )
    path = exported(part, onnx_dir)
    for num_objects, memory_frames, pointers in ((1, 1, 1), (3, 3, 4), (2, 7, 16)):
        inputs = memory_attention_part(
            sam2_present,
            limits=LIMITS,
            example_objects=num_objects,
            example_memory_frames=memory_frames,
            example_pointers=pointers,
        ).example_inputs
        assert_parity(path, part, inputs)


def test_memory_encoder_onnx_matches_torch_for_1_and_4_objects(
    sam2_present: Sam2Model, onnx_dir: Path
) -> None:
    part = memory_encoder_part(sam2_present, limits=LIMITS, example_objects=2)
    path = exported(part, onnx_dir)
    for num_objects in (1, 4):
        inputs = memory_encoder_part(
            sam2_present, limits=LIMITS, example_objects=num_objects
        ).example_inputs
        scaled = (inputs[0], inputs[1] * 4, torch.linspace(-1, 1, num_objects)[:, None])
        assert_parity(path, part, scaled)


def test_exported_graph_declares_the_contract_names_and_dynamic_dims(
    sam2_present: Sam2Model, onnx_dir: Path
) -> None:
    part = prompt_decoder_part(
        sam2_present, limits=LIMITS, num_hidden_tokens=2, example_objects=2, example_points=2
    )
    graph = onnx.load(str(export_onnx(part, onnx_dir / "contract.onnx"))).graph
    assert [value.name for value in graph.input] == list(part.input_names)
    assert [value.name for value in graph.output] == list(part.output_names)
    coords = next(value for value in graph.input if value.name == "point_coords")
    dims = [dim.dim_param or dim.dim_value for dim in coords.type.tensor_type.shape.dim]
    assert dims == ["objects", "points", 2]


def test_dynamo_exporter_request_falls_back_to_torchscript_without_onnxscript(
    sam2_present: Sam2Model, onnx_dir: Path
) -> None:
    if importlib.util.find_spec("onnxscript") is not None:
        pytest.skip("onnxscript is installed here; the fallback path is not taken")
    part = memory_encoder_part(sam2_present, limits=LIMITS, example_objects=2)
    path = export_onnx(part, onnx_dir / "dynamo_request.onnx", exporter=OnnxExporter.DYNAMO)
    assert_parity(path, part, part.example_inputs)


def test_dynamo_export_matches_torch_where_onnxscript_is_installed(
    sam2_present: Sam2Model, onnx_dir: Path
) -> None:
    pytest.importorskip("onnxscript", reason="onnxscript (dynamo exporter) is not installed")
    part = memory_encoder_part(sam2_present, limits=LIMITS, example_objects=2)
    path = export_onnx(part, onnx_dir / "dynamo_encoder.onnx", exporter=OnnxExporter.DYNAMO)
    assert onnx.load(str(path)).opset_import[0].version == DYNAMO_OPSET
    for num_objects in (1, 4):
        inputs = memory_encoder_part(
            sam2_present, limits=LIMITS, example_objects=num_objects
        ).example_inputs
        assert_parity(path, part, inputs)
