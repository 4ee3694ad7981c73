"""A model part that a backend can accelerate: a stateless module with plain tensors in and out.

Every backend (eager, torch.compile, TensorRT) consumes the same :class:`AcceleratedPart`, so the
tensor contract of a part is written once: its input and output names, an example input, the
dims that vary at run time, and the shape ranges a TensorRT engine is built for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from unipixel_ros.accel.engines.key import ShapeProfile
from unipixel_ros.errors import ConfigError

__all__ = ["AcceleratedPart"]


@dataclass(frozen=True, kw_only=True, eq=False)
class AcceleratedPart:
    """One exportable part of a model.

    Args:
        name: file-name-safe part name, e.g. ``"sam2_mask_decoder"``.
        module: stateless ``nn.Module`` whose ``forward`` takes the inputs positionally, in
            ``input_names`` order, and returns a tuple of tensors in ``output_names`` order.
        input_names: ONNX / TensorRT names of the inputs.
        output_names: ONNX / TensorRT names of the outputs.
        example_inputs: one valid input per name, used to trace the module.
        dynamic_axes: for each input or output name, the dims that vary at run time and their
            symbolic names, e.g. ``{"point_coords": {0: "objects", 1: "points"}}``.
        shape_profile: the input shape ranges a TensorRT engine is built for; must cover
            ``example_inputs`` and name exactly ``input_names``.
        cuda_graphs: the part runs once per frame or per token with fixed shapes, so the
            compile backend captures it in a CUDA graph.
    """

    name: str
    module: nn.Module
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    example_inputs: tuple[torch.Tensor, ...]
    dynamic_axes: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    shape_profile: ShapeProfile
    cuda_graphs: bool = False

    def __post_init__(self) -> None:
        if len(self.example_inputs) != len(self.input_names):
            raise ConfigError(
                f"part {self.name}: {len(self.example_inputs)} example inputs for "
                f"{len(self.input_names)} input names {self.input_names}"
            )
        if set(self.shape_profile.input_names) != set(self.input_names):
            raise ConfigError(
                f"part {self.name}: shape profile names {sorted(self.shape_profile.input_names)}"
                f", inputs are {sorted(self.input_names)}"
            )
        known = set(self.input_names) | set(self.output_names)
        unknown = sorted(set(self.dynamic_axes) - known)
        if unknown:
            raise ConfigError(f"part {self.name}: dynamic_axes name unknown tensors {unknown}")
        for name, example in zip(self.input_names, self.example_inputs, strict=True):
            shape = tuple(example.shape)
            if not self.shape_profile[name].admits(shape):
                raise ConfigError(
                    f"part {self.name}: example {name} of shape {shape} is outside its shape "
                    f"range {self.shape_profile[name].to_json()}"
                )

    def weights_digest(self) -> str:
        """Hex SHA-256 over the module's parameters and buffers and this part's contract.

        Names a cached ONNX export: a new checkpoint or a changed contract gives a new name.
        """
        digest = hashlib.sha256()
        contract = (self.name, self.input_names, self.output_names, self.shape_profile.to_json())
        digest.update(repr(contract).encode())
        for key, tensor in sorted(self.module.state_dict().items()):
            digest.update(key.encode())
            digest.update(str(tensor.dtype).encode())
            digest.update(repr(tuple(tensor.shape)).encode())
            raw = tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
            digest.update(raw.numpy().tobytes())
        return digest.hexdigest()
