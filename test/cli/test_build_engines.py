"""`unipixel-ros build-engines` on the tiny preset: ONNX export + onnxruntime parity always;
TensorRT engines only where ``tensorrt`` imports and a GPU is present (skipped visibly)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest
import torch

from unipixel_ros.accel import Sam2PartLimits, image_encoder_part
from unipixel_ros.cli.main import main
from unipixel_ros.model import QwenTokenizer, build_unipixel, save_unipixel, tiny_config

PARTS = (
    "sam2_image_encoder",
    "sam2_prompt_decoder",
    "sam2_prompt_decoder_single",
    "sam2_hidden_prompt_decoder",
    "sam2_memory_attention",
    "sam2_memory_encoder",
)
TENSORRT_HERE = importlib.util.find_spec("tensorrt") is not None and torch.cuda.is_available()
PARITY_LINE = re.compile(r"onnxruntime vs PyTorch: max abs diff (\S+) at")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["build-engines", *argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    engine_dir = tmp_path_factory.mktemp("engines")
    code, stdout, stderr = _run("--preset", "tiny", "--engine-dir", str(engine_dir))
    assert code == 0, stderr
    return engine_dir, code, stdout


def test_build_engines_exports_every_part_and_checks_parity(
    first_build: tuple[Path, int, str],
) -> None:
    engine_dir, _, stdout = first_build
    exported = sorted(path.name for path in (engine_dir / "onnx").glob("*.onnx"))
    assert [name.rsplit("-", 1)[0] for name in exported] == sorted(PARTS)
    diffs = [float(match) for match in PARITY_LINE.findall(stdout)]
    assert len(diffs) == 2 * len(PARTS), stdout
    assert max(diffs) < 1e-4, stdout


@pytest.mark.skipif(TENSORRT_HERE, reason="tensorrt and a GPU are present: engines are built")
def test_build_engines_says_why_no_engine_was_built_without_tensorrt(
    first_build: tuple[Path, int, str],
) -> None:
    engine_dir, _, stdout = first_build
    assert "TensorRT engines were NOT built:" in stdout
    reason = stdout.split("TensorRT engines were NOT built:")[1].splitlines()[0]
    assert "tensorrt is not importable" in reason or "no CUDA device" in reason
    assert not list(engine_dir.glob("*.engine"))


@pytest.mark.skipif(not TENSORRT_HERE, reason="needs tensorrt >= 10 and a CUDA GPU")
def test_build_engines_builds_one_engine_per_part_with_tensorrt(
    first_build: tuple[Path, int, str],
) -> None:
    engine_dir, _, stdout = first_build
    engines = sorted(engine_dir.glob("*.engine"))
    assert len(engines) == len(PARTS), stdout
    assert all(Path(f"{engine}.json").is_file() for engine in engines)


def test_build_engines_reuses_the_exported_graphs(first_build: tuple[Path, int, str]) -> None:
    engine_dir, _, _ = first_build
    code, stdout, stderr = _run(
        "--preset", "tiny", "--engine-dir", str(engine_dir), "--skip-parity"
    )
    assert code == 0, stderr
    assert stdout.count(" cached, ") == len(PARTS), stdout


def test_build_engines_refuses_int8_without_calibration_frames(tmp_path: Path) -> None:
    code, _, stderr = _run("--preset", "tiny", "--engine-dir", str(tmp_path), "--precision", "int8")
    assert code == 2
    assert "--precision int8 needs --calibration-bag" in stderr
    assert not (tmp_path / "onnx").exists()


def test_build_engines_reads_int8_calibration_frames_from_a_bag(
    first_build: tuple[Path, int, str], tmp_path: Path
) -> None:
    from unipixel_ros.synthetic.sample_bag import generate_sample_bag

    bag = generate_sample_bag(tmp_path / "bag", frames=3, progress=False).path
    engine_dir, _, _ = first_build
    code, stdout, stderr = _run(
        "--preset",
        "tiny",
        "--engine-dir",
        str(engine_dir),
        "--skip-parity",
        "--precision",
        "int8",
        "--calibration-bag",
        str(bag),
    )
    assert code == 0, stderr
    assert f"INT8 calibration: 3 frames from {bag}" in stdout


def test_build_engines_exports_the_sam2_weights_of_a_unipixel_checkpoint(
    tmp_path: Path, tokenizer: QwenTokenizer
) -> None:
    torch.manual_seed(5)
    model = build_unipixel(tiny_config(tokenizer)).eval()
    checkpoint = save_unipixel(model, tokenizer, tmp_path / "checkpoint")
    code, stdout, stderr = _run(
        "--model", str(checkpoint), "--engine-dir", str(tmp_path / "engines"), "--skip-parity"
    )
    assert code == 0, stderr
    assert f"weights from {checkpoint}" in stdout
    part = image_encoder_part(model.sam2, limits=Sam2PartLimits())
    digest = part.weights_digest()[:16]
    assert (tmp_path / "engines" / "onnx" / f"sam2_image_encoder-{digest}.onnx").is_file()
