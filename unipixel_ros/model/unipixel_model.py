"""UniPixel: Qwen2.5-VL + SAM 2.1 + the small heads that connect them (stateless ``nn.Module``).

Parameter names follow the released full-model checkpoints once the transformers 4.53 layout is
mapped (`unipixel_ros.model.layout`): ``model.visual.*``, ``model.language_model.*``,
``lm_head``, ``sam2.*``, ``seg_head``, ``ref_encoder``, ``ref_proj_single``, ``ref_proj_double``,
``ref_proj``, ``tem_pe``, ``tem_emb``, ``tem_proj``, ``msk_proj``.

Notation: D = LLM hidden size, C = SAM 2.1 prompt width (256), K = prompt tokens per ``<|seg|>``,
M = vision merger MLP width (vision hidden x 4), S = SAM 2.1 input size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from sam2.modeling.sam.prompt_encoder import PromptEncoder
from torch import nn
from transformers import Qwen2_5_VLModel
from transformers.cache_utils import Cache
from transformers.modeling_outputs import BaseModelOutputWithPooling

from unipixel_ros.errors import BadInputError
from unipixel_ros.model.configuration import HeadSizes, PixelQwen2_5_VLConfig
from unipixel_ros.model.seg_head import SegHead
from unipixel_ros.model.temporal_encoding import TemporalPositionEncoding
from unipixel_ros.sam import Sam2Model

__all__ = ["LanguageStep", "RefPrompt", "UniPixelModel", "VisionFeatures", "VisionTower"]

VisionTower = Callable[[nn.Module, torch.Tensor, torch.Tensor], BaseModelOutputWithPooling]
"""Runs the vision encoder: (the encoder, patches, `(1, 3)` int64 grid) -> its output (pooled
tokens in raster order, last hidden state in window order)."""


@contextmanager
def _captured_input(module: nn.Module) -> Iterator[list[torch.Tensor]]:
    """Record the first positional input of ``module`` while the block runs."""
    seen: list[torch.Tensor] = []

    def hook(_module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        seen.append(args[0])

    handle = module.register_forward_pre_hook(hook)
    try:
        yield seen
    finally:
        handle.remove()


def _weight_dtype(module: nn.Module) -> torch.dtype:
    return next(module.parameters()).dtype


@dataclass(frozen=True)
class VisionFeatures:
    """Vision tower output for one video.

    Attributes:
        embeds (`torch.Tensor` of shape `(num_tokens, D)`): merged visual tokens, raster order
            (what replaces the ``<|video_pad|>`` tokens).
        merger_inputs (`torch.Tensor` of shape `(num_tokens, M)`): inputs of the merger's MLP
            (after ``ln_q``, 2x2 groups), in the vision tower's window order.
    """

    embeds: torch.Tensor
    merger_inputs: torch.Tensor


@dataclass(frozen=True)
class LanguageStep:
    """One language-model call.

    Attributes:
        next_logits (`torch.Tensor` of shape `(vocab,)`): float32 logits after the last position.
        prenorm (`torch.Tensor` of shape `(L, D)`): last decoder layer output (before the final
            RMSNorm) at every new position.
        cache: key/value cache including the new positions.
    """

    next_logits: torch.Tensor
    prenorm: torch.Tensor
    cache: Cache


@dataclass(frozen=True)
class RefPrompt:
    """A point or a box for one object, in SAM 2.1 input pixels.

    Attributes:
        coords (`torch.Tensor` of shape `(P, 2)`): float32 (x, y) in [0, S]; one point (P = 1)
            or two box corners (P = 2, top-left then bottom-right).
        labels (`torch.Tensor` of shape `(P,)`): int, 1 for a point, (2, 3) for a box.
        frame_index: index of the frame (among the LLM's padded frames) the prompt is on.
    """

    coords: torch.Tensor
    labels: torch.Tensor
    frame_index: int

    def __post_init__(self) -> None:
        points = self.coords.shape[0] if self.coords.ndim == 2 else -1
        if self.coords.ndim != 2 or self.coords.shape[1] != 2 or points not in (1, 2):
            raise BadInputError(
                f"RefPrompt.coords must be (1 or 2, 2), got {tuple(self.coords.shape)}"
            )
        expected = [1] if points == 1 else [2, 3]
        if self.labels.tolist() != expected:
            raise BadInputError(f"RefPrompt.labels must be {expected}, got {self.labels.tolist()}")
        if self.frame_index < 0:
            raise BadInputError(f"RefPrompt.frame_index must be >= 0, got {self.frame_index}")


class UniPixelModel(nn.Module):
    """Qwen2.5-VL with UniPixel's heads and SAM 2.1; every submodule is injected.

    Args:
        config: the UniPixel configuration (kept for ids and sizes).
        model: the transformers ``Qwen2_5_VLModel`` (vision tower + language model).
        lm_head: Linear(D, vocab) without bias; tied to the input embeddings when the config
            says so.
        sam2: SAM 2.1 (from ``unipixel_ros.sam.build_sam2``).
        seg_head: ``SegHead``.
        ref_encoder: SAM 2 ``PromptEncoder`` (C, S/16 grid, S input).
        ref_proj_single: Linear(2C, 3C), for a point (point token + padding token).
        ref_proj_double: Linear(3C, 3C), for a box (two corners + padding token).
        ref_proj: GELU -> Linear(6C, D).
        tem_pe: ``TemporalPositionEncoding`` with C/2 frequencies.
        tem_emb: Embedding(1, C).
        tem_proj: Linear(C, 3C).
        msk_proj: Linear(M, M) -> GELU -> Linear(M, D).
    """

    def __init__(
        self,
        *,
        config: PixelQwen2_5_VLConfig,
        model: Qwen2_5_VLModel,
        lm_head: nn.Linear,
        sam2: Sam2Model,
        seg_head: SegHead,
        ref_encoder: PromptEncoder,
        ref_proj_single: nn.Linear,
        ref_proj_double: nn.Linear,
        ref_proj: nn.Sequential,
        tem_pe: TemporalPositionEncoding,
        tem_emb: nn.Embedding,
        tem_proj: nn.Linear,
        msk_proj: nn.Sequential,
    ):
        super().__init__()
        self.config = config
        self.sizes = HeadSizes.from_config(config, sam_dim=seg_head.sam_dim)
        self.model = model
        self.lm_head = lm_head
        self.sam2 = sam2
        self.seg_head = seg_head
        self.ref_encoder = ref_encoder
        self.ref_proj_single = ref_proj_single
        self.ref_proj_double = ref_proj_double
        self.ref_proj = ref_proj
        self.tem_pe = tem_pe
        self.tem_emb = tem_emb
        self.tem_proj = tem_proj
        self.msk_proj = msk_proj
        self._vision_tower: VisionTower | None = None

    @property
    def llm_dtype(self) -> torch.dtype:
        """dtype of the language model weights."""
        return self.lm_head.weight.dtype

    @property
    def device(self) -> torch.device:
        return self.lm_head.weight.device

    def tie_weights(self) -> None:
        """Share ``lm_head.weight`` with the input embeddings when the config ties them."""
        if self.config.tie_word_embeddings:
            self.lm_head.weight = self.model.language_model.embed_tokens.weight

    def cast_parameters(self, dtype: torch.dtype) -> None:
        """Cast the Qwen and head parameters to ``dtype``, in place.

        Buffers are left alone (the rotary frequencies stay float32, as transformers'
        ``from_pretrained`` leaves them), and SAM 2.1 and ``ref_encoder`` stay float32: the
        `sam2` package feeds them float32 coordinates and tables; their outputs are cast where
        they meet the LLM.
        """
        float32_modules = (self.sam2, self.ref_encoder)
        keep = {id(p) for module in float32_modules for p in module.parameters()}
        for param in self.parameters():
            if id(param) not in keep and param.is_floating_point():
                param.data = param.data.to(dtype)
        for module in float32_modules:
            module.float()

    def embed_tokens(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Token embeddings: `(L,)` int64 -> `(L, D)` in the LLM dtype."""
        return self.model.language_model.embed_tokens(input_ids)

    def use_vision_tower(self, tower: VisionTower | None) -> None:
        """Run the vision encoder through ``tower`` (e.g. compiled, ``accel/parts/vision_tower``);
        ``None`` runs it eagerly."""
        self._vision_tower = tower

    def encode_video(self, pixel_values: torch.Tensor, grid_thw: Sequence[int]) -> VisionFeatures:
        """Run the vision tower on one video.

        Args:
            pixel_values (`torch.Tensor` of shape `(t * h * w, 3 * 2 * 14 * 14)`): patches from
                ``prepare_qwen_video``.
            grid_thw: ``(t, h, w)`` patch grid.
        """
        visual = self.model.visual
        grid = torch.tensor([list(grid_thw)], dtype=torch.long, device=self.device)
        pixels = pixel_values.to(device=self.device, dtype=visual.dtype)
        if self._vision_tower is None:
            output = visual(pixels, grid_thw=grid)
        else:
            output = self._vision_tower(visual, pixels, grid)
        # The merger's MLP input, recomputed from the blocks' output (window order): the same
        # ops on the same tensor as inside the merger, so the same values.
        merger = visual.merger
        merger_inputs = merger.ln_q(output.last_hidden_state).view(-1, merger.hidden_size)
        return VisionFeatures(embeds=output.pooler_output, merger_inputs=merger_inputs)

    def language_step(
        self,
        inputs_embeds: torch.Tensor,
        position_ids: torch.Tensor,
        cache: Cache | None,
    ) -> LanguageStep:
        """Run the language model over new positions.

        Args:
            inputs_embeds (`torch.Tensor` of shape `(L, D)`): embeddings of the new positions.
            position_ids (`torch.Tensor` of shape `(3, L)`): mRoPE position ids.
            cache: cache of the earlier positions, or ``None`` at prefill.
        """
        language_model = self.model.language_model
        with _captured_input(language_model.norm) as seen:
            output = language_model(
                inputs_embeds=inputs_embeds.unsqueeze(0),
                position_ids=position_ids.unsqueeze(1),
                past_key_values=cache,
                use_cache=True,
            )
        logits = self.lm_head(output.last_hidden_state[0, -1])
        return LanguageStep(
            next_logits=logits.float(), prenorm=seen[-1][0], cache=output.past_key_values
        )

    def seg_prompt_tokens(self, prenorm: torch.Tensor) -> torch.Tensor:
        """`(n, D)` pre-norm states -> `(n, K, C)` SAM 2.1 prompt tokens (float32)."""
        return self.seg_head(prenorm.to(_weight_dtype(self.seg_head))).float()

    def embed_ref_prompts(self, prompts: Sequence[RefPrompt], *, grid_t: int) -> torch.Tensor:
        """One ``<|ref|>`` embedding per visual prompt.

        The prompt encoder and the temporal encoding run in float32.

        Args:
            prompts: one per object, in the order of the ``<|ref|>`` tokens.
            grid_t: temporal grid of the video (padded frames / 2).

        Returns:
            `torch.Tensor` of shape `(len(prompts), D)` in the LLM dtype.
        """
        if not prompts:
            raise BadInputError("embed_ref_prompts needs at least one prompt")
        proj_dtype = self.ref_proj_single.weight.dtype
        spatial = []
        for prompt in prompts:
            if prompt.frame_index >= 2 * grid_t:
                raise BadInputError(
                    f"prompt frame {prompt.frame_index} is outside the {2 * grid_t} padded frames"
                )
            coords = prompt.coords.to(self.device, torch.float32).unsqueeze(0)
            labels = prompt.labels.to(self.device, torch.int32).unsqueeze(0)
            with torch.autocast(self.device.type, enabled=False):
                sparse, _ = self.ref_encoder((coords, labels), None, None)
            flat = sparse.flatten(1).to(proj_dtype)
            proj = self.ref_proj_single if sparse.shape[1] == 2 else self.ref_proj_double
            spatial.append(proj(flat))
        frames = torch.tensor([p.frame_index for p in prompts], device=self.device)
        temporal = self.tem_pe(frames, 2 * grid_t).to(proj_dtype)
        temporal = temporal + self.tem_emb.weight[0]
        temporal = self.tem_proj(temporal)
        joint = torch.cat([torch.cat(spatial), temporal], dim=1)
        return self.ref_proj(joint).to(self.llm_dtype)

    def embed_object_memory(self, pooled: torch.Tensor) -> torch.Tensor:
        """`(n, M)` pooled merger inputs -> `(n, D)` ``<|mem|>`` embeddings in the LLM dtype."""
        if pooled.ndim != 2 or pooled.shape[1] != self.sizes.merger_dim:
            raise BadInputError(
                f"pooled features must be (n, {self.sizes.merger_dim}), got {tuple(pooled.shape)}"
            )
        return self.msk_proj(pooled.to(_weight_dtype(self.msk_proj))).to(self.llm_dtype)
