"""The language model as the live perception sees it, and one request to it as plain data.

`LivePerception` asks a `ReasoningModel` four things (segment, multi_image, describe,
answer_with_memory). In the single node that is the `UniPixelPredictor` itself; in a split
deployment it is a remote reasoner (`unipixel_ros.ros.remote_reasoner`) that sends a
`ReasoningRequest` to a reasoner process, where `serve_request` runs it on the same predictor
flows. `serve_request` encodes each frame with the tracker's `FrameEncoder`, one frame at a time
as the tracker's ring did, so on the same pixels the flows see the same SAM 2.1 features as in
the single node and give the same answer and masks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

import numpy as np
import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.model import UniPixelPredictor
from unipixel_ros.model.outputs import MemoryAnswer, PixelAnswer, VisualPrompt
from unipixel_ros.sam import FrameFeatures
from unipixel_ros.tracking import FrameEncoder

__all__ = ["ReasoningFlow", "ReasoningModel", "ReasoningRequest", "serve_request"]

TextObserver = Callable[[str], bool]


class ReasoningModel(Protocol):
    """The language flows `LivePerception` uses; `UniPixelPredictor` is one (see its docs for
    the tensor contracts). ``features`` may be ignored by a model that encodes frames itself."""

    def segment(
        self,
        frames: np.ndarray,
        question: str,
        *,
        on_text: TextObserver | None = None,
        features: Sequence[FrameFeatures] | None = None,
    ) -> PixelAnswer: ...

    def multi_image(
        self,
        images: Sequence[np.ndarray],
        question: str,
        *,
        on_text: TextObserver | None = None,
        features: Sequence[FrameFeatures] | None = None,
    ) -> PixelAnswer: ...

    def describe(
        self,
        frames: np.ndarray,
        question: str,
        prompts: Sequence[VisualPrompt],
        *,
        on_text: TextObserver | None = None,
        features: Sequence[FrameFeatures] | None = None,
    ) -> PixelAnswer: ...

    def answer_with_memory(
        self,
        frames: np.ndarray,
        question: str,
        object_masks: Mapping[int, np.ndarray],
        *,
        on_text: TextObserver | None = None,
    ) -> MemoryAnswer: ...


class ReasoningFlow(Enum):
    """Which predictor flow a request runs (the values are the Reason action's FLOW_*)."""

    SEGMENT = 0
    MULTI_IMAGE = 1
    DESCRIBE = 2
    MEMORY = 3


@dataclass(frozen=True, kw_only=True)
class ReasoningRequest:
    """One call of a `ReasoningModel` flow, as data that can cross a process boundary.

    Args:
        flow: the flow.
        text: the question (with ``<|ref|>`` markers for DESCRIBE, ``[N]`` for MEMORY).
        frames: `(H_t, W_t, 3)` uint8 RGB frames, oldest first (one per camera for
            MULTI_IMAGE; otherwise all of one size).
        prompts: DESCRIBE: one point or box per ``<|ref|>``, on one of ``frames``.
        object_masks: MEMORY: object id -> `np.ndarray` of shape `(T, H_m, W_m)`, bool, on the
            T frames.
    """

    flow: ReasoningFlow
    text: str
    frames: tuple[np.ndarray, ...]
    prompts: tuple[VisualPrompt, ...] = ()
    object_masks: Mapping[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.frames:
            raise BadInputError("a reasoning request needs at least one frame")
        for index, frame in enumerate(self.frames):
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise BadInputError(
                    f"frame {index} has shape {frame.shape} and dtype {frame.dtype}; "
                    "expected (H, W, 3) uint8 RGB"
                )
        if self.flow is not ReasoningFlow.MULTI_IMAGE:
            sizes = sorted({f.shape[:2] for f in self.frames})
            if len(sizes) != 1:
                raise BadInputError(
                    f"the frames of a {self.flow.name} request differ in size: {sizes}"
                )
        if self.flow is ReasoningFlow.DESCRIBE and not self.prompts:
            raise BadInputError("a DESCRIBE request needs at least one visual prompt")
        for prompt in self.prompts:
            if prompt.frame_index >= len(self.frames):
                raise BadInputError(
                    f"a prompt names frame {prompt.frame_index}; the request has "
                    f"{len(self.frames)} frames"
                )
        if self.flow is ReasoningFlow.MEMORY:
            if not self.object_masks:
                raise BadInputError("a MEMORY request needs the masks of at least one object")
            for object_id, masks in self.object_masks.items():
                if masks.ndim != 3 or masks.shape[0] != len(self.frames):
                    raise BadInputError(
                        f"object {object_id} has masks of shape {masks.shape}; expected "
                        f"({len(self.frames)}, H, W), one per frame"
                    )

    def images(self) -> np.ndarray:
        """`(T, H, W, 3)` uint8 RGB (frames of one size)."""
        return np.stack(self.frames)


def serve_request(
    predictor: UniPixelPredictor,
    encoder: FrameEncoder,
    request: ReasoningRequest,
    *,
    on_text: TextObserver | None = None,
) -> PixelAnswer | MemoryAnswer:
    """Run ``request`` on ``predictor``: a `PixelAnswer`, or a `MemoryAnswer` for MEMORY.

    Every frame of a flow that tracks masks is encoded by ``encoder`` on its own, as the
    tracker's ring encodes its frames, so the masks come from the features the single node
    would have used.

    Raises:
        BadInputError: the flow refuses the request (e.g. too many images).
        CancelledError: ``on_text`` returned False.
    """
    flow = request.flow
    if flow is ReasoningFlow.MEMORY:
        return predictor.answer_with_memory(
            request.images(), request.text, request.object_masks, on_text=on_text
        )
    with torch.inference_mode():
        features = [encoder.encode(frame) for frame in request.frames]
    if flow is ReasoningFlow.MULTI_IMAGE:
        return predictor.multi_image(
            list(request.frames), request.text, on_text=on_text, features=features
        )
    if flow is ReasoningFlow.DESCRIBE:
        return predictor.describe(
            request.images(), request.text, request.prompts, on_text=on_text, features=features
        )
    return predictor.segment(request.images(), request.text, on_text=on_text, features=features)
