"""Run a serialised TensorRT engine on torch CUDA tensors.

NOT VERIFIED ON THIS MACHINE: TensorRT cannot be installed where this project is developed and
tested (see docs/acceleration.md). The code follows the TensorRT 10 Python API (named I/O
tensors, ``set_input_shape`` / ``set_tensor_address`` / ``execute_async_v3``); its tests skip
where ``tensorrt`` does not import.

Only bytes returned by :class:`~unipixel_ros.accel.engines.cache.EngineCache` (sidecar checked)
should reach :class:`TrtEngineRunner`.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

import torch

from unipixel_ros.accel.engines.key import ShapeProfile, TensorShapeRange
from unipixel_ros.errors import BadInputError, EngineError

__all__ = ["TrtEngineRunner", "import_tensorrt"]

_LOG = logging.getLogger(__name__)
_MIN_TENSORRT_MAJOR = 10


def import_tensorrt() -> ModuleType:
    """Import ``tensorrt`` lazily and check it is version 10 or newer.

    Raises:
        EngineError: not importable, or older than TensorRT 10.
    """
    try:
        import tensorrt
    except ImportError as err:
        raise EngineError(f"tensorrt is not importable: {err}") from err
    major = int(str(tensorrt.__version__).split(".")[0])
    if major < _MIN_TENSORRT_MAJOR:
        raise EngineError(
            f"TensorRT {tensorrt.__version__} is too old; need {_MIN_TENSORRT_MAJOR}.x or newer"
        )
    return tensorrt


def _torch_dtype(trt: ModuleType, dtype: Any) -> torch.dtype:
    table = {
        trt.float32: torch.float32,
        trt.float16: torch.float16,
        trt.bfloat16: torch.bfloat16,
        trt.int64: torch.int64,
        trt.int32: torch.int32,
        trt.int8: torch.int8,
        trt.uint8: torch.uint8,
        trt.bool: torch.bool,
    }
    if dtype not in table:
        raise EngineError(f"engine uses tensor dtype {dtype}, which has no torch equivalent here")
    return table[dtype]


class TrtEngineRunner:
    """Owns a deserialised engine and one execution context; call it like the eager part.

    Not verified on this machine (no TensorRT here).

    Args:
        engine_bytes: a serialised engine, already checked against its sidecar.
        input_names: engine input names in call order.
        output_names: engine output names in return order.
        device: the CUDA device the engine was built for.
    """

    def __init__(
        self,
        *,
        engine_bytes: bytes,
        input_names: tuple[str, ...],
        output_names: tuple[str, ...],
        device: torch.device,
    ) -> None:
        trt = import_tensorrt()
        if device.type != "cuda":
            raise EngineError(f"TensorRT engines run on CUDA devices, got {device}")
        self._trt = trt
        self._device = device
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        with torch.cuda.device(device):
            engine = self._runtime.deserialize_cuda_engine(engine_bytes)
        if engine is None:
            raise EngineError(
                "TensorRT could not deserialise the engine (built by another TensorRT version "
                "or for another GPU despite its sidecar?)"
            )
        self._engine = engine
        self._context = engine.create_execution_context()
        if self._context is None:
            raise EngineError("TensorRT could not create an execution context (out of memory?)")
        engine_inputs, engine_outputs = self._engine_io()
        if engine_inputs != set(input_names) or engine_outputs != set(output_names):
            raise EngineError(
                f"engine I/O does not match the part: engine inputs {sorted(engine_inputs)}, "
                f"outputs {sorted(engine_outputs)}; part inputs {sorted(input_names)}, outputs "
                f"{sorted(output_names)}"
            )
        self._input_names = input_names
        self._output_names = output_names
        self._profile = self._read_profile()

    @property
    def shape_profile(self) -> ShapeProfile:
        """Input shape ranges of optimisation profile 0, as stored in the engine."""
        return self._profile

    def _engine_io(self) -> tuple[set[str], set[str]]:
        inputs, outputs = set(), set()
        for index in range(self._engine.num_io_tensors):
            name = self._engine.get_tensor_name(index)
            if self._engine.get_tensor_mode(name) == self._trt.TensorIOMode.INPUT:
                inputs.add(name)
            else:
                outputs.add(name)
        return inputs, outputs

    def _read_profile(self) -> ShapeProfile:
        ranges = []
        for name in self._input_names:
            low, opt, high = self._engine.get_tensor_profile_shape(name, 0)
            ranges.append(
                TensorShapeRange(name=name, min=tuple(low), opt=tuple(opt), max=tuple(high))
            )
        return ShapeProfile(tuple(ranges))

    def __call__(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Run the engine.

        Args:
            inputs: one CUDA tensor per input name, in order, with the engine's dtype and a
                shape inside the engine's profile.

        Returns:
            One new tensor per output name, in order, on the engine's device.

        Raises:
            BadInputError: wrong count, device, dtype or a shape outside the profile.
            EngineError: TensorRT failed to run.
        """
        if len(inputs) != len(self._input_names):
            raise BadInputError(
                f"engine takes {len(self._input_names)} inputs {self._input_names}, "
                f"got {len(inputs)}"
            )
        keep_alive = []
        for name, tensor in zip(self._input_names, inputs, strict=True):
            expected_dtype = _torch_dtype(self._trt, self._engine.get_tensor_dtype(name))
            if tensor.dtype != expected_dtype:
                raise BadInputError(
                    f"input {name}: dtype {tensor.dtype}, engine wants {expected_dtype}"
                )
            if tensor.device != self._device:
                raise BadInputError(f"input {name} is on {tensor.device}, engine on {self._device}")
            shape = tuple(tensor.shape)
            if not self._profile[name].admits(shape):
                raise BadInputError(
                    f"input {name}: shape {shape} is outside the engine's profile "
                    f"{self._profile[name].to_json()}; rebuild with a wider profile"
                )
            contiguous = tensor.contiguous()
            keep_alive.append(contiguous)
            self._context.set_input_shape(name, shape)
            self._context.set_tensor_address(name, contiguous.data_ptr())
        outputs = []
        for name in self._output_names:
            shape = tuple(self._context.get_tensor_shape(name))
            dtype = _torch_dtype(self._trt, self._engine.get_tensor_dtype(name))
            output = torch.empty(shape, dtype=dtype, device=self._device)
            self._context.set_tensor_address(name, output.data_ptr())
            outputs.append(output)
        stream = torch.cuda.current_stream(self._device)
        if not self._context.execute_async_v3(stream.cuda_stream):
            raise EngineError("TensorRT execute_async_v3 reported failure")
        return tuple(outputs)
