"""The tracker's batched tracking step: every object in one call per object-count bucket.

`FeatureTracker` uses it when given a `TrackingStepRunner` (the compile backend gives one, see
``unipixel_ros.accel.parts.tracking_step``); without one it runs the package's ``track_step``
per memory layout, as before. Per frame: the objects are padded to the smallest bucket that
holds them (more than the largest bucket: chunks of it), `MemorySlots` says what each reads,
the runner computes masks, scores and new memories for all of them, and the new memories are
written back into the preallocated slots. The host builds one small index tensor per call and
reads the scores back once per frame; nothing is done per object on the device.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import torch

from unipixel_ros.errors import ConfigError
from unipixel_ros.sam import FrameFeatures, Sam2Model
from unipixel_ros.tracking.memory_bank import ObjectMemoryBank
from unipixel_ros.tracking.memory_slots import MemorySlots, SelectionRules

__all__ = ["BatchedTracking", "StepResult", "TrackingStepRunner", "bucket_for"]


class TrackingStepRunner(Protocol):
    """SAM 2.1's tracking step for a padded batch (``Sam2TrackingStep``'s contract).

    Called with the step's seven inputs, the leading dim of the memory inputs being one of
    ``buckets``; returns mask logits `(B, 1, S/4, S/4)`, object score logits `(B, 1)`, object
    pointers `(B, C)` and spatial memories `(B, Cm, G, G)`.
    """

    @property
    def buckets(self) -> tuple[int, ...]: ...

    def __call__(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]: ...


class StepResult(NamedTuple):
    """One frame's result for the tracked objects, in the order asked.

    low_res_logits (`torch.Tensor` of shape `(N, 1, S/4, S/4)`, float32).
    object_score_logits (`torch.Tensor` of shape `(N,)`, float32).
    """

    low_res_logits: torch.Tensor
    object_score_logits: torch.Tensor


def bucket_for(count: int, buckets: tuple[int, ...]) -> int:
    """The smallest bucket holding ``count`` objects (the largest when none does)."""
    fitting = [b for b in buckets if b >= count]
    return min(fitting) if fitting else max(buckets)


class BatchedTracking:
    """Preallocated memory plus the bucketed step, for one tracker's objects.

    Args:
        model: SAM 2.1 (eval mode); only its sizes and device are read here.
        runner: the step.
        bank: the tracker's bank: its ``max_objects`` rows, its windows and ``memory_dtype``
            (None: the model's dtype) size the slots.
    """

    def __init__(
        self, model: Sam2Model, runner: TrackingStepRunner, *, bank: ObjectMemoryBank
    ) -> None:
        if not runner.buckets or min(runner.buckets) < 1:
            raise ConfigError(f"tracking-step buckets must be positive, got {runner.buckets}")
        dtype = model.sam_prompt_encoder.no_mask_embed.weight.dtype
        grid = model.image_size // model.backbone_stride
        self._runner = runner
        self._slots = MemorySlots(
            rows=bank.max_objects,
            windows=bank.windows,
            rules=SelectionRules(
                num_maskmem=model.num_maskmem,
                stride=model.memory_temporal_stride_for_eval,
                max_pointers=model.max_obj_ptrs_in_encoder,
            ),
            memory_shape=(model.mem_dim, grid, grid),
            pointer_width=model.hidden_dim,
            memory_dtype=bank.memory_dtype or dtype,
            pointer_dtype=dtype,
            device=model.device,
        )

    @property
    def slots(self) -> MemorySlots:
        return self._slots

    def start(
        self,
        object_ids: tuple[int, ...],
        frame_index: int,
        maskmem: torch.Tensor,
        obj_ptr: torch.Tensor,
    ) -> None:
        """Store new objects' conditioning memory (see `MemorySlots.start`)."""
        self._slots.start(object_ids, frame_index, maskmem, obj_ptr)

    def forget(self, *object_ids: int) -> None:
        self._slots.release(*object_ids)

    def track(
        self, features: FrameFeatures, frame_index: int, object_ids: tuple[int, ...]
    ) -> StepResult:
        """Track ``object_ids`` onto ``features`` and store their new memory."""
        largest = max(self._runner.buckets)
        logits, scores = [], []
        for first in range(0, len(object_ids), largest):
            chunk = object_ids[first : first + largest]
            out = self._track_chunk(features, frame_index, chunk)
            logits.append(out.low_res_logits)
            scores.append(out.object_score_logits)
        return StepResult(torch.cat(logits), torch.cat(scores))

    def _track_chunk(
        self, features: FrameFeatures, frame_index: int, object_ids: tuple[int, ...]
    ) -> StepResult:
        bucket = bucket_for(len(object_ids), self._runner.buckets)
        slots = self._slots
        layout = slots.layout(object_ids, frame_index, bucket=bucket)
        layout = layout.to(slots.spatial.device, non_blocking=True)
        spatial, pointers = slots.gather(layout)
        high_res_0, high_res_1, embed = features.vision_feats
        logits, scores, obj_ptr, maskmem = self._runner(
            embed,
            features.vision_pos_embeds[-1],
            high_res_0,
            high_res_1,
            spatial,
            pointers,
            layout,
        )
        slots.write(object_ids, frame_index, layout, maskmem, obj_ptr)
        count = len(object_ids)
        return StepResult(logits[:count], scores[:count, 0])
