"""SAM 2.1 stages timed two ways: our exported parts on a backend, and the ``sam2`` package.

Ours: the four :mod:`unipixel_ros.accel.parts.sam2` parts, prepared on the requested backend
(eager, torch.compile or TensorRT, with fallback), chained the way a tracker runs them:
image encoder -> memory attention -> decoder -> memory encoder.

Reference: the ``sam2`` package's own code on the same weights: ``forward_image``,
``_forward_sam_heads``, ``MemoryAttention``, ``_encode_new_memory``, ``track_step``, and the
video predictor (``init_state`` / ``add_new_points_or_box`` / ``propagate_in_video``), built on
a copy of the same weights (`unipixel_ros.sam.build_package_predictor`).

Tracked frames are timed in the steady state (see :mod:`unipixel_ros.bench.steady_memory`).
``track_frame_*`` times the node's own tracker (`StreamingTracker.push_frame`, objects with a
full memory window): eager it runs the package's ``track_step``, compiled the whole batched
tracking step (`unipixel_ros.accel.parts.tracking_step`) after the compiled image encoder.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from PIL import Image
from sam2.sam2_video_predictor import SAM2VideoPredictor

from unipixel_ros.bench.sam2_runners import Sam2Runners
from unipixel_ros.bench.stage_timing import StageResult, StageTimer, StageUnit, synchronize
from unipixel_ros.bench.steady_memory import SteadyMemory
from unipixel_ros.errors import BadInputError
from unipixel_ros.sam import (
    PointPrompt,
    Sam2Model,
    build_package_predictor,
    masks_from_logits,
    preprocess_frames,
)
from unipixel_ros.tracking import FrameEncoder, StreamingTracker, TrackerConfig
from unipixel_ros.tracking.batched_step import TrackingStepRunner

__all__ = ["Sam2StageBench"]


class Sam2StageBench:
    """Times SAM 2.1 stages, ours and the package's, on one model and one set of frames.

    Args:
        model: SAM 2.1 on ``device`` (float32, eval mode).
        runners: our parts on the chosen backend.
        device: where both paths run.
        frames (`np.ndarray` of shape `(F, H, W, 3)`, uint8): camera frames; F >= 1.
        repeats: timed repeats per stage.
        warmup: untimed calls per stage.
        workdir: scratch directory for the package predictor's JPEG folder.
        tracking_step: the batched tracking step of the tracker timed by ``track_frame``
            (None: the package's ``track_step``, the eager node's path).
    """

    def __init__(
        self,
        *,
        model: Sam2Model,
        runners: Sam2Runners,
        device: torch.device,
        frames: np.ndarray,
        repeats: int,
        warmup: int,
        workdir: Path,
        tracking_step: TrackingStepRunner | None = None,
    ) -> None:
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise BadInputError(f"frames must be (F, H, W, 3) uint8, got {frames.shape}")
        self._model = model
        self._package = build_package_predictor(model)
        self._runners = runners
        self._device = device
        self._frames = frames
        self._timer = StageTimer(device=device, repeats=repeats, warmup=warmup)
        self._workdir = workdir
        self._tracking_step = tracking_step
        self._size = model.image_size
        images = preprocess_frames(frames[:1], image_size=self._size, device=device)
        with torch.inference_mode():
            self._encoded = runners.image_encoder(images)
        self._images = images

    @property
    def package_predictor(self) -> SAM2VideoPredictor:
        """The package's video predictor on the model's weights (the reference path)."""
        return self._package

    # ------------------------------------------------------------------ helpers

    def _clicks(self, num_objects: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng(num_objects)
        coords = rng.uniform(0.2, 0.8, size=(num_objects, 1, 2)) * self._size
        labels = torch.ones(num_objects, 1, dtype=torch.int32, device=self._device)
        return torch.tensor(coords, dtype=torch.float32, device=self._device), labels

    def _prompted_embed(self, num_objects: int) -> torch.Tensor:
        embed = self._encoded[0] + self._model.no_mem_embed.view(1, -1, 1, 1)
        return embed.expand(num_objects, -1, -1, -1).contiguous()

    def _package_feats(self, num_objects: int) -> tuple[list[torch.Tensor], ...]:
        backbone = self._model.forward_image(self._images)
        _, feats, pos, sizes = self._model._prepare_backbone_features(backbone)
        feats = [f.expand(-1, num_objects, -1) for f in feats]
        pos = [p.expand(-1, num_objects, -1) for p in pos]
        return feats, pos, sizes

    # ------------------------------------------------------------------ stages

    def preprocess(self) -> StageResult:
        frame = self._frames[:1]
        height, width = frame.shape[1:3]
        return self._timer.stage(
            "sam2_preprocess",
            lambda: preprocess_frames(frame, image_size=self._size, device=self._device),
            detail=f"one {width}x{height} uint8 frame -> (1,3,{self._size},{self._size})",
        )

    def image_encoder(self) -> StageResult:
        model = self._model
        return self._timer.stage(
            "sam2_image_encoder",
            lambda: self._runners.image_encoder(self._images),
            reference=lambda: model._prepare_backbone_features(model.forward_image(self._images)),
            detail=f"1 frame at {self._size}px",
        )

    def decoder(self, num_objects: int) -> StageResult:
        """Prompt encoder + mask decoder for a first click on ``num_objects`` objects."""
        _, hr0, hr1, _ = self._encoded
        embed = self._prompted_embed(num_objects)
        coords, labels = self._clicks(num_objects)
        high_res = [hr0.expand(num_objects, -1, -1, -1), hr1.expand(num_objects, -1, -1, -1)]
        point_inputs = {"point_coords": coords, "point_labels": labels}
        result = self._timer.stage(
            f"sam2_decoder_{num_objects}obj",
            lambda: self._runners.click_decoder(embed, hr0, hr1, coords, labels),
            reference=lambda: self._model._forward_sam_heads(
                backbone_features=embed,
                point_inputs=point_inputs,
                high_res_features=high_res,
                multimask_output=True,
            ),
            detail=f"{num_objects} object(s), 1 click each, multimask",
        )
        per_object = f"; per object {result.ours / num_objects:.3g} ms"
        return dataclasses.replace(result, detail=result.detail + per_object)

    def memory_attention(self, memory: SteadyMemory) -> StageResult:
        n = memory.num_objects
        embed, _, _, pos = self._encoded
        curr = embed.flatten(2).permute(2, 0, 1).expand(-1, n, -1)
        curr_pos = pos.flatten(2).permute(2, 0, 1).expand(-1, n, -1)
        keys = torch.cat([memory.spatial, memory.pointers], dim=1).transpose(0, 1)
        keys_pos = torch.cat([memory.spatial_pos, memory.pointers_pos], dim=1).transpose(0, 1)
        pointer_tokens = int(memory.pointers.shape[1])
        return self._timer.stage(
            f"sam2_memory_attention_{n}obj",
            lambda: self._runners.memory_attention(
                embed, pos, memory.spatial, memory.spatial_pos, memory.pointers, memory.pointers_pos
            ),
            reference=lambda: self._model.memory_attention(
                curr=[curr],
                curr_pos=[curr_pos],
                memory=keys,
                memory_pos=keys_pos,
                num_obj_ptr_tokens=pointer_tokens,
            ),
            detail=f"{n} object(s), {memory.spatial.shape[1]} memory + {pointer_tokens} pointer "
            "tokens each",
        )

    def memory_encoder(self, num_objects: int) -> StageResult:
        embed = self._encoded[0]
        low = 4 * (self._size // self._model.backbone_stride)
        logits = torch.randn(num_objects, 1, low, low, device=self._device)
        scores = torch.ones(num_objects, 1, device=self._device)
        feats, _, sizes = self._package_feats(num_objects)

        def reference_call() -> object:
            high = F.interpolate(
                logits, size=(self._size, self._size), mode="bilinear", align_corners=False
            )
            return self._model._encode_new_memory(
                current_vision_feats=feats,
                feat_sizes=sizes,
                pred_masks_high_res=high,
                object_score_logits=scores,
                is_mask_from_pts=False,
            )

        return self._timer.stage(
            f"sam2_memory_encoder_{num_objects}obj",
            lambda: self._runners.memory_encoder(embed, logits, scores),
            reference=reference_call,
            detail=f"{num_objects} object(s), mask logits upsampled to {self._size}px",
        )

    def ours_track_step(self, encoded: tuple[torch.Tensor, ...], memory: SteadyMemory) -> tuple:
        """Memory attention -> decoder -> memory encoder for N objects on one frame."""
        embed, hr0, hr1, pos = encoded
        n = memory.num_objects
        (conditioned,) = self._runners.memory_attention(
            embed, pos, memory.spatial, memory.spatial_pos, memory.pointers, memory.pointers_pos
        )
        coords = torch.zeros(n, 1, 2, device=self._device)
        labels = torch.full((n, 1), -1, dtype=torch.int32, device=self._device)
        decoded = self._runners.track_decoder(conditioned, hr0, hr1, coords, labels)
        _, _, best, pointer, score = decoded
        memory_out = self._runners.memory_encoder(embed, best, score)
        return best, score, pointer, memory_out

    def track_step(self, memory: SteadyMemory) -> StageResult:
        """One tracked frame after the image encoder, N objects batched."""
        n = memory.num_objects
        feats, pos, sizes = self._package_feats(n)
        model = self._model
        return self._timer.stage(
            f"track_step_{n}obj",
            lambda: self.ours_track_step(self._encoded, memory),
            reference=lambda: model.track_step(
                frame_idx=memory.frame_index,
                is_init_cond_frame=False,
                current_vision_feats=feats,
                current_vision_pos_embeds=pos,
                feat_sizes=sizes,
                point_inputs=None,
                mask_inputs=None,
                output_dict=memory.package_store,
                num_frames=memory.frame_index + 1_000,
                track_in_reverse=False,
                run_mem_encoder=True,
            ),
            detail=f"{n} object(s) batched, full memory window, no image encoder; reference: "
            "package track_step",
        )

    def track_frame(self, memory: SteadyMemory) -> StageResult:
        """A whole tracked camera frame: preprocessing, image encoder, tracking step.

        Reference: the package's video predictor (``propagate_in_video``) per frame in the
        steady state, objects tracked one by one as it does; its frames are preprocessed up
        front (it loads JPEGs), so its time excludes preprocessing.
        """
        n = memory.num_objects
        frame = self._frames[:1]
        tracker = self._steady_tracker(n)

        def ours_call() -> object:
            result = tracker.push_frame(frame[0])
            return masks_from_logits(
                result.low_res_logits, result.object_score_logits[:, None], frame.shape[1:3]
            )

        # The reference is timed per frame inside ``propagate_in_video``, not as one call.
        return StageResult(
            name=f"track_frame_{n}obj",
            ours=self._timer.median_ms(ours_call),
            reference=self._propagate_ms(n),
            unit=StageUnit.MILLISECONDS,
            detail=f"{n} object(s): the tracker's push_frame (preprocess + encoder + "
            f"{'batched step' if self._tracking_step else 'package track_step'}) + masks; "
            "reference: package propagate_in_video per frame",
        )

    def _steady_tracker(self, num_objects: int) -> StreamingTracker:
        """A tracker with ``num_objects`` objects whose memory windows are full."""
        model = self._model
        encoder = FrameEncoder(model=model, runner=self._runners.image_encoder)
        tracker = StreamingTracker(
            model=model,
            config=TrackerConfig(max_objects=num_objects),
            encoder=encoder,
            step=self._tracking_step,
        )
        coords, labels = self._clicks(num_objects)
        frame = self._frames[0]
        tracker.push_frame(frame)
        tracker.add_objects(PointPrompt(coords=coords, labels=labels))
        for _ in range(max(model.num_maskmem, model.max_obj_ptrs_in_encoder)):
            tracker.push_frame(frame)
        return tracker

    def click_to_mask(self) -> StageResult:
        """Camera frame + one click -> mask at the frame size."""
        frame = self._frames[:1]
        height, width = frame.shape[1:3]
        coords, labels = self._clicks(1)

        def ours_call() -> object:
            images = preprocess_frames(frame, image_size=self._size, device=self._device)
            embed, hr0, hr1, _ = self._runners.image_encoder(images)
            embed = embed + self._model.no_mem_embed.view(1, -1, 1, 1)
            decoded = self._runners.click_decoder(embed, hr0, hr1, coords, labels)
            return masks_from_logits(decoded[2], decoded[4], (height, width))

        predictor = self._package
        state = self.package_state(frame, "click")
        points = coords[0].cpu() * torch.tensor([width, height]) / self._size

        def reset() -> None:
            predictor.reset_state(state)
            state["cached_features"] = {}

        def reference_call() -> object:
            state["images"] = preprocess_frames(frame, image_size=self._size, device=self._device)
            _, _, masks = predictor.add_new_points_or_box(
                state, frame_idx=0, obj_id=0, points=points, labels=labels[0].cpu()
            )
            return masks > 0

        return self._timer.stage(
            "click_to_mask",
            ours_call,
            reference=reference_call,
            reference_setup=reset,
            detail=f"{width}x{height} frame + 1 click -> mask at frame size; reference: package "
            "add_new_points_or_box",
        )

    # ------------------------------------------------------------------ package predictor

    def package_state(self, frames: np.ndarray, name: str) -> dict[str, Any]:
        """``init_state`` on a folder of blank JPEGs of the frames' size (the package only
        reads videos from disk); the caller puts the real preprocessed frames in
        ``state["images"]``."""
        folder = self._workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        blank = np.zeros(frames.shape[1:], np.uint8)
        for t in range(frames.shape[0]):
            Image.fromarray(blank).save(folder / f"{t:05d}.jpg")
        return self._package.init_state(str(folder))

    def _propagate_ms(self, num_objects: int) -> float:
        """Median ms per steady-state frame of ``propagate_in_video`` with N clicked objects."""
        predictor = self._package
        window = predictor.num_maskmem - 1
        if predictor.use_obj_ptrs_in_encoder:
            window = max(window, predictor.max_obj_ptrs_in_encoder - 1)
        count = window + 2 + max(self._timer.repeats, 3)
        frames = self._frames[np.arange(count) % self._frames.shape[0]]
        state = self.package_state(frames, f"propagate_{num_objects}")
        height, width = frames.shape[1:3]
        coords, labels = self._clicks(num_objects)
        scale = torch.tensor([width, height]) / self._size
        with torch.inference_mode():
            state["images"] = preprocess_frames(frames, image_size=self._size, device=self._device)
            state["cached_features"] = {}
            for obj in range(num_objects):
                predictor.add_new_points_or_box(
                    state,
                    frame_idx=0,
                    obj_id=obj,
                    points=coords[obj].cpu() * scale,
                    labels=labels[obj].cpu(),
                )
            stamps = []
            synchronize(self._device)
            for _ in predictor.propagate_in_video(state):
                synchronize(self._device)
                stamps.append(time.perf_counter())
        steady = np.diff(stamps)[window + 1 :]
        return 1000.0 * float(np.median(steady))
