"""Build `LivePerception` from deployment settings: device choice, predictor, backends (ROS-free).

The node calls `build_perception` and logs what the returned `BuiltPerception` says; nothing here
logs or touches ROS.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import torch

from unipixel_ros.accel import BackendName
from unipixel_ros.accel.parts.frame_encoder import FrameEncoderChoice, resolve_frame_encoder
from unipixel_ros.accel.parts.llm_decode import resolve_llm_decoder
from unipixel_ros.accel.parts.llm_weights import LlmWeights, quantize_llm_weights
from unipixel_ros.accel.parts.tracking_step import TrackingStepChoice, resolve_tracking_step
from unipixel_ros.accel.parts.vision_tower import resolve_vision_tower
from unipixel_ros.errors import ConfigError
from unipixel_ros.model import TINY_RANDOM_MODEL, UniPixelPredictor
from unipixel_ros.model.sam2_loading import load_unipixel_sam2
from unipixel_ros.perception.config import PerceptionConfig
from unipixel_ros.perception.live import LivePerception
from unipixel_ros.perception.reasoning import ReasoningModel
from unipixel_ros.sam import Sam2Model

__all__ = [
    "LLM_CACHE_POSITIONS",
    "BuiltPerception",
    "Device",
    "build_perception",
    "build_tracking_perception",
]

LLM_CACHE_POSITIONS = 8192  # static KV cache of the compiled decode loop; longer prompts: eager


class Device(str, Enum):
    """Where the model runs."""

    AUTO = "auto"  # CUDA when available, else CPU
    CPU = "cpu"
    CUDA = "cuda"

    def resolve(self) -> str:
        """The torch device name: ``auto`` becomes ``cuda`` or ``cpu``."""
        if self is Device.AUTO:
            return "cuda" if torch.cuda.is_available() else "cpu"
        return self.value


@dataclass(frozen=True, kw_only=True)
class BuiltPerception:
    """A ready `LivePerception` and what its caller should say about it.

    Args:
        perception: the live perception, with its decoder and frame encoder chosen.
        description: the model in a few words, e.g. ``/ckpt on cuda``.
        random_weights: True for the tiny model with random weights (answers mean nothing).
        backend: the backend of each part, e.g. ``llm eager, vision tower eager, ...``.
        backend_report: why each part runs where it does (one log line).
        warnings: what the caller should log as warnings.
    """

    perception: LivePerception
    description: str
    random_weights: bool
    backend: str
    backend_report: str
    warnings: tuple[str, ...] = ()


def build_perception(
    *,
    model_path: str,
    device: Device | str,
    backend: BackendName | str,
    config: PerceptionConfig,
    llm_weights: LlmWeights | str = LlmWeights.BF16,
) -> BuiltPerception:
    """Load the predictor named by ``model_path`` and wrap it in `LivePerception`.

    Args:
        model_path: UniPixel checkpoint directory or hub id; `tiny-random` builds a tiny model
            with random weights.
        device: where the model runs (ignored by the tiny model, which stays on the CPU).
        backend: requested backend of the LLM (prefill and decode loop), the vision tower,
            SAM 2.1's image encoder and its tracking step (each falls back when
            unavailable).
        config: capacities of the live perception.
        llm_weights: the LLM decoder weights, unquantized or int8 weight-only.

    Raises:
        ConfigError: ``device``, ``backend`` or ``llm_weights`` names no choice, a setting is
            invalid, or int8 is asked for without torchao.
        CheckpointError: the checkpoint cannot be loaded.
    """
    warnings: tuple[str, ...] = ()
    if model_path == TINY_RANDOM_MODEL:
        warnings = (
            "model_path is 'tiny-random': a tiny model with RANDOM weights; answers and masks "
            "are meaningless (for tests and dry runs only)",
        )
        predictor = UniPixelPredictor.tiny(seed=0)
        description = "tiny model with RANDOM weights"
    else:
        target = _target_device(device)
        predictor = UniPixelPredictor.from_pretrained(model_path, device=target)
        description = f"{model_path} on {target}"
    weights = LlmWeights.parse(llm_weights)
    quantize_llm_weights(predictor.model, weights)
    choice = resolve_llm_decoder(backend, model=predictor.model, max_length=LLM_CACHE_POSITIONS)
    predictor.use_decoder(choice.decoder)
    tower = resolve_vision_tower(backend, model=predictor.model)
    predictor.model.use_vision_tower(tower.tower)
    perception, encoder, tracking = _tracking_perception(
        predictor, predictor.model.sam2, backend, config
    )
    return BuiltPerception(
        perception=perception,
        description=description,
        random_weights=model_path == TINY_RANDOM_MODEL,
        backend=(
            f"llm {choice.backend.value}{' int8 weights' if weights is LlmWeights.INT8 else ''}, "
            f"vision tower {tower.backend.value}, sam2 image encoder {encoder.backend.value}, "
            f"sam2 tracking {tracking.backend.value}"
        ),
        backend_report=(
            f"backend: {choice.reason}; LLM weights {weights.value}; {tower.reason}; "
            f"{encoder.reason}; {tracking.reason}"
        ),
        warnings=warnings,
    )


def build_tracking_perception(
    *,
    model_path: str,
    device: Device | str,
    backend: BackendName | str,
    config: PerceptionConfig,
    reasoner: ReasoningModel,
    sam2_checkpoint: str = "",
) -> BuiltPerception:
    """A `LivePerception` with SAM 2.1 only; its language requests go to ``reasoner``.

    Args:
        model_path: the UniPixel checkpoint whose SAM 2.1 tracks (only its ``sam2.*`` tensors
            are read); `tiny-random` builds the whole tiny model to get the SAM 2.1 weights the
            reasoner's tiny model has (seed 0).
        device, backend: as for `build_perception` (the backend applies to SAM 2.1's image
            encoder and tracking step).
        config: capacities of the live perception.
        reasoner: where the language requests go (e.g. a remote reasoner).
        sam2_checkpoint: an original SAM 2.1 ``.pt`` to track with instead; "" for none.

    Raises:
        ConfigError: ``device`` or ``backend`` names no choice.
        CheckpointError: the SAM 2.1 weights cannot be loaded.
    """
    warnings: tuple[str, ...] = ()
    if model_path == TINY_RANDOM_MODEL:
        warnings = ("model_path is 'tiny-random': SAM 2.1 of the tiny model, RANDOM weights",)
        sam2 = UniPixelPredictor.tiny(seed=0).model.sam2
        description = "SAM 2.1 of the tiny model with RANDOM weights"
    else:
        target = _target_device(device)
        sam2 = load_unipixel_sam2(
            model_path, device=target, sam2_checkpoint=sam2_checkpoint or None
        )
        weights = sam2_checkpoint or model_path
        description = f"SAM 2.1 of {weights} on {target}"
    perception, encoder, tracking = _tracking_perception(reasoner, sam2, backend, config)
    return BuiltPerception(
        perception=perception,
        description=description,
        random_weights=model_path == TINY_RANDOM_MODEL,
        backend=(
            f"sam2 image encoder {encoder.backend.value}, sam2 tracking {tracking.backend.value}"
        ),
        backend_report=(
            f"backend: {encoder.reason}; {tracking.reason}; the language model runs on the reasoner"
        ),
        warnings=warnings,
    )


def _target_device(device: Device | str) -> str:
    try:
        return Device(device).resolve()
    except ValueError as err:
        allowed = [d.value for d in Device]
        raise ConfigError(f"device is {device!r}; use one of {allowed}") from err


def _tracking_perception(
    predictor: ReasoningModel,
    sam2: Sam2Model,
    backend: BackendName | str,
    config: PerceptionConfig,
) -> tuple[LivePerception, FrameEncoderChoice, TrackingStepChoice]:
    """A `LivePerception` that tracks with ``sam2``, its image encoder and tracking step on
    ``backend``, and those two choices (for the backend report)."""
    encoder = resolve_frame_encoder(backend, model=sam2)
    tracking = resolve_tracking_step(backend, model=sam2, max_objects=config.tracker.max_objects)
    perception = LivePerception(
        predictor=predictor,
        sam2=sam2,
        config=config,
        frame_encoder=encoder.encoder,
        tracking_step=tracking.step,
    )
    return perception, encoder, tracking
