"""The backend of the tracker's per-frame image-encoder pass (what the node's ``backend``
parameter selects for SAM 2.1).

Only SAM 2.1's image encoder is accelerated in the node: memory attention, the decoder and the
memory encoder keep running through the ``sam2`` package's ``track_step`` (eager), because the
tracker reuses the package's memory bookkeeping. ``unipixel-ros bench`` times every part.

NOT VERIFIED HERE: the TensorRT engine of the part in the node (TensorRT cannot be installed on
the development machine). On CPU the compiled encoder is checked against the eager one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from unipixel_ros.accel.backends.fallback import make_backends, prepare_with_fallback
from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.protocol import InferenceBackend
from unipixel_ros.accel.parts.sam2.image_encoder import image_encoder_part
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
from unipixel_ros.sam import Sam2Model
from unipixel_ros.tracking import FrameEncoder

__all__ = ["FrameEncoderChoice", "resolve_frame_encoder"]


@dataclass(frozen=True)
class FrameEncoderChoice:
    """The tracker's image-encoder pass a backend name gives.

    Args:
        encoder: the frame encoder, warmed up.
        backend: what runs the image encoder.
        reason: one line for the log: what runs, and why when it is not the requested one.
    """

    encoder: FrameEncoder
    backend: BackendName
    reason: str


def resolve_frame_encoder(
    requested: BackendName | str,
    *,
    model: Sam2Model,
    backends: Mapping[BackendName, InferenceBackend] | None = None,
) -> FrameEncoderChoice:
    """The image-encoder pass for ``requested``, falling back like ``prepare_with_fallback``.

    Preparing compiles (``compile``) or builds / loads an engine (``tensorrt``) and runs the
    part once, so this can take a while (measured: 43 s for nano's encoder on a 2-core CPU).

    Args:
        requested: ``eager``, ``compile`` or ``tensorrt``.
        model: SAM 2.1 in float32, eval mode, on its device.
        backends: the backend mapping; ``make_backends()`` when ``None``.

    Raises:
        ConfigError: ``requested`` names no backend.
    """
    wanted = BackendName.parse(requested)
    if wanted is BackendName.EAGER:
        return FrameEncoderChoice(FrameEncoder(model=model), wanted, "SAM 2.1 image encoder: eager")
    prepared = prepare_with_fallback(
        image_encoder_part(model, limits=Sam2PartLimits()),
        requested=wanted,
        device=model.device,
        backends=backends if backends is not None else make_backends(),
    )
    runner = None if prepared.backend is BackendName.EAGER else prepared.runner
    return FrameEncoderChoice(
        FrameEncoder(model=model, runner=runner),
        prepared.backend,
        f"SAM 2.1 image encoder: {prepared.reason}",
    )
