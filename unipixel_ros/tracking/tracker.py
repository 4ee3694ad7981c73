"""SAM 2.1 tracking over an endless stream: one encoder pass per frame, per-object memory.

Every frame is encoded once, when it arrives; the ring keeps the features of the frames it
retains, so prompts on older frames and language queries never encode a frame again.

`FeatureTracker` is the core (features in, masks out) shared by the streaming tracker and the
offline clip API; `StreamingTracker` adds the camera side: preprocessing, the `FrameRing`, and
per-object masks on ring frames for `<|mem|>` pooling.

Per frame: the image encoder runs once; objects are grouped by memory layout (objects that
read memory from the same frames, e.g. all objects started on the same frame) and each group
goes through the package's ``track_step`` as one batch. Results equal the `sam2` package's
``SAM2VideoPredictor.propagate_in_video`` for the same prompts (see the tests).
"""

from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np
import torch

from unipixel_ros.errors import BadInputError, ConfigError, NotReadyError
from unipixel_ros.sam import BoxPrompt, FrameFeatures, PointPrompt, Sam2Model, SamPrompt
from unipixel_ros.sam.hole_filling import fill_holes
from unipixel_ros.tracking.batched_step import BatchedTracking, TrackingStepRunner
from unipixel_ros.tracking.config import InteractivePromptSettings, TrackerConfig
from unipixel_ros.tracking.frame_encoder import FrameEncoder
from unipixel_ros.tracking.frame_result import FrameResult
from unipixel_ros.tracking.frame_ring import FrameRing, check_frame
from unipixel_ros.tracking.memory_bank import (
    MemoryEntry,
    MemoryWindows,
    ObjectMemory,
    ObjectMemoryBank,
)
from unipixel_ros.tracking.package_step import PackageTracking
from unipixel_ros.tracking.ring_masks import RingMasks

__all__ = ["FeatureTracker", "StreamingTracker", "memory_windows"]

logger = logging.getLogger(__name__)

_ENDLESS = 2**62
"""Clip length passed to the package for a stream: larger than any frame index, so the
object-pointer window is always full (the package also stops reading pointers at frames >= the
clip length)."""


def memory_windows(model: Sam2Model) -> MemoryWindows:
    """The frames SAM 2.1's memory selection can reach back to, for ``model``'s settings."""
    stride = model.memory_temporal_stride_for_eval
    mask = model.num_maskmem - 1 if stride == 1 else stride * (model.num_maskmem - 1) + 1
    pointers = model.max_obj_ptrs_in_encoder - 1 if model.use_obj_ptrs_in_encoder else 0
    mask = max(mask, 1)
    return MemoryWindows(mask=mask, retention=max(mask, pointers))


