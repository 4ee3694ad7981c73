from __future__ import annotations

import pytest
import torch
from torch import nn

from unipixel_ros.accel.engines.key import ShapeProfile, TensorShapeRange
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.errors import ConfigError

PROFILE = ShapeProfile((TensorShapeRange(name="x", min=(1, 4), opt=(2, 4), max=(8, 4)),))


def make_part(module: nn.Module, **overrides: object) -> AcceleratedPart:
    fields: dict[str, object] = {
        "name": "linear",
        "module": module,
        "input_names": ("x",),
        "output_names": ("y",),
        "example_inputs": (torch.zeros(2, 4),),
        "shape_profile": PROFILE,
    }
    fields.update(overrides)
    return AcceleratedPart(**fields)  # type: ignore[arg-type]


def test_weights_digest_follows_the_weights() -> None:
    torch.manual_seed(0)
    module = nn.Linear(4, 3)
    before = make_part(module).weights_digest()
    assert make_part(module).weights_digest() == before
    with torch.no_grad():
        module.bias[0] += 1e-3
    assert make_part(module).weights_digest() != before


def test_example_outside_the_profile_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"example x of shape \(9, 4\) is outside"):
        make_part(nn.Linear(4, 3), example_inputs=(torch.zeros(9, 4),))


def test_profile_must_name_exactly_the_inputs() -> None:
    with pytest.raises(ConfigError, match=r"shape profile names \['x'\], inputs are \['z'\]"):
        make_part(nn.Linear(4, 3), input_names=("z",))


def test_dynamic_axes_must_name_known_tensors() -> None:
    with pytest.raises(ConfigError, match=r"unknown tensors \['w'\]"):
        make_part(nn.Linear(4, 3), dynamic_axes={"w": {0: "batch"}})
