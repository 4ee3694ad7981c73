"""What every backend provides (the `InferenceBackend` protocol), and the eager backend.

A backend turns an :class:`AcceleratedPart` into a callable with the same tensor contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch

from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.parts.part import AcceleratedPart

__all__ = [
    "Availability",
    "EagerBackend",
    "InferenceBackend",
    "InferenceModeRunner",
    "PartRunner",
]

PartRunner = Callable[..., tuple[torch.Tensor, ...]]
"""A prepared part: takes the part's inputs positionally, returns its outputs as a tuple."""


@dataclass(frozen=True)
class Availability:
    """Whether a backend can run on a device, and a short human-readable detail either way."""

    available: bool
    detail: str


@runtime_checkable
class InferenceBackend(Protocol):
    """What every backend provides."""

    @property
    def name(self) -> BackendName: ...

    def availability(self, device: torch.device) -> Availability:
        """Cheap check (no compilation) of whether this backend can run on ``device``."""
        ...

    def prepare(self, part: AcceleratedPart, device: torch.device) -> PartRunner:
        """A callable with ``part``'s tensor contract, running on ``device``.

        The module must already be on ``device`` in its inference dtype.
        """
        ...


class InferenceModeRunner:
    """Calls a module under ``torch.inference_mode`` and returns its outputs as a tuple."""

    def __init__(self, module: Callable[..., tuple[torch.Tensor, ...]]) -> None:
        self._module = module

    def __call__(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with torch.inference_mode():
            return tuple(self._module(*inputs))


class EagerBackend:
    """Plain PyTorch. Always available; the reference every other backend is tested against."""

    @property
    def name(self) -> BackendName:
        return BackendName.EAGER

    def availability(self, device: torch.device) -> Availability:
        return Availability(True, f"PyTorch eager on {device}")

    def prepare(self, part: AcceleratedPart, device: torch.device) -> PartRunner:
        part.module.eval()
        return InferenceModeRunner(part.module)
