from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from unipixel_ros.accel import BackendName
from unipixel_ros.bench import BenchPreset
from unipixel_ros.cli.options import (
    AUTO_MODEL,
    BACKEND_CHOICES,
    PRESET_CHOICES,
    SAM2_SIZE_CHOICES,
    add_backend_option,
    add_device_option,
    add_model_option,
    add_preset_option,
    add_rate_option,
)
from unipixel_ros.sam import Sam2Size


def test_the_choices_are_the_values_of_the_backend_and_preset_enums() -> None:
    assert tuple(name.value for name in BackendName) == BACKEND_CHOICES
    assert tuple(preset.value for preset in BenchPreset) == PRESET_CHOICES


def test_the_options_parse_with_their_defaults_and_refuse_other_values() -> None:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_preset_option(parser, default="3b", help="architecture")
    add_device_option(parser)
    add_backend_option(parser, help="backend")
    add_model_option(parser, help="model")
    add_rate_option(parser, default=0.0, help="rate")
    args = parser.parse_args([])
    assert (args.preset, args.device, args.backend) == ("3b", "cpu", "eager")
    assert (args.model, args.rate) == (AUTO_MODEL, 0.0)
    args = parser.parse_args(["--preset", "7b", "--device", "cuda", "--backend", "tensorrt"])
    assert (args.preset, args.device, args.backend) == ("7b", "cuda", "tensorrt")
    with pytest.raises(argparse.ArgumentError, match="invalid choice: 'onnx'"):
        parser.parse_args(["--backend", "onnx"])


def test_building_the_command_line_parser_imports_neither_torch_nor_rclpy() -> None:
    code = (
        "import sys\n"
        "from unipixel_ros.cli.main import _build_parser\n"
        "_build_parser()\n"
        "print(sorted({'torch', 'rclpy'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_the_sam2_size_choices_are_the_values_of_the_size_enum() -> None:
    assert tuple(size.value for size in Sam2Size) == SAM2_SIZE_CHOICES
