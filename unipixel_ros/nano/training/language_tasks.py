"""The language tasks of nano training, each a teacher-forced LLM pass with a language-model
loss on the answer:

* ``<|ref|>`` (stages ``REF``, ``JOINT`` and half of ``SEG``): a point or box on frame 0 ->
  ``"[0] <|ref|>"`` in a question about the object's colour / kind / handle;
* ``<|seg|>`` (stages ``SEG``, ``JOINT``): "Please segment the red cup." or "Which cup is
  graspable?" -> ``"Sure, it is <|seg|>."``; the pre-norm state that predicts ``<|seg|>`` goes
  through ``seg_head`` into SAM 2.1's decoder on frame 0 -> mask loss as well;
* memory QA (stage ``JOINT``): the object's masks on the LLM's frames -> ``<|mem|>`` tokens ->
  the ``<|ref|>`` questions with ``"[0]"``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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
    pool_object_memory,
)
from unipixel_ros.model.configuration import TokenIds, window_tokens_of
from unipixel_ros.model.decoding import seg_predicting_positions
from unipixel_ros.model.prompt_embedding import embed_prompt
from unipixel_ros.nano.dataset import SceneArrays
from unipixel_ros.nano.samples import RegionQuestion, region_question, region_text, seg_question
from unipixel_ros.nano.training.losses import mask_loss
from unipixel_ros.nano.training.sam_tasks import SamTasks
from unipixel_ros.sam import FrameFeatures, to_model_coordinates

__all__ = ["LanguageScene", "LanguageTasks"]


@dataclass(frozen=True)
class LanguageScene:
    """What the LLM sees of a step's scene: frame 0 and one window frame, encoded.

    Attributes:
        scene: index of the scene in the training arrays.
        video: the two frames as patches (``NANO_VIDEO``).
        vision: their vision-tower features.
    """

    scene: int
    video: QwenVideoInput
    vision: VisionFeatures


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


class LanguageTasks:
    """Losses of the ``<|ref|>``, ``<|seg|>`` and memory tasks of one scene.

    Args:
        model: the model in training.
        tokenizer: its tokenizer.
        arrays: rendered training scenes.
        rng: the run's task sampler (shared with ``sam_tasks``).
        sam_tasks: clicks, targets and prompted decoding on SAM 2.1.
    """

    def __init__(
        self,
        *,
        model: UniPixelModel,
        tokenizer: QwenTokenizer,
        arrays: SceneArrays,
        rng: np.random.Generator,
        sam_tasks: SamTasks,
    ):
        self.model = model
        self.tokenizer = tokenizer
        self.arrays = arrays
        self.rng = rng
        self.sam_tasks = sam_tasks
        self.ids = TokenIds.from_config(model.config)
        self.window_tokens = window_tokens_of(model.config)

    @property
    def device(self) -> torch.device:
        return self.model.device

    def language(
        self,
        view: LanguageScene,
        question: str,
        response: str,
        *,
        ref: torch.Tensor | None = None,
        mem: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced LLM pass: (answer cross-entropy, pre-norm states predicting
        ``<|seg|>``)."""
        model, video = self.model, view.video
        prompt = chatml_prompt(question, num_video_tokens=video.num_tokens)
        prefix = self.tokenizer.encode(prompt)
        ids_list = self.tokenizer.encode(prompt + response + "<|im_end|>")
        if ids_list[: len(prefix)] != prefix:
            raise ConfigError(f"answer {response!r} changes the prompt's tokens")
        ids = torch.tensor(ids_list, dtype=torch.long, device=self.device)
        inputs = embed_prompt(
            model,
            ids,
            token_ids=self.ids,
            grid_thw=video.grid_thw,
            video=view.vision.embeds,
            ref=ref,
            mem=mem,
        )
        positions = inputs.positions.position_ids.to(self.device)
        with _captured_norm_input(model) as seen:
            output = model.model.language_model(
                inputs_embeds=inputs.inputs_embeds[None],
                position_ids=positions[:, None],
                use_cache=False,
            )
        logits = model.lm_head(output.last_hidden_state[0, len(prefix) - 1 : -1])
        lm_loss = functional.cross_entropy(logits.float(), ids[len(prefix) :])
        predicts_seg = seg_predicting_positions(ids, self.ids.seg)
        return lm_loss, seen[-1][0][predicts_seg]

    def _random_region_question(
        self, scene: int, object_ids: list[int]
    ) -> tuple[int, RegionQuestion]:
        """A random visible object of ``scene`` and a region question about it."""
        object_id = object_ids[int(self.rng.integers(len(object_ids)))]
        return object_id, region_question(self.arrays, scene, object_id - 1, self.rng)

    def ref_loss(
        self, view: LanguageScene, labels: np.ndarray, object_ids: list[int]
    ) -> torch.Tensor:
        object_id, question = self._random_region_question(view.scene, object_ids)
        height, width = labels.shape
        mask = labels == object_id
        if self.rng.random() < 0.25:
            rows, cols = np.nonzero(mask)
            corners = [[cols.min(), rows.min()], [cols.max() + 1.0, rows.max() + 1.0]]
            xy, point_labels = torch.tensor(corners, dtype=torch.float32), torch.tensor([2, 3])
        else:
            xy = torch.tensor([self.sam_tasks.random_click(mask)], dtype=torch.float32)
            point_labels = torch.tensor([1])
        coords = to_model_coordinates(
            xy, frame_height=height, frame_width=width, image_size=self.model.sam2.image_size
        )
        ref = self.model.embed_ref_prompts(
            [RefPrompt(coords=coords, labels=point_labels, frame_index=0)],
            grid_t=view.video.grid_thw[0],
        )
        text = region_text(question.template, with_ref=True)
        loss, _ = self.language(view, text, question.response, ref=ref)
        return loss

    def seg_losses(
        self, view: LanguageScene, features: FrameFeatures, labels: np.ndarray
    ) -> dict[str, torch.Tensor]:
        question = seg_question(self.arrays, view.scene, self.rng)
        lm_loss, states = self.language(view, question.question, question.response)
        tokens = self.model.seg_prompt_tokens(states)
        multi, ious, scores = self.sam_tasks.decode(features, tokens.shape[0], hidden_tokens=tokens)
        target = self.sam_tasks.targets(labels, [question.object_ids] * tokens.shape[0])
        return {"seg_lm": lm_loss, "seg_mask": mask_loss(multi, scores, target, ious)}

    def memory_loss(
        self, view: LanguageScene, labels: np.ndarray, object_ids: list[int]
    ) -> torch.Tensor:
        object_id, question = self._random_region_question(view.scene, object_ids)
        masks = torch.from_numpy(labels == object_id)[:, None]
        layout = layout_object_memory(masks, view.video.grid_thw)
        pooled = pool_object_memory(
            view.vision.merger_inputs,
            layout,
            grid_thw=view.video.grid_thw,
            order=MemoryTokenOrder.RASTER,
            window_tokens=self.window_tokens,
        )
        mem = self.model.embed_object_memory(pooled)
        slots = {0: list(layout.slots_per_object[0])}
        text = memory_prefix(labels.shape[0], slots) + region_text(
            question.template, with_ref=False
        )
        loss, _ = self.language(view, text, question.response, mem=mem)
        return loss
