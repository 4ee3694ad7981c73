"""``UniPixelPredictor``: the four UniPixel flows on uint8 frames, with preprocessing, device,
dtype and inference mode owned here.

Flows:

1. ``segment``: text -> answer + one mask track per ``<|seg|>`` (prompt or generated);
2. ``describe``: points/boxes -> ``<|ref|>`` embeddings -> answer (and tracks if it segments);
3. ``localize`` + ``answer_with_memory`` (= ``memory_qa``): PixelQA memory pre-filling; masks
   from outside (a tracker) go straight to ``answer_with_memory``;
4. ``multi_image``: N images (e.g. one per camera) as one video -> answer + masks per image.

SAM 2.1 encodes the frames once per query; every ``<|seg|>`` of the answer reuses them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from unipixel_ros.errors import BadInputError, CheckpointError, ConfigError
from unipixel_ros.model.builder import build_unipixel, tiny_config
from unipixel_ros.model.chat import (
    LOCALIZE_WITH_IDS,
    chatml_prompt,
    memory_prefix,
    object_ids_before_seg,
)
from unipixel_ros.model.configuration import TokenIds, vision_config_of
from unipixel_ros.model.decoding import Generation, GreedyDecoder, generate_greedy
from unipixel_ros.model.loading import load_unipixel
from unipixel_ros.model.mrope import mrope_positions
from unipixel_ros.model.object_memory import (
    MemoryTokenOrder,
    layout_object_memory,
    pool_object_memory,
)
from unipixel_ros.model.outputs import MemoryAnswer, ObjectTrack, PixelAnswer, VisualPrompt
from unipixel_ros.model.qwen_preprocessing import (
    QwenVideoInput,
    QwenVideoSpec,
    prepare_qwen_video,
    sample_frame_indices,
)
from unipixel_ros.model.tokenizer import (
    REF_TOKEN,
    SEG_TOKEN,
    QwenTokenizer,
    build_tiny_tokenizer,
)
from unipixel_ros.model.unipixel_model import RefPrompt, UniPixelModel, VisionFeatures
from unipixel_ros.sam import (
    HiddenStatePrompt,
    masks_from_logits,
    preprocess_frames,
    to_model_coordinates,
)
from unipixel_ros.tracking import ClipStart, encode_clip, track_clip

__all__ = [
    "PREDICTOR_SETTINGS_FILE",
    "TINY_RANDOM_MODEL",
    "PredictorSettings",
    "TextObserver",
    "UniPixelPredictor",
]

#: Optional file of a checkpoint directory: the settings its weights were trained for (our
#: own format; the released checkpoints have none and get the reference's settings).
PREDICTOR_SETTINGS_FILE = "predictor_settings.json"

_LOG = logging.getLogger(__name__)

TINY_RANDOM_MODEL = "tiny-random"
"""The model name (e.g. the node's `model_path`) of ``UniPixelPredictor.tiny``: RANDOM weights."""

TextObserver = Callable[[str], bool]
"""Streaming observer: gets the answer text so far after each token; False cancels."""


@dataclass(frozen=True, kw_only=True)
class PredictorSettings:
    """Deployment knobs of the predictor.

    Args:
        video: frame sampling and pixel budget for the LLM.
        max_new_tokens: generation limit per answer.
        memory_order: pooling order of ``<|mem|>`` features (see ``MemoryTokenOrder``).
        segment_all_frames: ``segment`` tracks masks on every input frame (the reference's
            evaluation); False tracks only the frames the LLM saw.
        encode_batch_size: frames per SAM 2.1 image-encoder call.
    """

    video: QwenVideoSpec = field(default_factory=QwenVideoSpec)
    max_new_tokens: int = 512
    memory_order: MemoryTokenOrder = MemoryTokenOrder.REFERENCE
    segment_all_frames: bool = True
    encode_batch_size: int = 4

    def __post_init__(self) -> None:
        for name in ("max_new_tokens", "encode_batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(
                    f"PredictorSettings.{name} must be >= 1, got {getattr(self, name)}"
                )

    def save(self, directory: str | Path) -> Path:
        """Write these settings as ``PREDICTOR_SETTINGS_FILE`` in a checkpoint directory."""
        data = asdict(self)
        data["memory_order"] = self.memory_order.value
        path = Path(directory) / PREDICTOR_SETTINGS_FILE
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def read(cls, directory: str | Path) -> PredictorSettings | None:
        """The settings a checkpoint directory carries, or None when it has no such file.

        Raises:
            CheckpointError: the file exists but does not hold valid settings.
        """
        path = Path(directory) / PREDICTOR_SETTINGS_FILE
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
            video = QwenVideoSpec(**data.pop("video"))
            order = MemoryTokenOrder(data.pop("memory_order"))
            return cls(video=video, memory_order=order, **data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError, ConfigError) as err:
            raise CheckpointError(f"{path} does not hold valid predictor settings: {err}") from err


@dataclass(frozen=True)
class _Query:
    """A prepared prompt: its text and ids, and the video (patches and vision features)."""

    prompt: str
    input_ids: torch.Tensor
    video: QwenVideoInput
    vision: VisionFeatures


def _as_frame_list(frames: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    if isinstance(frames, np.ndarray):
        if frames.ndim != 4:
            raise BadInputError(f"frames must have shape (T, H, W, 3), got {frames.shape}")
        return [frames[i] for i in range(frames.shape[0])]
    frame_list = list(frames)
    if not frame_list:
        raise BadInputError("need at least one frame")
    return frame_list


class UniPixelPredictor:
    """Runs UniPixel flows on frames.

    Args:
        model: a ``UniPixelModel`` (its device and dtype are used as they are).
        tokenizer: the tokenizer that belongs to ``model``.
        settings: deployment knobs; defaults follow the reference.
    """

    def __init__(
        self,
        *,
        model: UniPixelModel,
        tokenizer: QwenTokenizer,
        settings: PredictorSettings | None = None,
    ):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.settings = settings or PredictorSettings()
        self._ids = TokenIds.from_config(model.config)
        self._decoder: GreedyDecoder | None = None

    def use_decoder(self, decoder: GreedyDecoder | None) -> None:
        """Decode with ``decoder`` (built for this model); None restores ``generate_greedy``.

        A prompt too long for the decoder (e.g. a static cache) falls back to
        ``generate_greedy`` for that query.
        """
        self._decoder = decoder

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_pretrained(
        cls,
        source: str | Path,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        local_files_only: bool = False,
        settings: PredictorSettings | None = None,
    ) -> UniPixelPredictor:
        """Load a checkpoint directory or hub id (see ``load_unipixel``).

        Without ``settings``, a directory's ``PREDICTOR_SETTINGS_FILE`` decides them when it
        has one (UniPixel-nano does); otherwise the reference's defaults apply.
        """
        loaded = load_unipixel(
            source, device=device, dtype=dtype, local_files_only=local_files_only
        )
        if settings is None and Path(source).is_dir():
            settings = PredictorSettings.read(source)
        return cls(model=loaded.model, tokenizer=loaded.tokenizer, settings=settings)

    @classmethod
    def tiny(
        cls,
        seed: int = 0,
        *,
        sam2_image_size: int = 64,
        object_score_bias: float | None = 10.0,
        settings: PredictorSettings | None = None,
    ) -> UniPixelPredictor:
        """A random tiny model on CPU (float32) for tests and dry runs of the node.

        Args:
            seed: torch seed for the random weights.
            sam2_image_size: SAM 2.1 input size of the tiny model.
            object_score_bias: with random weights SAM 2.1 usually says "no object"; this sets
                the object-score head's last bias so masks are not all empty (``None`` keeps
                the random value).
            settings: predictor settings; by default 4 sampled frames of at most 56x56 pixels.
        """
        tokenizer = build_tiny_tokenizer()
        torch.manual_seed(seed)
        model = build_unipixel(tiny_config(tokenizer, sam2_image_size=sam2_image_size))
        if object_score_bias is not None:
            with torch.no_grad():
                decoder = model.sam2.sam_mask_decoder
                decoder.pred_obj_score_head.layers[-1].bias.fill_(object_score_bias)
        small = QwenVideoSpec(sample_frames=4, min_pixels=56 * 56, pixels_per_frame_budget=56 * 56)
        return cls(
            model=model,
            tokenizer=tokenizer,
            settings=settings or PredictorSettings(video=small, max_new_tokens=16),
        )

    # ------------------------------------------------------------------ flows

    @torch.inference_mode()
    def segment(
        self,
        frames: np.ndarray | Sequence[np.ndarray],
        question: str,
        *,
        response: str | None = None,
        on_text: TextObserver | None = None,
    ) -> PixelAnswer:
        """Flow 1: answer ``question`` and track one object per ``<|seg|>``.

        Args:
            frames (`np.ndarray` of shape `(T, H, W, 3)`): uint8 RGB clip (T = 1 for an image).
            question: user text, e.g. "Please segment the red cup."
            response: teacher-forced assistant text; when given nothing is generated and the
                ``<|seg|>`` in it are decoded.
            on_text: called with the answer text so far after each token; returning False
                cancels (`CancelledError`).

        Returns:
            ``PixelAnswer``; tracks cover every input frame (``segment_all_frames``) or the
            sampled ones.
        """
        frame_list = _as_frame_list(frames)
        indices = sample_frame_indices(len(frame_list), self.settings.video.sample_frames)
        query = self._query([frame_list[i] for i in indices], question, response=response)
        generation = self._generate(query, {}, teacher_forced=response is not None, on_text=on_text)
        tracked = range(len(frame_list)) if self.settings.segment_all_frames else indices
        return self._answer(query, generation, frame_list, tuple(indices), tuple(tracked))

    @torch.inference_mode()
    def describe(
        self,
        frames: np.ndarray | Sequence[np.ndarray],
        question: str,
        prompts: Sequence[VisualPrompt],
        *,
        on_text: TextObserver | None = None,
    ) -> PixelAnswer:
        """Flow 2: visual prompts -> ``<|ref|>`` -> answer.

        Args:
            frames (`np.ndarray` of shape `(T, H, W, 3)`): uint8 RGB clip.
            question: must hold one ``<|ref|>`` per prompt, in order; objects are usually
                written ``"[0] <|ref|>"``.
            prompts: one point or box per object, on a given frame (frame pixels).
            on_text: streaming observer, as in ``segment``.

        Returns:
            ``PixelAnswer`` (tracks only if the answer contains ``<|seg|>``).
        """
        frame_list = _as_frame_list(frames)
        indices = self._indices_keeping(len(frame_list), [p.frame_index for p in prompts])
        query = self._query([frame_list[i] for i in indices], question)
        refs = self._ref_prompts(frame_list, indices, prompts, query)
        generation = self._generate(query, {"ref": refs}, teacher_forced=False, on_text=on_text)
        return self._answer(query, generation, frame_list, tuple(indices), tuple(indices))

    @torch.inference_mode()
    def localize(
        self,
        frames: np.ndarray | Sequence[np.ndarray],
        question: str,
        *,
        prompts: Sequence[VisualPrompt] = (),
        object_ids: Sequence[int] | None = None,
    ) -> PixelAnswer:
        """Memory pass 1: masks of the referred objects, with ids, on the LLM's frames.

        With ``prompts`` (the reference's PixelQA setting), the question holds one
        ``"[N] <|ref|>"`` per prompt and the answer ``"[0] <|seg|> [1] <|seg|> ..."`` is teacher
        forced (ids from ``object_ids``, default 0..n-1). Without prompts the model generates
        the ids and ``<|seg|>`` itself.

        Returns:
            ``PixelAnswer`` whose tracks cover the sampled frames (``frame_indices``).
        """
        frame_list = _as_frame_list(frames)
        indices = self._indices_keeping(len(frame_list), [p.frame_index for p in prompts])
        sampled = [frame_list[i] for i in indices]
        text = LOCALIZE_WITH_IDS.format(question)
        extra: dict[str, torch.Tensor] = {}
        response = None
        if prompts:
            ids = list(object_ids) if object_ids is not None else list(range(len(prompts)))
            if len(ids) != len(prompts):
                raise BadInputError(f"{len(ids)} object ids for {len(prompts)} prompts")
            response = " ".join(f"[{i}] {SEG_TOKEN}" for i in ids)
        query = self._query(sampled, text, response=response)
        if prompts:
            extra["ref"] = self._ref_prompts(frame_list, indices, prompts, query)
        generation = self._generate(query, extra, teacher_forced=response is not None)
        return self._answer(query, generation, frame_list, tuple(indices), tuple(indices))

    @torch.inference_mode()
    def answer_with_memory(
        self,
        frames: np.ndarray | Sequence[np.ndarray],
        question: str,
        object_masks: Mapping[int, np.ndarray],
        *,
        answer_prefix: str = "",
        on_text: TextObserver | None = None,
    ) -> MemoryAnswer:
        """Memory pass 2: pool each object's masks into ``<|mem|>`` tokens, then answer.

        Args:
            frames (`np.ndarray` of shape `(T, H, W, 3)`): uint8 RGB clip.
            question: refers to objects as ``"[N]"``.
            object_masks: object id -> `np.ndarray` of shape `(T, H_m, W_m)` bool, on the same
                T frames (any resolution; e.g. from the tracker or from ``localize``).
            answer_prefix: text the assistant turn starts with (e.g. "The best option is (").
            on_text: streaming observer, as in ``segment``.
        """
        frame_list = _as_frame_list(frames)
        if not object_masks:
            raise BadInputError("answer_with_memory needs at least one object mask")
        indices = sample_frame_indices(len(frame_list), self.settings.video.sample_frames)
        stacked = []
        for object_id, masks in object_masks.items():
            if masks.ndim != 3 or masks.shape[0] != len(frame_list):
                raise BadInputError(
                    f"masks of object {object_id} must have shape ({len(frame_list)}, H, W), "
                    f"got {masks.shape}"
                )
            stacked.append(torch.from_numpy(np.ascontiguousarray(masks[indices])).bool())
        shapes = {tuple(m.shape) for m in stacked}
        if len(shapes) != 1:
            raise BadInputError(f"all object masks must share a shape, got {sorted(shapes)}")
        return self._answer_from_masks(
            [frame_list[i] for i in indices],
            question,
            list(object_masks),
            torch.stack(stacked, dim=1),
            answer_prefix=answer_prefix,
            localization=None,
            on_text=on_text,
        )

    @torch.inference_mode()
    def memory_qa(
        self,
        frames: np.ndarray | Sequence[np.ndarray],
        question: str,
        *,
        localize_question: str | None = None,
        prompts: Sequence[VisualPrompt] = (),
        answer_prefix: str = "",
    ) -> MemoryAnswer:
        """Flow 3: ``localize`` (pass 1), then ``answer_with_memory`` (pass 2) on its masks.

        Args:
            frames (`np.ndarray` of shape `(T, H, W, 3)`): uint8 RGB clip.
            question: pass-2 question; objects as ``"[N]"`` (``<|ref|>`` markers are removed).
            localize_question: pass-1 text (defaults to ``question``).
            prompts: visual prompts of the objects (see ``localize``).
            answer_prefix: text the pass-2 assistant turn starts with.
        """
        localization = self.localize(frames, localize_question or question, prompts=prompts)
        tracks = list(localization.tracks)
        if not tracks:
            raise BadInputError("pass 1 produced no <|seg|>; nothing to put in memory")
        ids = [t.object_id if t.object_id is not None else i for i, t in enumerate(tracks)]
        masks = torch.stack([torch.from_numpy(t.stacked()) for t in tracks], dim=1)
        frame_list = _as_frame_list(frames)
        sampled = [frame_list[i] for i in localization.frame_indices]
        cleaned = question.replace(f" {REF_TOKEN}", "").replace(REF_TOKEN, "")
        return self._answer_from_masks(
            sampled, cleaned, ids, masks, answer_prefix=answer_prefix, localization=localization
        )

    @torch.inference_mode()
    def multi_image(
        self,
        images: Sequence[np.ndarray],
        question: str,
        *,
        on_text: TextObserver | None = None,
    ) -> PixelAnswer:
        """Flow 4 (PRIMA): several images (e.g. one per camera) as one video.

        Every image is resized to the first image's Qwen size for the LLM; SAM 2.1 sees each
        at S x S and the masks come back at each image's own size. Objects are tracked from
        the first image through the others in the given order.

        Args:
            images: `(H_i, W_i, 3)` uint8 RGB arrays; at most ``settings.video.sample_frames``.
            question: the question about the images.
            on_text: streaming observer, as in ``segment``.
        """
        image_list = list(images)
        if not 1 <= len(image_list) <= self.settings.video.sample_frames:
            raise BadInputError(
                f"multi_image takes 1..{self.settings.video.sample_frames} images, "
                f"got {len(image_list)}"
            )
        query = self._query(image_list, question)
        generation = self._generate(query, {}, teacher_forced=False, on_text=on_text)
        every = tuple(range(len(image_list)))
        return self._answer(query, generation, image_list, every, every)

    # ------------------------------------------------------------------ internals

    def _indices_keeping(self, num_frames: int, keep: Sequence[int]) -> list[int]:
        """Uniform sample that contains every prompted frame (nearest sample replaced)."""
        indices = sample_frame_indices(num_frames, self.settings.video.sample_frames)
        for frame in keep:
            if not 0 <= frame < num_frames:
                raise BadInputError(f"prompt frame {frame} outside the {num_frames} frames")
            if frame not in indices:
                nearest = min(range(len(indices)), key=lambda i: abs(indices[i] - frame))
                indices[nearest] = frame
        return sorted(set(indices))

    def _query(
        self, frames: list[np.ndarray], question: str, *, response: str | None = None
    ) -> _Query:
        video = prepare_qwen_video(frames, spec=self.settings.video)
        prompt = chatml_prompt(question, num_video_tokens=video.num_tokens, response=response)
        input_ids = torch.tensor(self.tokenizer.encode(prompt), dtype=torch.long)
        vision = self.model.encode_video(video.pixel_values, video.grid_thw)
        return _Query(prompt=prompt, input_ids=input_ids, video=video, vision=vision)

    def _ref_prompts(
        self,
        frame_list: list[np.ndarray],
        indices: list[int],
        prompts: Sequence[VisualPrompt],
        query: _Query,
    ) -> torch.Tensor:
        size = self.model.sizes.image_size
        refs = []
        for prompt in prompts:
            height, width = frame_list[prompt.frame_index].shape[:2]
            xy, labels = prompt.sam_points()
            coords = to_model_coordinates(
                xy, frame_height=height, frame_width=width, image_size=size
            )
            refs.append(
                RefPrompt(
                    coords=coords, labels=labels, frame_index=indices.index(prompt.frame_index)
                )
            )
        return self.model.embed_ref_prompts(refs, grid_t=query.video.grid_thw[0])

    def _generate(
        self,
        query: _Query,
        extra: Mapping[str, torch.Tensor],
        *,
        teacher_forced: bool,
        on_text: TextObserver | None = None,
    ) -> Generation:
        config = self.model.config
        device = self.model.device
        ids = query.input_ids.to(device)
        embeds = self.model.embed_tokens(ids).clone()
        replacements = {
            self._ids.video: ("video", query.vision.embeds),
            self._ids.ref: ("ref", extra.get("ref")),
            self._ids.mem: ("mem", extra.get("mem")),
        }
        for token_id, (name, values) in replacements.items():
            where = ids.eq(token_id)
            count = int(where.sum())
            have = 0 if values is None else int(values.shape[0])
            if count != have:
                raise BadInputError(
                    f"prompt has {count} {name} tokens but {have} {name} embeddings"
                )
            if count and values is not None:
                embeds[where] = values.to(embeds.dtype)
        positions = mrope_positions(
            query.input_ids,
            video_token_id=self._ids.video,
            video_grid_thw=[query.video.grid_thw],
            spatial_merge_size=vision_config_of(config).spatial_merge_size,
            tokens_per_second=vision_config_of(config).tokens_per_second,
        )
        max_new_tokens = 0 if teacher_forced else self.settings.max_new_tokens
        stop_ids = self.tokenizer.stop_ids
        on_tokens = None if on_text is None else (lambda t: on_text(self.tokenizer.decode(t)))
        if self._decoder is not None:
            try:
                return self._decoder.generate(
                    input_ids=ids,
                    inputs_embeds=embeds,
                    positions=positions,
                    max_new_tokens=max_new_tokens,
                    stop_ids=stop_ids,
                    on_tokens=on_tokens,
                )
            except BadInputError as err:  # e.g. the prompt does not fit a static cache
                _LOG.debug("decoder refused the prompt (%s); using generate_greedy", err)
        return generate_greedy(
            self.model,
            input_ids=ids,
            inputs_embeds=embeds,
            positions=positions,
            max_new_tokens=max_new_tokens,
            stop_ids=stop_ids,
            on_tokens=on_tokens,
        )

    def _answer(
        self,
        query: _Query,
        generation: Generation,
        frames: list[np.ndarray],
        frame_indices: tuple[int, ...],
        mask_frame_indices: tuple[int, ...],
    ) -> PixelAnswer:
        text = self.tokenizer.decode(generation.token_ids)
        ids = object_ids_before_seg(query.prompt)[: generation.num_prompt_segs]
        ids += object_ids_before_seg(text)
        tracks: list[ObjectTrack] = []
        if generation.seg_states.shape[0] and self.model.config.sam2_enable_decoder:
            tokens = self.model.seg_prompt_tokens(generation.seg_states)
            masks, scores = self._track([frames[i] for i in mask_frame_indices], tokens)
            for obj in range(tokens.shape[0]):
                tracks.append(
                    ObjectTrack(
                        object_id=ids[obj] if obj < len(ids) else None,
                        from_prompt=obj < generation.num_prompt_segs,
                        masks=tuple(frame_masks[obj] for frame_masks in masks),
                        object_scores=scores[:, obj],
                    )
                )
        return PixelAnswer(
            text=text,
            tracks=tuple(tracks),
            frame_indices=frame_indices,
            mask_frame_indices=mask_frame_indices,
        )

    def _track(
        self, frames: list[np.ndarray], tokens: torch.Tensor
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """Objects prompted by hidden tokens on frame 0, propagated through ``frames``.

        Every frame goes through the SAM 2.1 image encoder once; all N objects share it.

        Returns:
            Per frame, `(N, H_t, W_t)` bool masks at that frame's size; and `(T, N)` float32
            object-score logits.
        """
        sam = self.model.sam2
        images = torch.cat(
            [
                preprocess_frames(f[None], image_size=sam.image_size, device=self.model.device)
                for f in frames
            ]
        )
        features = encode_clip(sam, images, batch_size=self.settings.encode_batch_size)
        start = ClipStart(
            frame_index=0, prompt=HiddenStatePrompt(tokens=tokens.to(self.model.device))
        )
        tracks = track_clip(sam, features, [start])
        masks = [
            masks_from_logits(
                tracks.low_res_logits[:, t], tracks.object_score_logits[:, t], frame.shape[:2]
            ).numpy()
            for t, frame in enumerate(frames)
        ]
        return masks, tracks.object_score_logits.T.contiguous().numpy()

    def _answer_from_masks(
        self,
        sampled: list[np.ndarray],
        question: str,
        object_ids: list[int],
        masks: torch.Tensor,
        *,
        answer_prefix: str,
        localization: PixelAnswer | None,
        on_text: TextObserver | None = None,
    ) -> MemoryAnswer:
        video = prepare_qwen_video(sampled, spec=self.settings.video)
        layout = layout_object_memory(masks, video.grid_thw)
        slots = {oid: layout.slots_per_object[i] for i, oid in enumerate(object_ids)}
        prompt_text = memory_prefix(len(sampled), {k: list(v) for k, v in slots.items()}) + question
        vision = self.model.encode_video(video.pixel_values, video.grid_thw)
        pooled = pool_object_memory(
            vision.merger_inputs,
            layout,
            grid_thw=video.grid_thw,
            order=self.settings.memory_order,
            window_tokens=self._window_tokens(),
        )
        mem = self.model.embed_object_memory(pooled)
        prompt = chatml_prompt(prompt_text, num_video_tokens=video.num_tokens) + answer_prefix
        input_ids = torch.tensor(self.tokenizer.encode(prompt), dtype=torch.long)
        query = _Query(prompt=prompt, input_ids=input_ids, video=video, vision=vision)
        generation = self._generate(query, {"mem": mem}, teacher_forced=False, on_text=on_text)
        return MemoryAnswer(
            text=self.tokenizer.decode(generation.token_ids),
            localization=localization,
            slots_per_object=slots,
            prompt=prompt_text,
        )

    def _window_tokens(self) -> int:
        vision = vision_config_of(self.model.config)
        patch = vision.patch_size if isinstance(vision.patch_size, int) else vision.patch_size[0]
        return vision.window_size // vision.spatial_merge_size // patch
