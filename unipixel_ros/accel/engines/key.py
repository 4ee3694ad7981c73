"""The identity of a compiled engine: what it was built from, for which device and with what.

A TensorRT engine is only valid for the exact model, TensorRT version, GPU (name and compute
capability), precision and shape profile it was built with. :class:`EngineKey` names all of
them; the engine cache compares it field by field before it deserialises anything.

This module is pure Python: nothing here imports TensorRT or needs a GPU.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unipixel_ros.errors import ConfigError, EngineError

__all__ = [
    "DeviceIdentity",
    "EngineKey",
    "Precision",
    "ShapeProfile",
    "TensorShapeRange",
    "hash_model_files",
]

_HASH_CHUNK_BYTES = 1 << 20
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Precision(enum.Enum):
    """Arithmetic precision an engine is built for.

    ``INT8`` engines keep FP16 enabled for the layers TensorRT cannot quantise.
    """

    FP32 = "fp32"
    FP16 = "fp16"
    BF16 = "bf16"
    INT8 = "int8"

    @property
    def min_compute_capability(self) -> tuple[int, int]:
        """Lowest CUDA compute capability with fast kernels for this precision."""
        return _MIN_COMPUTE_CAPABILITY[self]

    def supported_on(self, compute_capability: tuple[int, int]) -> bool:
        """Whether a GPU of ``compute_capability`` runs this precision natively."""
        return compute_capability >= self.min_compute_capability


_MIN_COMPUTE_CAPABILITY: dict[Precision, tuple[int, int]] = {
    Precision.FP32: (0, 0),
    Precision.FP16: (5, 3),
    Precision.INT8: (6, 1),
    Precision.BF16: (8, 0),
}


@dataclass(frozen=True, kw_only=True)
class TensorShapeRange:
    """Allowed shapes of one engine input: TensorRT builds kernels for ``min`` .. ``max``.

    Args:
        name: ONNX input name.
        min: smallest shape the engine accepts.
        opt: shape the kernels are tuned for.
        max: largest shape the engine accepts.
    """

    name: str
    min: tuple[int, ...]
    opt: tuple[int, ...]
    max: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("a shape range needs a non-empty input name")
        ranks = {len(self.min), len(self.opt), len(self.max)}
        if len(ranks) != 1:
            raise ConfigError(
                f"input {self.name!r}: min/opt/max ranks differ "
                f"({len(self.min)}, {len(self.opt)}, {len(self.max)})"
            )
        for low, mid, high in zip(self.min, self.opt, self.max, strict=True):
            if not 1 <= low <= mid <= high:
                raise ConfigError(
                    f"input {self.name!r}: need 1 <= min <= opt <= max per dim, got "
                    f"min={self.min}, opt={self.opt}, max={self.max}"
                )

    @classmethod
    def static(cls, name: str, shape: tuple[int, ...]) -> TensorShapeRange:
        """A range that admits exactly one shape."""
        return cls(name=name, min=shape, opt=shape, max=shape)

    def admits(self, shape: tuple[int, ...]) -> bool:
        """Whether ``shape`` lies inside this range."""
        if len(shape) != len(self.min):
            return False
        return all(
            low <= size <= high for low, size, high in zip(self.min, shape, self.max, strict=True)
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form, used in the cache key and the sidecar."""
        return {
            "name": self.name,
            "min": list(self.min),
            "opt": list(self.opt),
            "max": list(self.max),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TensorShapeRange:
        """Inverse of :meth:`to_json`."""
        return cls(
            name=str(data["name"]),
            min=tuple(int(size) for size in data["min"]),
            opt=tuple(int(size) for size in data["opt"]),
            max=tuple(int(size) for size in data["max"]),
        )


@dataclass(frozen=True)
class ShapeProfile:
    """One TensorRT optimisation profile: a shape range for every engine input.

    The ranges are kept sorted by input name, so two profiles with the same ranges are equal
    whatever order they were given in.

    Args:
        ranges: one :class:`TensorShapeRange` per input, names unique.
    """

    ranges: tuple[TensorShapeRange, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranges", tuple(sorted(self.ranges, key=lambda e: e.name)))
        names = [entry.name for entry in self.ranges]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigError(f"shape profile names inputs more than once: {duplicates}")
        if not self.ranges:
            raise ConfigError("a shape profile needs at least one input range")

    def __getitem__(self, name: str) -> TensorShapeRange:
        for entry in self.ranges:
            if entry.name == name:
                return entry
        raise KeyError(name)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(entry.name for entry in self.ranges)

    def to_json(self) -> list[dict[str, Any]]:
        """JSON-ready form, sorted by input name."""
        return [entry.to_json() for entry in self.ranges]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> ShapeProfile:
        """Inverse of :meth:`to_json`."""
        return cls(tuple(TensorShapeRange.from_json(entry) for entry in data))


@dataclass(frozen=True, kw_only=True)
class DeviceIdentity:
    """The GPU an engine is built for.

    Args:
        gpu_name: marketing name as CUDA reports it, e.g. ``"NVIDIA H100 80GB HBM3"`` or
            ``"Orin"``.
        compute_capability: ``(major, minor)``, e.g. ``(8, 7)`` for Jetson AGX Orin.
    """

    gpu_name: str
    compute_capability: tuple[int, int]

    def __post_init__(self) -> None:
        if not self.gpu_name.strip():
            raise ConfigError("gpu_name must not be empty")
        if len(self.compute_capability) != 2 or min(self.compute_capability) < 0:
            raise ConfigError(
                f"compute_capability must be (major, minor), got {self.compute_capability}"
            )

    @property
    def slug(self) -> str:
        """File-name-safe tag, e.g. ``"nvidia-h100-80gb-hbm3-sm90"``."""
        name = re.sub(r"[^a-z0-9]+", "-", self.gpu_name.lower()).strip("-")
        major, minor = self.compute_capability
        return f"{name}-sm{major}{minor}"

    @classmethod
    def current(cls, device_index: int = 0) -> DeviceIdentity:
        """The CUDA device ``device_index`` of this process, as torch sees it.

        Raises:
            EngineError: CUDA is not available.
        """
        import torch

        if not torch.cuda.is_available():
            raise EngineError(
                "TensorRT engines need a CUDA device, but torch.cuda.is_available() is False"
            )
        props = torch.cuda.get_device_properties(device_index)
        return cls(gpu_name=props.name, compute_capability=(props.major, props.minor))


@dataclass(frozen=True, kw_only=True)
class EngineKey:
    """Everything an engine depends on. Two engines are interchangeable iff their keys are equal.

    Args:
        part: name of the exported part, e.g. ``"sam2_image_encoder"``; also names the files.
        model_sha256: hex SHA-256 of the model file(s) the engine is built from (the ONNX
            file), see :func:`hash_model_files`.
        tensorrt_version: ``tensorrt.__version__`` at build time, e.g. ``"10.3.0"``.
        device: GPU the engine is built on and for.
        precision: arithmetic precision.
        shape_profile: dynamic shape ranges of the inputs.
        calibration_sha256: hex SHA-256 of the INT8 calibration frames, required for
            :attr:`Precision.INT8` and forbidden otherwise.
    """

    part: str
    model_sha256: str
    tensorrt_version: str
    device: DeviceIdentity
    precision: Precision
    shape_profile: ShapeProfile
    calibration_sha256: str | None = field(default=None)

    def __post_init__(self) -> None:
        if not _NAME_PATTERN.match(self.part):
            raise ConfigError(
                f"part name {self.part!r} must match {_NAME_PATTERN.pattern} (it names files)"
            )
        if not re.fullmatch(r"[0-9a-f]{64}", self.model_sha256):
            raise ConfigError(f"model_sha256 must be 64 hex digits, got {self.model_sha256!r}")
        if not self.tensorrt_version.strip():
            raise ConfigError("tensorrt_version must not be empty")
        needs_calibration = self.precision is Precision.INT8
        if needs_calibration != (self.calibration_sha256 is not None):
            raise ConfigError(
                f"calibration_sha256 is required for int8 and only for int8; got precision "
                f"{self.precision.value} with calibration_sha256={self.calibration_sha256!r}"
            )

    def to_json(self) -> dict[str, Any]:
        """Flat JSON-ready form; the sidecar stores exactly this under ``"key"``."""
        return {
            "part": self.part,
            "model_sha256": self.model_sha256,
            "tensorrt_version": self.tensorrt_version,
            "gpu_name": self.device.gpu_name,
            "compute_capability": list(self.device.compute_capability),
            "precision": self.precision.value,
            "shape_profile": self.shape_profile.to_json(),
            "calibration_sha256": self.calibration_sha256,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EngineKey:
        """Inverse of :meth:`to_json`.

        Raises:
            EngineError: a field is missing or malformed.
        """
        try:
            major, minor = data["compute_capability"]
            return cls(
                part=str(data["part"]),
                model_sha256=str(data["model_sha256"]),
                tensorrt_version=str(data["tensorrt_version"]),
                device=DeviceIdentity(
                    gpu_name=str(data["gpu_name"]), compute_capability=(int(major), int(minor))
                ),
                precision=Precision(data["precision"]),
                shape_profile=ShapeProfile.from_json(data["shape_profile"]),
                calibration_sha256=data.get("calibration_sha256"),
            )
        except (KeyError, TypeError, ValueError, ConfigError) as err:
            raise EngineError(f"malformed engine key {data!r}: {err}") from err

    @property
    def digest(self) -> str:
        """Hex SHA-256 of the canonical JSON form of the key."""
        canonical = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def mismatched_fields(self, other: EngineKey) -> dict[str, tuple[Any, Any]]:
        """Fields where ``other`` differs from this key, as ``{field: (ours, theirs)}``."""
        ours, theirs = self.to_json(), other.to_json()
        return {name: (ours[name], theirs[name]) for name in ours if ours[name] != theirs[name]}


def hash_model_files(path: Path) -> str:
    """Hex SHA-256 over a model file, or over every file under a directory.

    A single file is hashed by content only, so moving or renaming it keeps its hash. For a
    directory (an ONNX model with external data, a safetensors shard set) the files are visited
    in sorted relative-path order and each relative path is hashed before its bytes, because the
    names are part of the model there.

    Raises:
        EngineError: ``path`` does not exist or holds no file.
    """
    digest = hashlib.sha256()
    if path.is_file():
        for chunk in _chunks(path):
            digest.update(chunk)
        return digest.hexdigest()
    if not path.is_dir():
        raise EngineError(f"cannot hash model: {path} does not exist")
    files = sorted(item for item in path.rglob("*") if item.is_file())
    if not files:
        raise EngineError(f"cannot hash model: directory {path} holds no file")
    for file in files:
        digest.update(file.relative_to(path).as_posix().encode())
        digest.update(b"\0")
        for chunk in _chunks(file):
            digest.update(chunk)
    return digest.hexdigest()


def _chunks(file: Path) -> Iterator[bytes]:
    with file.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK_BYTES):
            yield chunk
