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

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.model.builder import build_unipixel, set_object_score_bias, tiny_config
from unipixel_ros.model.chat import LOCALIZE_WITH_IDS
from unipixel_ros.model.configuration import TokenIds
from unipixel_ros.model.decoding import Generation, GreedyDecoder, generate_greedy
from unipixel_ros.model.loading import load_unipixel
from unipixel_ros.model.outputs import MemoryAnswer, PixelAnswer, VisualPrompt
from unipixel_ros.model.predictor_settings import PredictorSettings
from unipixel_ros.model.prompt_embedding import embed_prompt
from unipixel_ros.model.query import (
    Query,
    as_frame_list,
    prepare_memory_query,
    prepare_query,
    ref_embeddings,
    sample_frame_indices_keeping,
    stack_object_masks,
)
from unipixel_ros.model.qwen_preprocessing import QwenVideoSpec, sample_frame_indices
from unipixel_ros.model.seg_tracking import seg_tracks
from unipixel_ros.model.tokenizer import REF_TOKEN, SEG_TOKEN, QwenTokenizer, build_tiny_tokenizer
from unipixel_ros.model.unipixel_model import UniPixelModel
from unipixel_ros.sam import FrameFeatures

__all__ = ["TINY_RANDOM_MODEL", "TextObserver", "UniPixelPredictor"]

_LOG = logging.getLogger(__name__)

TINY_RANDOM_MODEL = "tiny-random"
"""The model name (e.g. the node's `model_path`) of ``UniPixelPredictor.tiny``: RANDOM weights."""

