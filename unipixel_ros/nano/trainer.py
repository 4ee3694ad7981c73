"""Staged training of UniPixel-nano on rendered synthetic scenes.

One step takes one scene (frame 0 and a window of three consecutive later frames), plus
``click_scenes - 1`` more scenes for clicks, and sums the losses of the tasks its stage runs:

* SAM 2.1, every stage: a click on every object of frame 0, tracked through the window with
  SAM 2.1's memory (the package's ``track_step``, as the streaming tracker runs it); and a click
  per object on one rendered frame of each click scene, every multimask output scored (SAM's
  min-over-masks loss, IoU head, object-score head); and a penalty on the mean square of the
  stride-16 image features above 1 (``feature_scale``). Without it those features grow to an
  RMS of several hundred during click training; the memory encoder adds them to the mask
  embedding (RMS ~3), so memories stop saying which object they hold, memory attention
  saturates, and tracking never learns (measured 2026-11-23: track loss flat at 1.08 over a
  whole run, object-pointer gradients exactly zero).

Two choices at the start of training let SAM 2.1's memory learn at all in a short run
(`_prepare_memory_for_training`): memory attention's cross-attention starts position-aligned
(query and key projections are the same constant vector, so with RoPE each position attends to
the memories at its own position, i.e. to where the object was), and the memory encoder's mask
downsampler keeps its random initialisation. Without them the decoder's prompt-free path first
learns an object-independent prior, and training then erases the mask from the memories
(measured 2026-11-23: the object-dependent share of the memory features fell from 0.03 at
initialisation to 1e-6, the tracking loss stayed at 1.08); with them the tracking loss fell to
0.25 within 300 tracking steps.
* stage ``SAM`` (the SAM 2.1 pre-training UniPixel starts from): only the SAM 2.1 losses.
* stage ``REF`` (align ``<|ref|>``): a point or box on frame 0 -> ``"[0] <|ref|>"`` in a question
  about the object's colour / kind / handle -> language-model loss on the answer.
* stage ``SEG`` (align ``<|seg|>``): "Please segment the red cup." or "Which cup is graspable?"
  -> ``"Sure, it is <|seg|>."``; the pre-norm state that predicts ``<|seg|>`` goes through
  ``seg_head`` into SAM 2.1's decoder on frame 0 -> mask loss, plus the language-model loss. Half
  of the steps also replay a ``<|ref|>`` question.
* stage ``JOINT``: all of the above, plus memory QA (the object's masks on the LLM's frames ->
  ``<|mem|>`` tokens -> the same questions with ``"[0]"``).

Everything is trained in float32; the step count (not the wall clock) decides the schedule, so
a run is deterministic given its seed and device.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from unipixel_ros.errors import ConfigError
from unipixel_ros.model import (
    MemoryTokenOrder,
    QwenTokenizer,
    QwenVideoInput,
    RefPrompt,
    UniPixelModel,
    VisionFeatures,
    chatml_prompt,
    layout_object_memory,
    memory_prefix,
    mrope_positions,
    pool_object_memory,
    prepare_qwen_video,
)
from unipixel_ros.model.configuration import TokenIds, vision_config_of
from unipixel_ros.nano.architecture import NANO_VIDEO
from unipixel_ros.nano.dataset import WINDOW, SceneArrays
from unipixel_ros.nano.samples import region_question, region_text, seg_question
from unipixel_ros.sam import FrameFeatures, Sam2Model, preprocess_frames, to_model_coordinates

__all__ = ["Stage", "StepLosses", "TrainReport", "TrainSettings", "train_model"]

logger = logging.getLogger(__name__)

#: Initial object-score bias: training targets are always present objects, and SAM 2.1 gives
#: no mask gradient where the score says "absent", so scores start positive.
_INITIAL_OBJECT_SCORE_BIAS = 2.0
#: Entries (+-) of the shared constant query/key vector of position-aligned cross-attention:
#: a logit of 1.5^2 * 64 / sqrt(64) = 18 at zero offset for SAM 2.1's 64-wide attention.
_ALIGNED_QUERY_KEY_SCALE = 1.5


class Stage(enum.Enum):
    """Training stages, in order."""

    SAM = "sam"
    REF = "ref"
    SEG = "seg"
    JOINT = "joint"


@dataclass(frozen=True, kw_only=True)
class TrainSettings:
    """How to train.

    Args:
        seed: seeds torch, the task sampler and the click positions.
        steps: optimizer steps.
        stage_fractions: share of the steps for ``SAM``, ``REF``, ``SEG`` and ``JOINT``.
        click_scenes: scenes whose clicks one step trains on (the step's scene included).
        tracking_from: share of the steps trained on clicks alone before the tracking losses
            join: trained together from the start, tracking's gradients (useless memories
            early on) keep the click masks from being learned at all.
        tracking_weight: weight of the tracking losses.
        feature_scale_weight: weight of the ``feature_scale`` penalty (see the module
            docstring).
        learning_rate: AdamW peak learning rate (linear warm-up, cosine decay to 5 %).
        warmup_steps: warm-up length.
        weight_decay: AdamW weight decay.
        max_grad_norm: gradient clipping, applied to SAM 2.1 and to the rest separately (so
            the language losses never scale the mask gradients down).
    """

    seed: int = 0
    steps: int = 6000
    stage_fractions: tuple[float, ...] = (0.35, 0.15, 0.2, 0.3)
    click_scenes: int = 4
    tracking_from: float = 0.12
    tracking_weight: float = 1.0
    feature_scale_weight: float = 0.1
    learning_rate: float = 3e-3
    warmup_steps: int = 100
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.click_scenes < 1:
            raise ConfigError(
                f"TrainSettings needs steps >= 1 and click_scenes >= 1, got {self.steps} "
                f"and {self.click_scenes}"
            )
        shares = self.stage_fractions
        if len(shares) != len(Stage) or abs(sum(shares) - 1.0) > 1e-6 or min(shares) < 0.0:
            raise ConfigError(
                f"stage_fractions must be {len(Stage)} shares >= 0 summing to 1, got {shares}"
            )

    def stage_of(self, step: int) -> Stage:
        """The stage of optimizer step ``step`` (0-based)."""
        end = 0.0
        for stage, share in zip(Stage, self.stage_fractions, strict=True):
            end += share * self.steps
            if step < end:
                return stage
        return Stage.JOINT


@dataclass(frozen=True)
class StepLosses:
    """Named scalar losses of one step (float32 tensors with gradients)."""

    terms: dict[str, torch.Tensor]

    def total(self) -> torch.Tensor:
        return torch.stack(list(self.terms.values())).sum()


@dataclass(frozen=True, kw_only=True)
class TrainReport:
    """What a run did.

    Attributes:
        settings: the settings it ran with.
        device: where it ran.
        seconds: wall time of the optimisation loop.
        stage_losses: per stage, the mean of each loss term over the stage's last 200 steps.
    """

    settings: TrainSettings
    device: str
    seconds: float
    stage_losses: dict[str, dict[str, float]] = field(default_factory=dict)


@contextmanager
def _captured_norm_input(model: UniPixelModel) -> Iterator[list[torch.Tensor]]:
    """The input of the LLM's final RMSNorm (``seg_head``'s input), with gradients."""
    seen: list[torch.Tensor] = []

    def hook(_module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        seen.append(args[0])

    handle = model.model.language_model.norm.register_forward_pre_hook(hook)
    try:
        yield seen
    finally:
        handle.remove()


def _prepare_memory_for_training(sam: Sam2Model, generator: torch.Generator) -> None:
    """Position-aligned memory cross-attention and a frozen mask downsampler (module docstring)."""
    with torch.no_grad():
        for layer in sam.memory_attention.layers:
            attention = layer.cross_attn_image
            width = attention.q_proj.out_features
            signs = torch.randint(0, 2, (width,), generator=generator) * 2 - 1
            shared = (signs * _ALIGNED_QUERY_KEY_SCALE).to(attention.q_proj.bias)
            for projection in (attention.q_proj, attention.k_proj):
                projection.weight.zero_()
                projection.bias.copy_(shared)
    for parameter in sam.memory_encoder.mask_downsampler.parameters():
        parameter.requires_grad_(False)


def _dice_bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-mask BCE + soft Dice: logits `(N, M, H, W)`, target `(N, H, W)` -> `(N, M)`."""
    target = target[:, None].expand_as(logits)
    bce = functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    prob = logits.sigmoid()
    inter = (prob * target).sum((-2, -1))
    dice = 1.0 - (2.0 * inter + 1.0) / (prob.sum((-2, -1)) + target.sum((-2, -1)) + 1.0)
    return bce.mean((-2, -1)) * 5.0 + dice


