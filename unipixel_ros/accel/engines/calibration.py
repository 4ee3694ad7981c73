"""INT8 calibration data: batches of real engine inputs, e.g. SAM2 frames read from a bag.

The set is hashed into the engine key, so an INT8 engine is rebuilt when its calibration frames
change. Pure torch: the TensorRT calibrator that consumes it lives in ``trt_builder``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import torch

from unipixel_ros.accel.engines.key import ShapeProfile
from unipixel_ros.errors import ConfigError

__all__ = ["CalibrationSet"]


@dataclass(frozen=True, eq=False)
class CalibrationSet:
    """Calibration batches for one part.

    Args:
        batches: each maps every engine input name to a CPU tensor of the dtype the engine
            takes, e.g. ``{"frames": (1, 3, 768, 768) float32 normalised}`` for the image
            encoder. All batches have the same shapes (TensorRT calibrates at one shape).
    """

    batches: Sequence[Mapping[str, torch.Tensor]]

    def __post_init__(self) -> None:
        if not self.batches:
            raise ConfigError("a calibration set needs at least one batch")
        first = self.batches[0]
        for index, batch in enumerate(self.batches):
            if set(batch) != set(first):
                raise ConfigError(
                    f"calibration batch {index} names {sorted(batch)}, batch 0 names "
                    f"{sorted(first)}"
                )
            for name, tensor in batch.items():
                if tensor.shape != first[name].shape or tensor.dtype != first[name].dtype:
                    raise ConfigError(
                        f"calibration batch {index}: {name} is {tuple(tensor.shape)} "
                        f"{tensor.dtype}, batch 0 has {tuple(first[name].shape)} "
                        f"{first[name].dtype}"
                    )

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of every input, the same in each batch."""
        return {name: tuple(tensor.shape) for name, tensor in self.batches[0].items()}

    def check_against(self, profile: ShapeProfile) -> None:
        """Raise :class:`ConfigError` unless the batches feed exactly the profile's inputs."""
        if set(self.shapes) != set(profile.input_names):
            raise ConfigError(
                f"calibration inputs {sorted(self.shapes)} differ from the engine inputs "
                f"{sorted(profile.input_names)}"
            )
        for name, shape in self.shapes.items():
            if not profile[name].admits(shape):
                raise ConfigError(
                    f"calibration input {name} of shape {shape} is outside the profile "
                    f"{profile[name].to_json()}"
                )

    @cached_property
    def sha256(self) -> str:
        """Hex SHA-256 over names, shapes, dtypes and bytes of every batch, in order."""
        digest = hashlib.sha256()
        for batch in self.batches:
            for name in sorted(batch):
                tensor = batch[name].detach().cpu().contiguous()
                digest.update(f"{name}|{tuple(tensor.shape)}|{tensor.dtype}|".encode())
                digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
        return digest.hexdigest()