TextObserver = Callable[[str], bool]
"""Streaming observer: gets the answer text so far after each token; False cancels."""


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
            set_object_score_bias(model.sam2, object_score_bias)
        small = QwenVideoSpec(sample_frames=4, min_pixels=56 * 56, pixels_per_frame_budget=56 * 56)
        return cls(
            model=model,
            tokenizer=tokenizer,
            settings=settings or PredictorSettings(video=small, max_new_tokens=16),
        )

    @torch.inference_mode()
    def segment(
        self,
        frames: np.ndarray | Sequence[np.ndarray],
        question: str,
        *,
        response: str | None = None,
        on_text: TextObserver | None = None,
        features: Sequence[FrameFeatures] | None = None,
    ) -> PixelAnswer:
        """Flow 1: answer ``question`` and track one object per ``<|seg|>``.

        Args:
            frames (`np.ndarray` of shape `(T, H, W, 3)`): uint8 RGB clip (T = 1 for an image).
            question: user text, e.g. "Please segment the red cup."
            response: teacher-forced assistant text; when given nothing is generated and the
                ``<|seg|>`` in it are decoded.
            on_text: called with the answer text so far after each token; returning False
                cancels (`CancelledError`).
            features: the frames' SAM 2.1 features if known (e.g. the tracker's); None encodes.

        Returns:
            ``PixelAnswer``; tracks cover every input frame (``segment_all_frames``) or the
            sampled ones.
        """
        frame_list = as_frame_list(frames)
        indices = sample_frame_indices(len(frame_list), self.settings.video.sample_frames)
        query = self._query([frame_list[i] for i in indices], question, response=response)
        generation = self._generate(query, {}, teacher_forced=response is not None, on_text=on_text)
        tracked = range(len(frame_list)) if self.settings.segment_all_frames else indices
        return self._answer(
            query, generation, frame_list, tuple(indices), tuple(tracked), features=features
        )

    @torch.inference_mode()
    def describe(
        self,
        frames: np.ndarray | Sequence[np.ndarray],
        question: str,
        prompts: Sequence[VisualPrompt],
        *,
        on_text: TextObserver | None = None,
        features: Sequence[FrameFeatures] | None = None,
    ) -> PixelAnswer:
        """Flow 2: visual prompts -> ``<|ref|>`` -> answer.

        Args:
            frames (`np.ndarray` of shape `(T, H, W, 3)`): uint8 RGB clip.
            question: must hold one ``<|ref|>`` per prompt, in order; objects are usually
                written ``"[0] <|ref|>"``.
            prompts: one point or box per object, on a given frame (frame pixels).
            on_text, features: as in ``segment``.

        Returns:
            ``PixelAnswer`` (tracks only if the answer contains ``<|seg|>``).
        """
        frame_list = as_frame_list(frames)
        indices = sample_frame_indices_keeping(
            len(frame_list), self.settings.video.sample_frames, [p.frame_index for p in prompts]
        )
        query = self._query([frame_list[i] for i in indices], question)
        refs = ref_embeddings(
            self.model, frame_list, indices, prompts, grid_t=query.video.grid_thw[0]
        )
        generation = self._generate(query, {"ref": refs}, teacher_forced=False, on_text=on_text)
        kept = tuple(indices)
        return self._answer(query, generation, frame_list, kept, kept, features=features)

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
        frame_list = as_frame_list(frames)
        indices = sample_frame_indices_keeping(
            len(frame_list), self.settings.video.sample_frames, [p.frame_index for p in prompts]
        )
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
            extra["ref"] = ref_embeddings(
                self.model, frame_list, indices, prompts, grid_t=query.video.grid_thw[0]
            )
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
        frame_list = as_frame_list(frames)
        if not object_masks:
            raise BadInputError("answer_with_memory needs at least one object mask")
        indices = sample_frame_indices(len(frame_list), self.settings.video.sample_frames)
        return self._answer_from_masks(
            [frame_list[i] for i in indices],
            question,
            list(object_masks),
            stack_object_masks(object_masks, len(frame_list), indices),
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
        frame_list = as_frame_list(frames)
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
        features: Sequence[FrameFeatures] | None = None,
    ) -> PixelAnswer:
        """Flow 4 (PRIMA): several images (e.g. one per camera) as one video.

        Every image is resized to the first image's Qwen size for the LLM; SAM 2.1 sees each
        at S x S and the masks come back at each image's own size. Objects are tracked from
        the first image through the others in the given order.

        Args:
            images: `(H_i, W_i, 3)` uint8 RGB arrays; at most ``settings.video.sample_frames``.
            question: the question about the images.
            on_text, features: as in ``segment`` (one feature set per image).
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
        return self._answer(query, generation, image_list, every, every, features=features)

    def _query(
        self, frames: list[np.ndarray], question: str, *, response: str | None = None
    ) -> Query:
        return prepare_query(
            self.model,
            self.tokenizer,
            frames,
            question,
            spec=self.settings.video,
            response=response,
        )

    def _generate(
        self,
        query: Query,
        extra: Mapping[str, torch.Tensor],
        *,
        teacher_forced: bool,
        on_text: TextObserver | None = None,
    ) -> Generation:
        inputs = embed_prompt(
            self.model,
            query.input_ids,
            token_ids=self._ids,
            grid_thw=query.video.grid_thw,
            video=query.vision.embeds,
            ref=extra.get("ref"),
            mem=extra.get("mem"),
        )
        on_tokens = None if on_text is None else (lambda t: on_text(self.tokenizer.decode(t)))
        request: dict[str, Any] = {
            "input_ids": inputs.input_ids,
            "inputs_embeds": inputs.inputs_embeds,
            "positions": inputs.positions,
            "max_new_tokens": 0 if teacher_forced else self.settings.max_new_tokens,
            "stop_ids": self.tokenizer.stop_ids,
            "on_tokens": on_tokens,
        }
        if self._decoder is not None:
            try:
                return self._decoder.generate(**request)
            except BadInputError as err:  # e.g. the prompt does not fit a static cache
                _LOG.debug("decoder refused the prompt (%s); using generate_greedy", err)
        return generate_greedy(self.model, **request)

    def _answer(
        self,
        query: Query,
        generation: Generation,
        frames: list[np.ndarray],
        frame_indices: tuple[int, ...],
        mask_frame_indices: tuple[int, ...],
        *,
        features: Sequence[FrameFeatures] | None = None,
    ) -> PixelAnswer:
        text = self.tokenizer.decode(generation.token_ids)
        tracks = seg_tracks(
            self.model,
            generation,
            prompt=query.prompt,
            text=text,
            frames=[frames[i] for i in mask_frame_indices],
            encode_batch_size=self.settings.encode_batch_size,
            features=None if features is None else [features[i] for i in mask_frame_indices],
        )
        return PixelAnswer(
            text=text,
            tracks=tracks,
            frame_indices=frame_indices,
            mask_frame_indices=mask_frame_indices,
        )

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
        memory = prepare_memory_query(
            self.model,
            self.tokenizer,
            sampled,
            question,
            object_ids,
            masks,
            spec=self.settings.video,
            order=self.settings.memory_order,
            answer_prefix=answer_prefix,
        )
        generation = self._generate(
            memory.query, {"mem": memory.mem}, teacher_forced=False, on_text=on_text
        )
        return MemoryAnswer(
            text=self.tokenizer.decode(generation.token_ids),
            localization=localization,
            slots_per_object=memory.slots_per_object,
            prompt=memory.prompt_text,
        )
