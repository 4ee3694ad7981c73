"""Offline tracking over a clip: encode every frame once, propagate every object forward.

This is what the model flows use after a `<|seg|>` (or a point/box/mask prompt): the clip's
frames are encoded once and shared by all objects (the reference re-encodes per object).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from sam2.modeling.sam2_base import NO_OBJ_SCORE

from unipixel_ros.errors import BadInputError
from unipixel_ros.sam import FrameFeatures, Sam2Model, SamPrompt
from unipixel_ros.sam.postprocessing import masks_from_logits
from unipixel_ros.tracking.config import TrackerConfig
from unipixel_ros.tracking.memory_bank import ObjectMemoryBank
from unipixel_ros.tracking.tracker import FeatureTracker, memory_windows

__all__ = ["ClipStart", "ClipTracks", "encode_clip", "track_clip"]


@dataclass(frozen=True)
class ClipStart:
    """Objects prompted on one frame of the clip.

    Args:
        frame_index: the prompted frame, in [0, T).
        prompt: one row per object (model input pixels).
    """

    frame_index: int
    prompt: SamPrompt


@dataclass(frozen=True)
class ClipTracks:
    """Per-object tracks over a clip, rows in the order of the starts and their prompts.

    Args:
        low_res_logits (`torch.Tensor` of shape `(num_objects, T, S/4, S/4)`, float32, on the
            model's device): -1024 before an object's start frame and where its score is <= 0.
        object_score_logits (`torch.Tensor` of shape `(num_objects, T)`, float32, on the
            model's device): -inf before an object's start frame.
        start_frames: per object, its prompted frame.
    """

    low_res_logits: torch.Tensor
    object_score_logits: torch.Tensor
    start_frames: tuple[int, ...]

    def masks(self, size: tuple[int, int]) -> torch.Tensor:
        """`(num_objects, T, H, W)` bool masks at the original frame size ``(H, W)``."""
        n, t = self.low_res_logits.shape[:2]
        flat = masks_from_logits(
            self.low_res_logits.reshape(n * t, *self.low_res_logits.shape[2:]),
            self.object_score_logits.reshape(n * t),
            size,
        )
        return flat.reshape(n, t, *size)


def encode_clip(model: Sam2Model, images: torch.Tensor, *, batch_size: int) -> list[FrameFeatures]:
    """Image features of every frame, ``batch_size`` frames per encoder call.

    Args:
        images (`torch.Tensor` of shape `(T, 3, S, S)`, float): preprocessed frames.
    """
    return [
        features
        for start in range(0, images.shape[0], batch_size)
        for features in model.encode_images(images[start : start + batch_size])
    ]


@torch.inference_mode()
def track_clip(
    model: Sam2Model,
    images: torch.Tensor | Sequence[FrameFeatures],
    starts: Sequence[ClipStart],
    *,
    config: TrackerConfig | None = None,
) -> ClipTracks:
    """Propagate prompted objects forward through a clip, as SAM 2.1's video predictor does.

    Frames before an object's start frame are not segmented (empty masks); UniPixel prompts
    on frame 0. Results match ``SAM2VideoPredictor.propagate_in_video`` with the same prompts
    (the clip length caps the object-pointer window exactly as there).

    Args:
        model: SAM 2.1 (eval mode).
        images (`torch.Tensor` of shape `(T, 3, S, S)`, float, or the T frames' features from
            `encode_clip`): pass features to reuse one encoding for several calls.
        starts: prompts, each on one frame.
        config: memory dtype and encoder batch size (default `TrackerConfig()`).
    """
    config = config or TrackerConfig()
    if isinstance(images, torch.Tensor):
        features = encode_clip(model, images, batch_size=config.encode_batch_size)
    else:
        features = list(images)
    num_frames = len(features)
    if not starts:
        raise BadInputError("track_clip needs at least one ClipStart")
    for start in starts:
        if not 0 <= start.frame_index < num_frames:
            raise BadInputError(
                f"start frame {start.frame_index} is outside the clip of {num_frames} frames"
            )
    total = sum(s.prompt.num_objects for s in starts)
    bank = ObjectMemoryBank(
        max_objects=total, windows=memory_windows(model), memory_dtype=config.memory_dtype
    )
    tracker = FeatureTracker(
        model=model, bank=bank, interactive=config.interactive, num_frames=num_frames
    )
    size = model.image_size // 4
    device = model.device
    logits = torch.full((total, num_frames, size, size), NO_OBJ_SCORE, device=device)
    scores = torch.full((total, num_frames), float("-inf"), device=device)
    rows: dict[int, int] = {}
    first_row = 0
    row_of_start = []
    for start in starts:
        row_of_start.append(first_row)
        first_row += start.prompt.num_objects
    for t in range(min(s.frame_index for s in starts), num_frames):
        if len(bank):
            result = tracker.track(features[t], t, keep_mask=False)
            for i, object_id in enumerate(result.object_ids):
                logits[rows[object_id], t] = result.low_res_logits[i, 0]
                scores[rows[object_id], t] = result.object_score_logits[i]
        for start, row in zip(starts, row_of_start, strict=True):
            if start.frame_index != t:
                continue
            result = tracker.start(features[t], t, start.prompt, keep_mask=False)
            for i, object_id in enumerate(result.object_ids):
                rows[object_id] = row + i
                logits[row + i, t] = result.low_res_logits[i, 0]
                scores[row + i, t] = result.object_score_logits[i]
    start_frames = tuple(s.frame_index for s in starts for _ in range(s.prompt.num_objects))
    return ClipTracks(low_res_logits=logits, object_score_logits=scores, start_frames=start_frames)