class _StepRunner:
    """Builds the losses of one training step (see the module docstring)."""

    def __init__(
        self,
        *,
        model: UniPixelModel,
        tokenizer: QwenTokenizer,
        arrays: SceneArrays,
        rng: np.random.Generator,
        num_frames: int,
        tracking_weight: float,
        feature_scale_weight: float,
    ):
        self.model = model
        self.tracking_weight = tracking_weight
        self.feature_scale_weight = feature_scale_weight
        self.sam: Sam2Model = model.sam2
        self.tokenizer = tokenizer
        self.arrays = arrays
        self.rng = rng
        self.num_frames = num_frames
        self.ids = TokenIds.from_config(model.config)
        vision = vision_config_of(model.config)
        self.merge = vision.spatial_merge_size
        self.tokens_per_second = vision.tokens_per_second
        patch = vision.patch_size if isinstance(vision.patch_size, int) else vision.patch_size[0]
        self.window_tokens = vision.window_size // vision.spatial_merge_size // patch

    @property
    def device(self) -> torch.device:
        return self.model.device

    # ------------------------------------------------------------------ one step

    def losses(
        self, scene: int, stage: Stage, click_scenes: list[int], *, tracking: bool = True
    ) -> StepLosses:
        arrays = self.arrays
        rgb, labels = arrays.rgb[scene], arrays.labels[scene]
        images = preprocess_frames(rgb, image_size=self.sam.image_size, device=self.device)
        features = self.sam.encode_images(images)
        object_ids = [j + 1 for j in arrays.object_slots(scene) if (labels[0] == j + 1).any()]
        terms: dict[str, torch.Tensor] = {}
        frame_numbers = [int(i) for i in arrays.frame_indices[scene]]
        if tracking:
            tracked = self._track_losses(features, labels, object_ids, frame_numbers)
            terms.update({name: self.tracking_weight * loss for name, loss in tracked.items()})
        terms["click"] = self._click_losses(scene, features, click_scenes)
        top_level = torch.cat([frame.vision_feats[-1] for frame in features])
        excess = (top_level.float().pow(2).mean() - 1.0).clamp(min=0.0)
        terms["feature_scale"] = self.feature_scale_weight * excess
        if stage is Stage.SAM:
            return StepLosses(terms=terms)
        second = int(self.rng.integers(WINDOW + 1))
        video = prepare_qwen_video([rgb[0], rgb[second]], spec=NANO_VIDEO)
        vision = self.model.encode_video(video.pixel_values, video.grid_thw)
        run_ref = stage is Stage.REF or stage is Stage.JOINT or self.rng.random() < 0.5
        if run_ref:
            terms["ref_lm"] = self._ref_loss(scene, video, vision, labels[0], object_ids)
        if stage is not Stage.REF:
            terms.update(self._seg_losses(scene, video, vision, features[0], labels[0]))
        if stage is Stage.JOINT:
            terms["mem_lm"] = self._memory_loss(
                scene, video, vision, labels[[0, second]], object_ids
            )
        return StepLosses(terms=terms)

    # ------------------------------------------------------------------ SAM 2.1

    def _random_click(self, mask: np.ndarray) -> tuple[float, float]:
        """A pixel centre inside ``mask``, away from its border where the mask allows."""
        inner = mask.copy()
        inner[1:, :] &= mask[:-1, :]
        inner[:-1, :] &= mask[1:, :]
        inner[:, 1:] &= mask[:, :-1]
        inner[:, :-1] &= mask[:, 1:]
        rows, cols = np.nonzero(inner if inner.any() else mask)
        pick = int(self.rng.integers(rows.size))
        return float(cols[pick]) + 0.5, float(rows[pick]) + 0.5

    def _point_inputs(self, labels: np.ndarray, object_ids: list[int]) -> dict[str, torch.Tensor]:
        height, width = labels.shape
        clicks = torch.tensor(
            [self._random_click(labels == i) for i in object_ids], dtype=torch.float32
        )
        coords = to_model_coordinates(
            clicks, frame_height=height, frame_width=width, image_size=self.sam.image_size
        )
        return {
            "point_coords": coords[:, None].to(self.device),
            "point_labels": torch.ones(len(object_ids), 1, dtype=torch.int32, device=self.device),
        }

    def _targets(self, labels: np.ndarray, ids_per_row: list[tuple[int, ...]]) -> torch.Tensor:
        masks = np.stack([np.isin(labels, ids) for ids in ids_per_row])
        return torch.from_numpy(masks).to(self.device, torch.float32)

    def _mask_terms(
        self,
        logits: torch.Tensor,
        scores: torch.Tensor,
        target: torch.Tensor,
        ious: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """SAM-style loss: best of the M masks, IoU regression, object presence.

        Args:
            logits (`torch.Tensor` of shape `(N, M, S/4, S/4)`): low-res mask logits.
            scores (`torch.Tensor` of shape `(N, 1)`): object-score logits.
            target (`torch.Tensor` of shape `(N, H, W)`): float {0, 1} masks at frame size.
            ious (`torch.Tensor` of shape `(N, M)`): predicted IoUs, or None.
        """
        upsampled = functional.interpolate(
            logits.float(), size=target.shape[-2:], mode="bilinear", align_corners=False
        )
        per_mask = _dice_bce(upsampled, target)
        loss = per_mask.min(dim=1).values.mean()
        present = (target.flatten(1).amax(1) > 0).float()
        loss = loss + functional.binary_cross_entropy_with_logits(scores[:, 0].float(), present)
        if ious is not None:
            with torch.no_grad():
                hard = (upsampled > 0).float()
                inter = (hard * target[:, None]).sum((-2, -1))
                union = (hard + target[:, None]).clamp(max=1).sum((-2, -1))
                actual = inter / union.clamp(min=1.0)
            loss = loss + functional.mse_loss(ious.float(), actual)
        return loss

    def _decode(
        self,
        features: FrameFeatures,
        num_objects: int,
        *,
        point_inputs: dict[str, torch.Tensor] | None = None,
        hidden_tokens: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Prompted decoding of a frame with no memory: (multimask logits, IoUs, scores)."""
        sam = self.sam
        feats, pos = features.expand(num_objects)
        sizes = list(features.feat_sizes)
        pix_feat = sam._prepare_memory_conditioned_features(
            frame_idx=0,
            is_init_cond_frame=True,
            current_vision_feats=feats[-1:],
            current_vision_pos_embeds=pos[-1:],
            feat_sizes=sizes[-1:],
            output_dict={"cond_frame_outputs": {}, "non_cond_frame_outputs": {}},
            num_frames=1,
        )
        high_res = Sam2Model._high_res_maps(feats, sizes)
        multimask = sam._use_multimask(True, point_inputs)
        multi, _, ious, _, _, _, scores = sam._forward_sam_heads(
            pix_feat,
            point_inputs=point_inputs,
            high_res_features=high_res,
            multimask_output=multimask,
            hidden_tokens=hidden_tokens,
        )
        return multi, ious, scores

    def _click_losses(
        self, scene: int, features: list[FrameFeatures], others: list[int]
    ) -> torch.Tensor:
        """Clicks on every visible object of one window frame of ``scene`` and of one rendered
        frame of each scene in ``others``; the mean of their mask losses."""
        frames = [(scene, 1 + int(self.rng.integers(WINDOW)))]
        frames += [(s, int(self.rng.integers(WINDOW + 1))) for s in others]
        other_rgb = np.stack([self.arrays.rgb[s, f] for s, f in frames[1:]]) if others else None
        all_features = [features[frames[0][1]]]
        if other_rgb is not None:
            images = preprocess_frames(
                other_rgb, image_size=self.sam.image_size, device=self.device
            )
            all_features += self.sam.encode_images(images)
        losses = []
        for (s, f), frame_features in zip(frames, all_features, strict=True):
            labels = self.arrays.labels[s, f]
            visible = [i for i in range(1, int(labels.max()) + 1) if (labels == i).any()]
            if not visible:
                continue
            points = self._point_inputs(labels, visible)
            multi, ious, scores = self._decode(frame_features, len(visible), point_inputs=points)
            target = self._targets(labels, [(i,) for i in visible])
            losses.append(self._mask_terms(multi, scores, target, ious))
        return torch.stack(losses).mean()

    def _track_losses(
        self,
        features: list[FrameFeatures],
        labels: np.ndarray,
        object_ids: list[int],
        frame_numbers: list[int],
    ) -> dict[str, torch.Tensor]:
        """Click every object on frame 0, then track through the window with memory."""
        sam = self.sam
        n = len(object_ids)
        output: dict[str, dict[int, dict[str, torch.Tensor]]] = {
            "cond_frame_outputs": {},
            "non_cond_frame_outputs": {},
        }
        losses = []
        for j, features_j in enumerate(features):
            feats, pos = features_j.expand(n)
            sizes = list(features_j.feat_sizes)
            point_inputs = self._point_inputs(labels[0], object_ids) if j == 0 else None
            # The package's track_step, unrolled: in training mode it drops the object score.
            out, heads, _, _ = sam._track_step(
                frame_numbers[j],
                j == 0,
                feats,
                pos,
                sizes,
                point_inputs,
                None,
                output,
                self.num_frames,
                False,
                None,
            )
            _, _, _, low_res, high_res, obj_ptr, score = heads
            out.update(pred_masks=low_res, pred_masks_high_res=high_res, obj_ptr=obj_ptr)
            sam._encode_memory_in_output(
                feats, sizes, point_inputs, j + 1 < len(features), high_res, score, out
            )
            key = "cond_frame_outputs" if j == 0 else "non_cond_frame_outputs"
            output[key][frame_numbers[j]] = out
            target = self._targets(labels[j], [(i,) for i in object_ids])
            losses.append(self._mask_terms(low_res, score, target))
        return {"track_start": losses[0], "track": torch.stack(losses[1:]).mean()}

    # ------------------------------------------------------------------ language

    def _language(
        self,
        video: QwenVideoInput,
        vision: VisionFeatures,
        question: str,
        response: str,
        *,
        ref: torch.Tensor | None = None,
        mem: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced LLM pass: (answer cross-entropy, pre-norm states predicting
        ``<|seg|>``)."""
        model = self.model
        prompt = chatml_prompt(question, num_video_tokens=video.num_tokens)
        prefix = self.tokenizer.encode(prompt)
        ids_list = self.tokenizer.encode(prompt + response + "<|im_end|>")
        if ids_list[: len(prefix)] != prefix:
            raise ConfigError(f"answer {response!r} changes the prompt's tokens")
        ids = torch.tensor(ids_list, dtype=torch.long, device=self.device)
        embeds = model.embed_tokens(ids)
        for token_id, values in (
            (self.ids.video, vision.embeds),
            (self.ids.ref, ref),
            (self.ids.mem, mem),
        ):
            if values is not None:
                where = ids.eq(token_id)[:, None]
                embeds = embeds.masked_scatter(where, values.to(embeds.dtype))
        positions = mrope_positions(
            ids.cpu(),
            video_token_id=self.ids.video,
            video_grid_thw=[video.grid_thw],
            spatial_merge_size=self.merge,
            tokens_per_second=self.tokens_per_second,
        ).position_ids.to(self.device)
        with _captured_norm_input(model) as seen:
            output = model.model.language_model(
                inputs_embeds=embeds[None], position_ids=positions[:, None], use_cache=False
            )
        logits = model.lm_head(output.last_hidden_state[0, len(prefix) - 1 : -1])
        lm_loss = functional.cross_entropy(logits.float(), ids[len(prefix) :])
        predicts_seg = torch.nonzero(ids[1:].eq(self.ids.seg))[:, 0]
        return lm_loss, seen[-1][0][predicts_seg]

    def _ref_loss(
        self,
        scene: int,
        video: QwenVideoInput,
        vision: VisionFeatures,
        labels: np.ndarray,
        object_ids: list[int],
    ) -> torch.Tensor:
        object_id = object_ids[int(self.rng.integers(len(object_ids)))]
        question = region_question(self.arrays, scene, object_id - 1, self.rng)
        height, width = labels.shape
        mask = labels == object_id
        if self.rng.random() < 0.25:
            rows, cols = np.nonzero(mask)
            corners = [[cols.min(), rows.min()], [cols.max() + 1.0, rows.max() + 1.0]]
            xy, point_labels = torch.tensor(corners, dtype=torch.float32), torch.tensor([2, 3])
        else:
            xy = torch.tensor([self._random_click(mask)], dtype=torch.float32)
            point_labels = torch.tensor([1])
        coords = to_model_coordinates(
            xy, frame_height=height, frame_width=width, image_size=self.sam.image_size
        )
        ref = self.model.embed_ref_prompts(
            [RefPrompt(coords=coords, labels=point_labels, frame_index=0)],
            grid_t=video.grid_thw[0],
        )
        text = region_text(question.template, with_ref=True)
        loss, _ = self._language(video, vision, text, question.response, ref=ref)
        return loss

    def _seg_losses(
        self,
        scene: int,
        video: QwenVideoInput,
        vision: VisionFeatures,
        features: FrameFeatures,
        labels: np.ndarray,
    ) -> dict[str, torch.Tensor]:
        question = seg_question(self.arrays, scene, self.rng)
        lm_loss, states = self._language(video, vision, question.question, question.response)
        tokens = self.model.seg_prompt_tokens(states)
        multi, ious, scores = self._decode(features, tokens.shape[0], hidden_tokens=tokens)
        target = self._targets(labels, [question.object_ids] * tokens.shape[0])
        return {"seg_lm": lm_loss, "seg_mask": self._mask_terms(multi, scores, target, ious)}

    def _memory_loss(
        self,
        scene: int,
        video: QwenVideoInput,
        vision: VisionFeatures,
        labels: np.ndarray,
        object_ids: list[int],
    ) -> torch.Tensor:
        object_id = object_ids[int(self.rng.integers(len(object_ids)))]
        question = region_question(self.arrays, scene, object_id - 1, self.rng)
        masks = torch.from_numpy(labels == object_id)[:, None]
        layout = layout_object_memory(masks, video.grid_thw)
        pooled = pool_object_memory(
            vision.merger_inputs,
            layout,
            grid_thw=video.grid_thw,
            order=MemoryTokenOrder.RASTER,
            window_tokens=self.window_tokens,
        )
        mem = self.model.embed_object_memory(pooled)
        slots = {0: list(layout.slots_per_object[0])}
        text = memory_prefix(labels.shape[0], slots) + region_text(
            question.template, with_ref=False
        )
        loss, _ = self._language(video, vision, text, question.response, mem=mem)
        return loss


def train_model(
    model: UniPixelModel,
    tokenizer: QwenTokenizer,
    arrays: SceneArrays,
    *,
    settings: TrainSettings,
    num_frames: int,
    progress: bool = True,
    on_step: Callable[[int, StepLosses], None] | None = None,
) -> TrainReport:
    """Train ``model`` in place on ``arrays``.

    Args:
        model: a freshly built nano model (float32) on the training device.
        tokenizer: its tokenizer.
        arrays: rendered training scenes.
        settings: schedule and seed.
        num_frames: length of the scenes the window frames come from (SAM 2.1's temporal
            encodings of object pointers depend on it).
        progress: show a tqdm bar with the running loss.
        on_step: called after every optimizer step (e.g. by tests).
    """
    from tqdm import tqdm

    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    with torch.no_grad():
        decoder = model.sam2.sam_mask_decoder
        decoder.pred_obj_score_head.layers[-1].bias.fill_(_INITIAL_OBJECT_SCORE_BIAS)
    _prepare_memory_for_training(model.sam2, torch.Generator().manual_seed(settings.seed))
    model.train()
    runner = _StepRunner(
        model=model,
        tokenizer=tokenizer,
        arrays=arrays,
        rng=rng,
        num_frames=num_frames,
        tracking_weight=settings.tracking_weight,
        feature_scale_weight=settings.feature_scale_weight,
    )
    sam_parameters = [p for p in model.sam2.parameters() if p.requires_grad]
    sam_ids = {id(p) for p in sam_parameters}
    other_parameters = [p for p in model.parameters() if p.requires_grad and id(p) not in sam_ids]
    optimizer = torch.optim.AdamW(
        [{"params": sam_parameters}, {"params": other_parameters}],
        lr=settings.learning_rate,
        weight_decay=settings.weight_decay,
    )

    def lr_factor(step: int) -> float:
        if step < settings.warmup_steps:
            return (step + 1) / settings.warmup_steps
        progress_frac = (step - settings.warmup_steps) / max(
            1, settings.steps - settings.warmup_steps
        )
        return 0.05 + 0.95 * 0.5 * (1.0 + np.cos(np.pi * min(1.0, progress_frac)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    history: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    running = None
    start = time.monotonic()
    bar = tqdm(range(settings.steps), desc="train-nano", disable=not progress)
    for step in bar:
        stage = settings.stage_of(step)
        scene = int(rng.integers(len(arrays)))
        click_scenes = [int(s) for s in rng.integers(len(arrays), size=settings.click_scenes - 1)]
        tracking = step >= settings.tracking_from * settings.steps
        losses = runner.losses(scene, stage, click_scenes, tracking=tracking)
        total = losses.total()
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        for group in optimizer.param_groups:
            nn.utils.clip_grad_norm_(group["params"], settings.max_grad_norm)
        optimizer.step()
        scheduler.step()
        value = float(total.detach())
        running = value if running is None else 0.98 * running + 0.02 * value
        for name, term in losses.terms.items():
            history[stage.value][name].append(float(term.detach()))
        bar.set_postfix(loss=f"{running:.3f}", stage=stage.value)
        if on_step is not None:
            on_step(step, losses)
    seconds = time.monotonic() - start
    model.eval()
    stage_losses = {
        stage: {name: float(np.mean(values[-200:])) for name, values in terms.items()}
        for stage, terms in history.items()
    }
    logger.debug("trained %d steps in %.0f s", settings.steps, seconds)
    return TrainReport(
        settings=settings, device=str(model.device), seconds=seconds, stage_losses=stage_losses
    )
