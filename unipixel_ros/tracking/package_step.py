"""The tracker's eager tracking step: the `sam2` package's ``track_step`` per memory layout.

Objects that read memory from the same frames (the same `ObjectMemory.layout`) go through one
``track_step`` call; the package's own memory selection and concatenation run on the batch, on
a per-call copy of the bank's entries in the package's per-frame output-store format. This is
the reference the batched step (`unipixel_ros.tracking.batched_step`) is tested against.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from unipixel_ros.errors import NotReadyError
from unipixel_ros.sam import FrameFeatures, Sam2Model
from unipixel_ros.tracking.memory_bank import MemoryEntry, ObjectMemory

__all__ = ["GroupStep", "PackageTracking"]

_OutputStore = dict[str, dict[int, dict[str, object]]]


class GroupStep(NamedTuple):
    """The package's result for one group, one row per object.

    low_res_logits (`torch.Tensor` of shape `(N, 1, S/4, S/4)`, float32).
    object_score_logits (`torch.Tensor` of shape `(N,)`, float32).
    entries: each object's new memory.
    """

    low_res_logits: torch.Tensor
    object_score_logits: torch.Tensor
    entries: list[MemoryEntry]


class PackageTracking:
    """Runs ``Sam2Model.track_step`` for one memory-layout group at a time.

    Args:
        model: SAM 2.1 (eval mode).
        num_frames: the clip length the package sees (its pointer window and temporal scale).
    """

    def __init__(self, model: Sam2Model, *, num_frames: int) -> None:
        self._model = model
        self._num_frames = num_frames
        self._maskmem_pos: torch.Tensor | None = None

    def keep_pos_enc(self, pos_enc: torch.Tensor) -> None:
        """Keep the memory position encoding (the same for every frame) from the first one."""
        if self._maskmem_pos is None:
            self._maskmem_pos = pos_enc[:1].clone()

    def track_group(
        self, features: FrameFeatures, frame_index: int, group: list[ObjectMemory]
    ) -> GroupStep:
        """Track one group of same-layout objects onto ``features``."""
        batch = len(group)
        feats, pos = features.expand(batch)
        out = self._model.track_step(
            frame_idx=frame_index,
            is_init_cond_frame=False,
            current_vision_feats=feats,
            current_vision_pos_embeds=pos,
            feat_sizes=list(features.feat_sizes),
            point_inputs=None,
            mask_inputs=None,
            output_dict=self._package_store(group),
            num_frames=self._num_frames,
            track_in_reverse=False,
            run_mem_encoder=True,
        )
        self.keep_pos_enc(out["maskmem_pos_enc"][-1])
        entries = [
            MemoryEntry(
                maskmem=out["maskmem_features"][i : i + 1].clone(),
                obj_ptr=out["obj_ptr"][i : i + 1].clone(),
            )
            for i in range(batch)
        ]
        return GroupStep(out["pred_masks"], out["object_score_logits"][:, 0], entries)

    def _package_store(self, group: list[ObjectMemory]) -> _OutputStore:
        """The group's memory as the package's per-frame output store (batched rows).

        Built per call and dropped after it: the package reads ``maskmem_features``,
        ``maskmem_pos_enc`` and ``obj_ptr`` from it; the bank stays the owner.
        """
        if self._maskmem_pos is None:
            raise NotReadyError("no memory position encoding yet: start an object first")
        batch = len(group)
        pos = [self._maskmem_pos.expand(batch, -1, -1, -1)]

        def stacked(entries: list[MemoryEntry]) -> dict[str, object]:
            spatial = [e.maskmem for e in entries]
            maskmem = None if spatial[0] is None else torch.cat(spatial)  # type: ignore[arg-type]
            return {
                "maskmem_features": maskmem,
                "maskmem_pos_enc": pos,
                "obj_ptr": torch.cat([e.obj_ptr for e in entries]),
            }

        first = group[0]
        return {
            "cond_frame_outputs": {
                t: stacked([m.conditioning[t] for m in group]) for t in first.conditioning
            },
            "non_cond_frame_outputs": {
                t: stacked([m.recent[t] for m in group]) for t in first.recent
            },
        }
