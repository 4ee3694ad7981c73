"""Command-line pieces several commands share, written once: options and documented commands.

The choices are the values of ``BenchPreset``, ``BackendName`` and ``Sam2Size`` spelled out,
because those enums live in modules that import torch, and building the parser stays torch-free (so
``unipixel-ros --help`` is quick); test/cli/test_options.py keeps the two in step.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = [
    "AUTO_MODEL",
    "BACKEND_CHOICES",
    "DEVICE_CHOICES",
    "PRESET_CHOICES",
    "SAM2_SIZE_CHOICES",
    "add_backend_option",
    "add_device_option",
    "add_documented_command",
    "add_model_option",
    "add_out_option",
    "add_preset_option",
    "add_rate_option",
]

#: ``unipixel_ros.bench.presets.BenchPreset`` values.
PRESET_CHOICES = ("tiny", "3b", "7b")
#: ``unipixel_ros.accel.BackendName`` values.
BACKEND_CHOICES = ("eager", "compile", "tensorrt")
DEVICE_CHOICES = ("cpu", "cuda")
#: ``unipixel_ros.sam.Sam2Size`` values.
SAM2_SIZE_CHOICES = ("tiny", "small", "base_plus", "large")
#: ``--model`` for "the best model on this machine" (see ``cli/model_choice.py``).
AUTO_MODEL = "auto"


def add_documented_command(
    commands: argparse._SubParsersAction, name: str, *, help: str, doc: str | None
) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` shows ``doc`` (its module docstring) as written.

    Args:
        commands: The subcommands of ``unipixel-ros``.
        name: The subcommand.
        help: One line for ``unipixel-ros --help``.
        doc: The description, line breaks kept.
    """
    return commands.add_parser(
        name,
        help=help,
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_model_option(parser: argparse.ArgumentParser, *, help: str) -> None:
    """``--model``: a checkpoint, a hub id, ``tiny-random``, or ``auto`` (the default).

    Args:
        parser: The command's parser.
        help: The models this command takes.
    """
    parser.add_argument("--model", default=AUTO_MODEL, help=help)


def add_out_option(parser: argparse.ArgumentParser, *, default: Path) -> None:
    """``--out``: the output directory.

    Args:
        parser: The command's parser.
        default: The directory when none is given.
    """
    parser.add_argument("--out", type=Path, default=default, help="output directory")


def add_rate_option(parser: argparse.ArgumentParser, *, default: float, help: str) -> None:
    """``--rate``: the replay speed factor, 0 for as fast as the node takes it.

    Args:
        parser: The command's parser.
        default: The factor when none is given.
        help: What the factor means to this command.
    """
    parser.add_argument("--rate", type=float, default=default, help=help)


def add_preset_option(parser: argparse.ArgumentParser, *, default: str, help: str) -> None:
    """``--preset``: the model architecture to build.

    Args:
        parser: The command's parser.
        default: The preset when none is given.
        help: What the preset means to this command.
    """
    parser.add_argument("--preset", choices=PRESET_CHOICES, default=default, help=help)


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """``--device``: cpu (the default) or cuda."""
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="cpu")


def add_backend_option(parser: argparse.ArgumentParser, *, help: str) -> None:
    """``--backend``: eager (the default), compile or tensorrt.

    Args:
        parser: The command's parser.
        help: What the backend runs in this command, and how it falls back.
    """
    parser.add_argument("--backend", choices=BACKEND_CHOICES, default="eager", help=help)