class FeatureTracker:
    """SAM 2.1 memory tracking on precomputed `FrameFeatures`.

    Args:
        model: the SAM 2.1 model (eval mode).
        bank: where per-object memory lives.
        interactive: post-processing of point and box prompts and of the objects started from
            them (hidden-state and mask prompts never use it).
        num_frames: the clip length the package would see: it caps the object-pointer window
            at ``min(num_frames, max_obj_ptrs_in_encoder)`` and scales its temporal encoding.
            None for an endless stream, which then equals an offline run on any clip of at
            least ``max_obj_ptrs_in_encoder`` frames.
        step: the batched tracking step (all objects per bucket, memory in preallocated
            slots); None runs the package's ``track_step`` per memory layout. Only for an
            endless stream (``num_frames`` None).
    """

    def __init__(
        self,
        *,
        model: Sam2Model,
        bank: ObjectMemoryBank,
        interactive: InteractivePromptSettings,
        num_frames: int | None = None,
        step: TrackingStepRunner | None = None,
    ) -> None:
        if step is not None and num_frames is not None:
            raise ConfigError("the batched tracking step is for endless streams (num_frames None)")
        self._model = model
        self._bank = bank
        self._interactive = interactive
        self._clicked: set[int] = set()  # objects started from a point or box prompt
        self._package = PackageTracking(
            model, num_frames=_ENDLESS if num_frames is None else num_frames
        )
        self._batched = None if step is None else BatchedTracking(model, step, bank=bank)

    @property
    def bank(self) -> ObjectMemoryBank:
        return self._bank

    @property
    def model(self) -> Sam2Model:
        return self._model

    def start(
        self, features: FrameFeatures, frame_index: int, prompt: SamPrompt, *, keep_mask: bool
    ) -> FrameResult:
        """Add ``prompt.num_objects`` objects prompted on this frame (conditioning memory).

        Args:
            features: the prompted frame's features.
            frame_index: its index.
            prompt: the prompt, one row per new object.
            keep_mask: store the new masks for pooling (the frame is a ring frame).
        """
        self._bank.check_room(prompt.num_objects)
        clicked = isinstance(prompt, PointPrompt | BoxPrompt)
        settings = self._interactive if clicked else InteractivePromptSettings.off()
        decoded = self._model.decode_prompt(
            features, prompt, stability_fallback=settings.stability_fallback
        )
        # The package fills the prompted frame's holes before encoding its memory.
        logits = self._filled(decoded.low_res_logits, settings)
        memory = self._model.encode_memory(
            features, logits, decoded.object_score_logits, binarize=settings.binarize_memory
        )
        self._package.keep_pos_enc(memory.pos_enc)
        scores = decoded.object_score_logits[:, 0].float()
        masks = self._low_res_masks(logits, scores) if keep_mask else None
        ids = tuple(
            self._bank.add(
                frame_index=frame_index,
                entry=MemoryEntry(
                    maskmem=memory.features[i : i + 1].clone(),
                    obj_ptr=decoded.obj_ptr[i : i + 1].clone(),
                ),
                score=float(scores[i]),
                mask=None if masks is None else masks[i],
            )
            for i in range(prompt.num_objects)
        )
        if self._batched is not None:
            self._batched.start(ids, frame_index, memory.features, decoded.obj_ptr)
        if clicked:
            self._clicked.update(ids)
        return FrameResult(
            frame_index=frame_index,
            object_ids=ids,
            low_res_logits=logits,
            object_score_logits=scores,
            states=tuple(self._bank.get(i).state for i in ids),
        )

    def track(
        self,
        features: FrameFeatures,
        frame_index: int,
        *,
        keep_mask: bool,
        object_ids: tuple[int, ...] | None = None,
    ) -> FrameResult:
        """Track objects onto a new frame, batched per memory layout.

        Args:
            features: the frame's features.
            frame_index: its index; must be after every tracked object's last frame.
            keep_mask: store the masks for pooling (the frame is a ring frame).
            object_ids: objects to track (default: all).
        """
        ids = self._bank.ids() if object_ids is None else object_ids
        if not ids:
            size = self._model.image_size // 4
            return FrameResult(
                frame_index=frame_index,
                object_ids=(),
                low_res_logits=torch.empty(0, 1, size, size),
                object_score_logits=torch.empty(0),
                states=(),
            )
        if self._batched is not None:
            logits, scores = self._batched.track(features, frame_index, tuple(ids))
            scores = scores.float()
            logits = self._record(tuple(ids), frame_index, logits, scores, None, keep_mask)
            return FrameResult(
                frame_index=frame_index,
                object_ids=tuple(ids),
                low_res_logits=logits,
                object_score_logits=scores,
                states=tuple(self._bank.get(i).state for i in ids),
            )
        groups: dict[tuple, list[ObjectMemory]] = defaultdict(list)
        for object_id in ids:
            memory = self._bank.get(object_id)
            groups[memory.layout()].append(memory)
        rows: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        for group in groups.values():
            rows.update(self._track_group(features, frame_index, group, keep_mask))
        return FrameResult(
            frame_index=frame_index,
            object_ids=tuple(ids),
            low_res_logits=torch.cat([rows[i][0] for i in ids]),
            object_score_logits=torch.cat([rows[i][1] for i in ids]).float(),
            states=tuple(self._bank.get(i).state for i in ids),
        )

    def _track_group(
        self, features: FrameFeatures, frame_index: int, group: list[ObjectMemory], keep_mask: bool
    ) -> dict[int, tuple[torch.Tensor, torch.Tensor]]:
        ids = tuple(memory.object_id for memory in group)
        logits, scores, entries = self._package.track_group(features, frame_index, group)
        logits = self._record(ids, frame_index, logits, scores, entries, keep_mask)
        return {
            object_id: (logits[i : i + 1], scores[i : i + 1]) for i, object_id in enumerate(ids)
        }

    def _record(
        self,
        ids: tuple[int, ...],
        frame_index: int,
        logits: torch.Tensor,
        scores: torch.Tensor,
        entries: list[MemoryEntry] | None,
        keep_mask: bool,
    ) -> torch.Tensor:
        """Record each object's frame in the bank; returns the output logits (clicked objects'
        holes filled)."""
        clicked = [i for i, object_id in enumerate(ids) if object_id in self._clicked]
        if clicked and self._interactive.fill_hole_area > 0:
            # Outputs only: memory was encoded from the unfilled masks, as in the package.
            logits = logits.clone()
            logits[clicked] = self._filled(logits[clicked], self._interactive)
        masks = self._low_res_masks(logits, scores) if keep_mask else None
        for i, (object_id, score) in enumerate(zip(ids, scores.tolist(), strict=True)):
            self._bank.record(
                object_id,
                frame_index=frame_index,
                entry=None if entries is None else entries[i],
                score=score,
                mask=None if masks is None else masks[i],
            )
        return logits

    def forget(self, *object_ids: int) -> None:
        """Drop what the tracker keeps about removed objects (the bank drops their memory)."""
        self._clicked.difference_update(object_ids)
        if self._batched is not None:
            self._batched.forget(*object_ids)

    @staticmethod
    def _filled(logits: torch.Tensor, settings: InteractivePromptSettings) -> torch.Tensor:
        if settings.fill_hole_area == 0:
            return logits
        return fill_holes(logits, max_area=settings.fill_hole_area)

    @staticmethod
    def _low_res_masks(logits: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        return (logits[:, 0] > 0) & (scores > 0)[:, None, None]


class StreamingTracker:
    """Camera frames in, per-object masks out, with bounded memory.

    Owns the `FrameRing` (video context), the `ObjectMemoryBank` and the SAM 2.1 model; not
    thread-safe (run it from one `InferenceWorker`). Memory: the ring (``ring_capacity``
    frames), the bank (see `ObjectMemoryBank`), and the latest frame's features.

    Args:
        model: SAM 2.1 (eval mode).
        config: capacities.
        encoder: runs the image encoder on each frame; eager ``FrameEncoder(model=model)`` by
            default.
        step: the batched tracking step (see `FeatureTracker`); None: the package's
            ``track_step`` per memory layout.
    """

    def __init__(
        self,
        *,
        model: Sam2Model,
        config: TrackerConfig,
        encoder: FrameEncoder | None = None,
        step: TrackingStepRunner | None = None,
    ) -> None:
        self._model = model
        self._config = config
        self._encoder = encoder or FrameEncoder(model=model)
        self._bank = ObjectMemoryBank(
            max_objects=config.max_objects,
            windows=memory_windows(model),
            memory_dtype=config.memory_dtype,
        )
        self._core = FeatureTracker(
            model=model, bank=self._bank, interactive=config.interactive, step=step
        )
        self._ring = FrameRing(capacity=config.ring_capacity, stride=config.ring_stride)
        self._next_index = 0
        self._latest: tuple[int, FrameFeatures, tuple[int, int]] | None = None

    @property
    def bank(self) -> ObjectMemoryBank:
        return self._bank

    @property
    def ring(self) -> FrameRing:
        return self._ring

    @property
    def latest_frame_index(self) -> int | None:
        """Index of the latest pushed frame (None before the first)."""
        return None if self._latest is None else self._latest[0]

    def _precision(self) -> torch.autocast:
        dtype = self._config.sam_precision.resolve(self._model.device)
        return torch.autocast(self._model.device.type, dtype, enabled=dtype != torch.float32)

    @torch.inference_mode()
    def push_frame(self, frame: np.ndarray) -> FrameResult:
        """Encode one camera frame once and track every object onto it.

        Args:
            frame (`np.ndarray` of shape `(H, W, 3)`, uint8 RGB).
        """
        with self._precision():
            return self._push_frame(frame)

    def _push_frame(self, frame: np.ndarray) -> FrameResult:
        if not isinstance(frame, np.ndarray) or frame.ndim != 3:
            raise BadInputError(f"frame must be a (H, W, 3) uint8 array, got {frame!r:.80}")
        check_frame(frame)
        index = self._next_index
        features = self._encoder.encode(frame)
        retained = self._ring.push(index, frame, features)
        self._next_index += 1
        self._latest = (index, features, (frame.shape[0], frame.shape[1]))
        result = self._core.track(features, index, keep_mask=retained)
        self._bank.prune_masks(self._ring.indices())
        return result

    @torch.inference_mode()
    def add_objects(
        self,
        prompt: SamPrompt,
        *,
        frame_index: int | None = None,
        features: FrameFeatures | None = None,
    ) -> FrameResult:
        """Start tracking ``prompt.num_objects`` new objects.

        No frame is encoded here: the prompted frame and the frames after it use the features
        the tracker computed when they arrived (kept in the ring).

        Args:
            prompt: in model input pixels (see `unipixel_ros.sam.to_model_coordinates`).
            frame_index: the frame the prompt refers to: the latest frame (default) or an older
                one. For an older frame, the new objects are caught up by tracking them through
                the later ring frames (at the ring's stride) and the latest frame, so a
                language query that took a while still lands on the current frame.
            features: the features of ``frame_index`` when it has left the ring (e.g. from a
                query's snapshot); ignored while the ring still holds the frame.

        Returns:
            The prompted frame's result for the new objects (their ids are in ``object_ids``).
        """
        with self._precision():
            return self._add_objects(prompt, frame_index, features)

    def _add_objects(
        self, prompt: SamPrompt, frame_index: int | None, features: FrameFeatures | None
    ) -> FrameResult:
        if self._latest is None:
            raise NotReadyError("no frame yet: push a frame before adding objects")
        latest_index, latest_features, _ = self._latest
        index = latest_index if frame_index is None else frame_index
        if index == latest_index:
            return self._core.start(
                latest_features, index, prompt, keep_mask=index in self._ring.indices()
            )
        in_ring = index in self._ring.indices()
        start_features = self._ring.get(index).features if in_ring else features
        if start_features is None:
            raise BadInputError(
                f"frame {index} is neither in the ring (retained: {self._ring.indices()}) nor "
                "given with its features"
            )
        result = self._core.start(start_features, index, prompt, keep_mask=in_ring)
        for later in self._ring.frames():
            if later.frame_index > index and later.features is not None:
                self._core.track(
                    later.features,
                    later.frame_index,
                    keep_mask=True,
                    object_ids=result.object_ids,
                )
        if latest_index not in self._ring.indices():
            self._core.track(
                latest_features, latest_index, keep_mask=False, object_ids=result.object_ids
            )
        return result

    def remove_object(self, object_id: int) -> None:
        """Stop tracking one object (its id is never reused)."""
        self._bank.remove(object_id)
        self._core.forget(object_id)

    def reset(self) -> None:
        """Forget every object and frame; frame indices and ids keep counting."""
        self._core.forget(*self._bank.ids())
        self._bank.reset()
        self._ring.clear()
        self._latest = None

    def ring_masks(self, object_ids: tuple[int, ...] | None = None) -> RingMasks:
        """Per-object masks on the ring's frames (for `<|mem|>` pooling)."""
        frames = self._ring.frames()
        if not frames:
            raise NotReadyError("the frame ring is empty")
        ids = self._bank.ids() if object_ids is None else object_ids
        size = self._model.image_size // 4
        masks = torch.zeros(len(ids), len(frames), size, size, dtype=torch.bool)
        for row, object_id in enumerate(ids):
            stored = self._bank.get(object_id).masks
            for col, frame in enumerate(frames):
                if frame.frame_index in stored:
                    masks[row, col] = stored[frame.frame_index]
        return RingMasks(
            object_ids=tuple(ids),
            frame_indices=tuple(f.frame_index for f in frames),
            frames=np.stack([f.image for f in frames]),
            masks=masks,
        )
