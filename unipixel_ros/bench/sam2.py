"""SAM 2.1 stages timed two ways: our exported parts on a backend, and the ``sam2`` package.

Ours: the four :mod:`unipixel_ros.accel.parts.sam2` parts, prepared on the requested backend
(eager, torch.compile or TensorRT, with fallback), chained the way a tracker runs them:
image encoder -> memory attention -> decoder -> memory encoder.

Reference: the ``sam2`` package's own code on the same weights: ``forward_image``,
``_forward_sam_heads``, ``MemoryAttention``, ``_encode_new_memory``, ``track_step``, and the
video predictor (``init_state`` / ``add_new_points_or_box`` / ``propagate_in_video``).

Tracked frames are timed in the steady state: every object reads a full memory window
(``num_maskmem`` spatial memories and ``max_obj_ptrs_in_encoder`` pointers, 7 and 16 for
b+). The memory contents are random; only their shapes matter for the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from PIL import Image

from unipixel_ros.accel.backends.fallback import prepare_with_fallback
from unipixel_ros.accel.backends.name import BackendName
from unipixel_ros.accel.backends.protocol import InferenceBackend, PartRunner
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.image_encoder import image_encoder_part
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
from unipixel_ros.accel.parts.sam2.memory_attention import memory_attention_part
from unipixel_ros.accel.parts.sam2.memory_encoder import memory_encoder_part
from unipixel_ros.accel.parts.sam2.prompt_decoder import prompt_decoder_part
from unipixel_ros.bench.stage_timing import (
    StageResult,
    StageUnit,
    synchronize,
    time_call,
    time_pair,
)
from unipixel_ros.errors import BadInputError
from unipixel_ros.sam import Sam2Model, masks_from_logits, preprocess_frames

__all__ = [
    "Sam2Runners",
    "Sam2StageBench",
    "SteadyMemory",
    "pipeline_parts",
    "prepare_sam2_runners",
    "steady_memory",
]


@dataclass(frozen=True)
class Sam2Runners:
    """The SAM 2.1 parts, ready to call on one backend.

    Args:
        image_encoder: `frames (T,3,S,S)` -> image_embed, high_res_feat_0/1, image_pos.
        click_decoder: points-only decoder with multimask output (a first click).
        track_decoder: points-only decoder for tracked frames (one padding point, label -1);
            multimask as the model's ``multimask_output_for_tracking`` says.
        hidden_decoder: decoder with the K ``<|seg|>`` tokens (UniPixel's language prompt).
        memory_attention: conditions the frame on each object's memory.
        memory_encoder: writes each object's memory.
        backends: part name -> backend that prepared it.
        reasons: the distinct fallback / selection lines, in order.
    """

    image_encoder: PartRunner
    click_decoder: PartRunner
    track_decoder: PartRunner
    hidden_decoder: PartRunner
    memory_attention: PartRunner
    memory_encoder: PartRunner
    backends: Mapping[str, BackendName]
    reasons: tuple[str, ...]


def pipeline_parts(
    model: Sam2Model, *, limits: Sam2PartLimits, hidden_tokens: int
) -> dict[str, AcceleratedPart]:
    """The parts the pipeline runs, keyed by their role in :class:`Sam2Runners`."""
    tracking_multimask = bool(model.multimask_output_for_tracking)
    return {
        "image_encoder": image_encoder_part(model, limits=limits),
        "click_decoder": prompt_decoder_part(model, limits=limits, multimask_output=True),
        "track_decoder": prompt_decoder_part(
            model, limits=limits, multimask_output=tracking_multimask
        ),
        "hidden_decoder": prompt_decoder_part(
            model, limits=limits, num_hidden_tokens=hidden_tokens, multimask_output=True
        ),
        "memory_attention": memory_attention_part(model, limits=limits),
        "memory_encoder": memory_encoder_part(model, limits=limits),
    }


def prepare_sam2_runners(
    model: Sam2Model,
    *,
    requested: BackendName | str,
    device: torch.device,
    backends: Mapping[BackendName, InferenceBackend],
    hidden_tokens: int,
    limits: Sam2PartLimits | None = None,
) -> Sam2Runners:
    """Prepare every part on ``requested`` (falling back per part where it cannot run).

    Args:
        model: SAM 2.1 on ``device`` in float32, eval mode.
        requested: backend name from the command line.
        device: where the parts run.
        backends: the backend mapping (:func:`unipixel_ros.accel.make_backends`).
        hidden_tokens: K of the ``<|seg|>`` prompt (UniPixel: 2).
        limits: shape ranges for TensorRT profiles (default :class:`Sam2PartLimits`).
    """
    parts = pipeline_parts(model, limits=limits or Sam2PartLimits(), hidden_tokens=hidden_tokens)
    prepared = {
        role: prepare_with_fallback(part, requested=requested, device=device, backends=backends)
        for role, part in parts.items()
    }
    reasons = tuple(dict.fromkeys(p.reason for p in prepared.values()))
    return Sam2Runners(
        **{role: p.runner for role, p in prepared.items()},
        backends={parts[role].name: p.backend for role, p in prepared.items()},
        reasons=reasons,
    )


@dataclass(frozen=True)
class SteadyMemory:
    """A full memory window for N objects, in the layouts of both paths.

    Args:
        spatial (`(N, T*G*G, Cm)`): T spatial memories, flattened (our memory attention part).
        spatial_pos (`(N, T*G*G, Cm)`): their position + temporal encodings.
        pointers (`(N, Q, Cm)`): object-pointer tokens (Q = pointers * C / Cm).
        pointers_pos (`(N, Q, Cm)`): their position encodings.
        package_store: the same window as the package's per-object output store
            (``cond_frame_outputs`` / ``non_cond_frame_outputs``) for ``track_step``.
        frame_index: the frame index a step on this memory has (after every stored frame).
    """

    spatial: torch.Tensor
    spatial_pos: torch.Tensor
    pointers: torch.Tensor
    pointers_pos: torch.Tensor
    package_store: dict[str, dict[int, dict[str, Any]]]
    frame_index: int

    @property
    def num_objects(self) -> int:
        return int(self.spatial.shape[0])


def steady_memory(model: Sam2Model, num_objects: int, *, seed: int = 0) -> SteadyMemory:
    """Random memory of the steady-state size for ``num_objects`` objects."""
    generator = torch.Generator().manual_seed(seed)
    device = model.device
    grid = model.image_size // model.backbone_stride
    width, mem = model.hidden_dim, model.mem_dim
    memories = model.num_maskmem
    pointers = model.max_obj_ptrs_in_encoder if model.use_obj_ptrs_in_encoder else 1
    window = max(memories - 1, pointers - 1, 1)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator).to(device)

    def entry() -> dict[str, Any]:
        return {
            "maskmem_features": rand(num_objects, mem, grid, grid),
            "maskmem_pos_enc": [rand(num_objects, mem, grid, grid)],
            "obj_ptr": rand(num_objects, width),
        }

    tokens = pointers * (width // mem)
    return SteadyMemory(
        spatial=rand(num_objects, memories * grid * grid, mem),
        spatial_pos=rand(num_objects, memories * grid * grid, mem),
        pointers=rand(num_objects, tokens, mem),
        pointers_pos=rand(num_objects, tokens, mem),
        package_store={
            "cond_frame_outputs": {0: entry()},
            "non_cond_frame_outputs": {t: entry() for t in range(1, window + 1)},
        },
        frame_index=window + 1,
    )


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
    ) -> None:
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise BadInputError(f"frames must be (F, H, W, 3) uint8, got {frames.shape}")
        self._model = model
        self._runners = runners
        self._device = device
        self._frames = frames
        self._repeats = repeats
        self._warmup = warmup
        self._workdir = workdir
        self._size = model.image_size
        images = preprocess_frames(frames[:1], image_size=self._size, device=device)
        with torch.inference_mode():
            self._encoded = runners.image_encoder(images)
        self._images = images

    # ------------------------------------------------------------------ helpers

    def _time(self, call: Callable[[], object]) -> float:
        with torch.inference_mode():
            return time_call(
                call,
                device=self._device,
                repeats=self._repeats,
                warmup=self._warmup,
            ).median_ms

    def _pair(
        self,
        ours: Callable[[], object],
        reference: Callable[[], object],
        reference_setup: Callable[[], object] | None = None,
    ) -> tuple[float, float]:
        """Medians of both paths, timed interleaved (see ``time_pair``)."""
        with torch.inference_mode():
            timings = time_pair(
                ours,
                reference,
                device=self._device,
                repeats=self._repeats,
                warmup=self._warmup,
                reference_setup=reference_setup,
            )
        return timings[0].median_ms, timings[1].median_ms

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
        ours = self._time(
            lambda: preprocess_frames(frame, image_size=self._size, device=self._device)
        )
        height, width = frame.shape[1:3]
        return StageResult(
            name="sam2_preprocess",
            ours=ours,
            reference=None,
            unit=StageUnit.MILLISECONDS,
            detail=f"one {width}x{height} uint8 frame -> (1,3,{self._size},{self._size})",
        )

    def image_encoder(self) -> StageResult:
        model = self._model
        ours, reference = self._pair(
            lambda: self._runners.image_encoder(self._images),
            lambda: model._prepare_backbone_features(model.forward_image(self._images)),
        )
        return StageResult(
            name="sam2_image_encoder",
            ours=ours,
            reference=reference,
            unit=StageUnit.MILLISECONDS,
            detail=f"1 frame at {self._size}px",
        )

    def decoder(self, num_objects: int) -> StageResult:
        """Prompt encoder + mask decoder for a first click on ``num_objects`` objects."""
        _, hr0, hr1, _ = self._encoded
        embed = self._prompted_embed(num_objects)
        coords, labels = self._clicks(num_objects)
        high_res = [hr0.expand(num_objects, -1, -1, -1), hr1.expand(num_objects, -1, -1, -1)]
        point_inputs = {"point_coords": coords, "point_labels": labels}
        ours, reference = self._pair(
            lambda: self._runners.click_decoder(embed, hr0, hr1, coords, labels),
            lambda: self._model._forward_sam_heads(
                backbone_features=embed,
                point_inputs=point_inputs,
                high_res_features=high_res,
                multimask_output=True,
            ),
        )
        return StageResult(
            name=f"sam2_decoder_{num_objects}obj",
            ours=ours,
            reference=reference,
            unit=StageUnit.MILLISECONDS,
            detail=f"{num_objects} object(s), 1 click each, multimask; per object "
            f"{ours / num_objects:.3g} ms",
        )

    def memory_attention(self, memory: SteadyMemory) -> StageResult:
        n = memory.num_objects
        embed, _, _, pos = self._encoded
        curr = embed.flatten(2).permute(2, 0, 1).expand(-1, n, -1)
        curr_pos = pos.flatten(2).permute(2, 0, 1).expand(-1, n, -1)
        keys = torch.cat([memory.spatial, memory.pointers], dim=1).transpose(0, 1)
        keys_pos = torch.cat([memory.spatial_pos, memory.pointers_pos], dim=1).transpose(0, 1)
        pointer_tokens = int(memory.pointers.shape[1])
        ours, reference = self._pair(
            lambda: self._runners.memory_attention(
                embed, pos, memory.spatial, memory.spatial_pos, memory.pointers, memory.pointers_pos
            ),
            lambda: self._model.memory_attention(
                curr=[curr],
                curr_pos=[curr_pos],
                memory=keys,
                memory_pos=keys_pos,
                num_obj_ptr_tokens=pointer_tokens,
            ),
        )
        return StageResult(
            name=f"sam2_memory_attention_{n}obj",
            ours=ours,
            reference=reference,
            unit=StageUnit.MILLISECONDS,
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

        ours, reference = self._pair(
            lambda: self._runners.memory_encoder(embed, logits, scores), reference_call
        )
        return StageResult(
            name=f"sam2_memory_encoder_{num_objects}obj",
            ours=ours,
            reference=reference,
            unit=StageUnit.MILLISECONDS,
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
        ours, reference = self._pair(
            lambda: self.ours_track_step(self._encoded, memory),
            lambda: model.track_step(
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
        )
        return StageResult(
            name=f"track_step_{n}obj",
            ours=ours,
            reference=reference,
            unit=StageUnit.MILLISECONDS,
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

        def ours_call() -> object:
            images = preprocess_frames(frame, image_size=self._size, device=self._device)
            best, score, _, _ = self.ours_track_step(self._runners.image_encoder(images), memory)
            return masks_from_logits(best, score, frame.shape[1:3])

        ours = self._time(ours_call)
        reference = self._propagate_ms(n)
        return StageResult(
            name=f"track_frame_{n}obj",
            ours=ours,
            reference=reference,
            unit=StageUnit.MILLISECONDS,
            detail=f"{n} object(s): preprocess + encoder + step + masks; reference: package "
            "propagate_in_video per frame",
        )

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

        model = self._model
        state = self.package_state(frame, "click")
        points = coords[0].cpu() * torch.tensor([width, height]) / self._size

        def reset() -> None:
            model.reset_state(state)
            state["cached_features"] = {}

        def reference_call() -> object:
            state["images"] = preprocess_frames(frame, image_size=self._size, device=self._device)
            _, _, masks = model.add_new_points_or_box(
                state, frame_idx=0, obj_id=0, points=points, labels=labels[0].cpu()
            )
            return masks > 0

        ours, reference = self._pair(ours_call, reference_call, reference_setup=reset)
        return StageResult(
            name="click_to_mask",
            ours=ours,
            reference=reference,
            unit=StageUnit.MILLISECONDS,
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
        return self._model.init_state(str(folder))

    def _propagate_ms(self, num_objects: int) -> float:
        """Median ms per steady-state frame of ``propagate_in_video`` with N clicked objects."""
        model = self._model
        window = model.num_maskmem - 1
        if model.use_obj_ptrs_in_encoder:
            window = max(window, model.max_obj_ptrs_in_encoder - 1)
        count = window + 2 + max(self._repeats, 3)
        frames = self._frames[np.arange(count) % self._frames.shape[0]]
        state = self.package_state(frames, f"propagate_{num_objects}")
        height, width = frames.shape[1:3]
        coords, labels = self._clicks(num_objects)
        scale = torch.tensor([width, height]) / self._size
        with torch.inference_mode():
            state["images"] = preprocess_frames(frames, image_size=self._size, device=self._device)
            state["cached_features"] = {}
            for obj in range(num_objects):
                model.add_new_points_or_box(
                    state,
                    frame_idx=0,
                    obj_id=obj,
                    points=coords[obj].cpu() * scale,
                    labels=labels[obj].cpu(),
                )
            stamps = []
            synchronize(self._device)
            for _ in model.propagate_in_video(state):
                synchronize(self._device)
                stamps.append(time.perf_counter())
        steady = np.diff(stamps)[window + 1 :]
        return 1000.0 * float(np.median(steady))
