"""SAM 2.1 with UniPixel's hidden-state prompt, as a subclass of the package's `SAM2Base`.

`Sam2Model` subclasses `sam2.modeling.sam2_base.SAM2Base` (not a fork): the package's model
machinery keeps working on it (``forward_image``, ``track_step``, ``_encode_new_memory``). It does
not inherit the video predictor's ``inference_state`` API; the parity tests and the benchmark's
reference path build the package's predictor on the same weights
(`unipixel_ros.sam.build_package_predictor`). It adds three typed entry points used by
`unipixel_ros.tracking`:

- `encode_images`: one image-encoder pass per frame, features shared by all objects;
- `decode_prompt`: a prompted (initial conditioning) frame for N objects, from points, a box, a
  mask or hidden-state tokens;
- `encode_memory`: the spatial memory of a prompted frame, encoded the way the package's
  ``propagate_in_video_preflight`` does (from the upsampled low-resolution logits).

Nothing here depends on 1024-px sizes: feature sizes come from the input (S / 4, S / 8, S / 16).
The package's image predictor (``_bb_feat_sizes``, hard-coded for 1024 px, and a torchvision
import) is not used.
"""

from __future__ import annotations

import torch
from sam2.modeling.sam2_base import NO_OBJ_SCORE, SAM2Base
from torch import nn
from torch.nn import functional

from unipixel_ros.errors import BadInputError
from unipixel_ros.sam.config import Sam2Config
from unipixel_ros.sam.features import FrameFeatures, MemoryEncoding, PromptDecoding
from unipixel_ros.sam.prompts import (
    BoxPrompt,
    HiddenStatePrompt,
    MaskPrompt,
    PointPrompt,
    SamPrompt,
)

__all__ = ["Sam2Model", "sam2_base_kwargs"]

_BOX_CORNER_LABELS = (2, 3)


def _no_memory() -> dict[str, dict[int, object]]:
    """The package's per-object output store, empty: a prompted frame reads no memory."""
    return {"cond_frame_outputs": {}, "non_cond_frame_outputs": {}}


def sam2_base_kwargs(config: Sam2Config) -> dict[str, object]:
    """``config`` as the keyword arguments of `SAM2Base` (all but the three injected submodules),
    for `Sam2Model` and for the package predictor built on the same architecture."""
    decoder_extra_args = (
        {
            "dynamic_multimask_via_stability": True,
            "dynamic_multimask_stability_delta": 0.05,
            "dynamic_multimask_stability_thresh": 0.98,
        }
        if config.dynamic_multimask_via_stability
        else None
    )
    return dict(
        num_maskmem=config.num_maskmem,
        image_size=config.image_size,
        backbone_stride=config.backbone_stride,
        sigmoid_scale_for_mem_enc=config.sigmoid_scale_for_mem_enc,
        sigmoid_bias_for_mem_enc=config.sigmoid_bias_for_mem_enc,
        binarize_mask_from_pts_for_mem_enc=config.binarize_mask_from_pts_for_mem_enc,
        use_mask_input_as_output_without_sam=config.use_mask_input_as_output_without_sam,
        max_cond_frames_in_attn=config.max_cond_frames_in_attn,
        directly_add_no_mem_embed=config.directly_add_no_mem_embed,
        use_high_res_features_in_sam=config.use_high_res_features_in_sam,
        multimask_output_in_sam=config.multimask_output_in_sam,
        multimask_min_pt_num=config.multimask_min_pt_num,
        multimask_max_pt_num=config.multimask_max_pt_num,
        multimask_output_for_tracking=config.multimask_output_for_tracking,
        use_multimask_token_for_obj_ptr=config.use_multimask_token_for_obj_ptr,
        iou_prediction_use_sigmoid=config.iou_prediction_use_sigmoid,
        memory_temporal_stride_for_eval=config.memory_temporal_stride_for_eval,
        non_overlap_masks_for_mem_enc=config.non_overlap_masks_for_mem_enc,
        use_obj_ptrs_in_encoder=config.use_obj_ptrs_in_encoder,
        max_obj_ptrs_in_encoder=config.max_obj_ptrs_in_encoder,
        add_tpos_enc_to_obj_ptrs=config.add_tpos_enc_to_obj_ptrs,
        proj_tpos_enc_in_obj_ptrs=config.proj_tpos_enc_in_obj_ptrs,
        use_signed_tpos_enc_to_obj_ptrs=config.use_signed_tpos_enc_to_obj_ptrs,
        only_obj_ptrs_in_the_past_for_eval=config.only_obj_ptrs_in_the_past_for_eval,
        pred_obj_scores=config.pred_obj_scores,
        pred_obj_scores_mlp=config.pred_obj_scores_mlp,
        fixed_no_obj_ptr=config.fixed_no_obj_ptr,
        soft_no_obj_ptr=config.soft_no_obj_ptr,
        use_mlp_for_obj_ptr_proj=config.use_mlp_for_obj_ptr_proj,
        no_obj_embed_spatial=config.no_obj_embed_spatial,
        sam_mask_decoder_extra_args=decoder_extra_args,
        compile_image_encoder=False,
    )


class Sam2Model(SAM2Base):
    """SAM 2.1 video model (`SAM2Base` subclass) with typed frame/prompt/memory calls.

    Build it with `unipixel_ros.sam.build_sam2`. The module tree and parameter names are those
    of the package, except the memory fuser's layer scale, named ``weight`` as in the released
    UniPixel checkpoints (see `unipixel_ros.sam.layer_scale`).

    Args:
        config: the architecture this model was built from.
        image_encoder: Hiera trunk + FPN neck (`sam2.modeling.backbones.ImageEncoder`).
        memory_attention: `sam2.modeling.memory_attention.MemoryAttention`.
        memory_encoder: `sam2.modeling.memory_encoder.MemoryEncoder`.
    """

    def __init__(
        self,
        *,
        config: Sam2Config,
        image_encoder: nn.Module,
        memory_attention: nn.Module,
        memory_encoder: nn.Module,
    ) -> None:
        super().__init__(
            image_encoder=image_encoder,
            memory_attention=memory_attention,
            memory_encoder=memory_encoder,
            **sam2_base_kwargs(config),
        )
        self.config = config

    # ------------------------------------------------------------------ frames

    def encode_images(self, images: torch.Tensor) -> list[FrameFeatures]:
        """Run the image encoder once per frame.

        Args:
            images (`torch.Tensor` of shape `(T, 3, S, S)`, float): preprocessed frames (see
                `unipixel_ros.sam.preprocess_frames`), on the model's device; cast to the
                model's dtype here.

        Returns:
            One `FrameFeatures` per frame (contiguous copies; position encodings shared).
        """
        size = self.image_size
        if images.dim() != 4 or tuple(images.shape[1:]) != (3, size, size):
            raise BadInputError(
                f"images must have shape (T, 3, {size}, {size}), got {tuple(images.shape)}"
            )
        if not images.is_floating_point():
            raise BadInputError(f"images must be floating point, got dtype {images.dtype}")
        dtype = self.sam_prompt_encoder.no_mask_embed.weight.dtype
        backbone_out = self.forward_image(images.to(dtype))
        _, feats, pos, sizes = self._prepare_backbone_features(backbone_out)
        shared_pos = tuple(p[:, :1].clone() for p in pos)
        feat_sizes = tuple((int(h), int(w)) for h, w in sizes)
        return [
            FrameFeatures(
                vision_feats=tuple(f[:, t : t + 1].clone() for f in feats),
                vision_pos_embeds=shared_pos,
                feat_sizes=feat_sizes,
            )
            for t in range(images.shape[0])
        ]

    # ------------------------------------------------------------------ prompts

    def decode_prompt(
        self, features: FrameFeatures, prompt: SamPrompt, *, stability_fallback: bool = False
    ) -> PromptDecoding:
        """Segment N objects on a frame that starts their tracks (no memory is read).

        Points, boxes and masks go through the package's ``track_step`` exactly as
        ``SAM2VideoPredictor.add_new_points_or_box`` / ``add_new_mask`` do; hidden-state tokens
        are appended after the padding point tokens (UniPixel's ``add_new_hidden_state``).

        Args:
            features: the frame's `FrameFeatures`.
            prompt: a prompt with a leading object axis N.
            stability_fallback: for point and box prompts, a single-mask output that is not
                stable falls back to the best multimask output, as the decoder's
                ``dynamic_multimask_via_stability`` does (ignored for hidden-state and mask
                prompts).

        Returns:
            `PromptDecoding` with N rows.
        """
        n = prompt.num_objects
        feats, pos = features.expand(n)
        sizes = list(features.feat_sizes)
        if isinstance(prompt, HiddenStatePrompt):
            if prompt.tokens.shape[-1] != self.hidden_dim:
                raise BadInputError(
                    f"hidden-state tokens must have width C = {self.hidden_dim}, got "
                    f"{prompt.tokens.shape[-1]}"
                )
            return self._decode_first_frame(feats, pos, sizes, hidden_tokens=prompt.tokens)
        point_inputs, mask_inputs = self._package_inputs(prompt)
        if stability_fallback and point_inputs is not None:
            return self._decode_first_frame(
                feats, pos, sizes, point_inputs=point_inputs, stability_fallback=True
            )
        out = self.track_step(
            frame_idx=0,
            is_init_cond_frame=True,
            current_vision_feats=feats,
            current_vision_pos_embeds=pos,
            feat_sizes=sizes,
            point_inputs=point_inputs,
            mask_inputs=mask_inputs,
            output_dict=_no_memory(),
            num_frames=1,
            run_mem_encoder=False,
        )
        return PromptDecoding(
            low_res_logits=out["pred_masks"],
            object_score_logits=out["object_score_logits"],
            obj_ptr=out["obj_ptr"],
        )

    def _decode_first_frame(
        self,
        feats: list[torch.Tensor],
        pos: list[torch.Tensor],
        sizes: list[tuple[int, int]],
        *,
        point_inputs: dict[str, torch.Tensor] | None = None,
        hidden_tokens: torch.Tensor | None = None,
        stability_fallback: bool = False,
    ) -> PromptDecoding:
        """The steps of the package's ``track_step`` on a prompted frame without memory, with
        the prompt options ``track_step`` cannot pass on to `_forward_sam_heads`."""
        high_res = self._high_res_maps(feats, sizes)
        pix_feat = self._prepare_memory_conditioned_features(
            frame_idx=0,
            is_init_cond_frame=True,
            current_vision_feats=feats[-1:],
            current_vision_pos_embeds=pos[-1:],
            feat_sizes=sizes[-1:],
            output_dict=_no_memory(),
            num_frames=1,
        )
        _, _, _, low_res, _, obj_ptr, score = self._forward_sam_heads(
            backbone_features=pix_feat,
            point_inputs=point_inputs,
            high_res_features=high_res,
            multimask_output=self._use_multimask(True, point_inputs),
            hidden_tokens=None if hidden_tokens is None else hidden_tokens.to(pix_feat.device),
            stability_fallback=stability_fallback,
        )
        return PromptDecoding(low_res_logits=low_res, object_score_logits=score, obj_ptr=obj_ptr)

    def encode_memory(
        self,
        features: FrameFeatures,
        low_res_logits: torch.Tensor,
        object_score_logits: torch.Tensor,
        *,
        is_mask_from_pts: bool = True,
        binarize: bool = False,
    ) -> MemoryEncoding:
        """Spatial memory of a prompted frame from its low-resolution logits.

        Args:
            features: the frame's `FrameFeatures`.
            low_res_logits (`torch.Tensor` of shape `(N, 1, S/4, S/4)`, float32).
            object_score_logits (`torch.Tensor` of shape `(N, 1)`, float32).
            is_mask_from_pts: the package marks prompted frames True (it only matters with
                ``binarize_mask_from_pts_for_mem_enc``).
            binarize: encode the mask binarized (logits > 0), as the package does with
                ``binarize_mask_from_pts_for_mem_enc``, whatever the model's own setting.
        """
        n = low_res_logits.shape[0]
        feats, _ = features.expand(n)
        high_res = functional.interpolate(
            low_res_logits,
            size=(self.image_size, self.image_size),
            mode="bilinear",
            align_corners=False,
        )
        if binarize:
            if self.non_overlap_masks_for_mem_enc:
                high_res = self._apply_non_overlapping_constraints(high_res)
            # The package's sigmoid turns +-inf into exactly 1 and 0, i.e. (logits > 0).float().
            high_res = torch.where(high_res > 0, torch.inf, -torch.inf)
        maskmem, maskmem_pos = self._encode_new_memory(
            current_vision_feats=feats,
            feat_sizes=list(features.feat_sizes),
            pred_masks_high_res=high_res,
            object_score_logits=object_score_logits,
            is_mask_from_pts=is_mask_from_pts,
        )
        return MemoryEncoding(features=maskmem, pos_enc=maskmem_pos[-1])

    # ------------------------------------------------------------------ internals

    def _package_inputs(
        self, prompt: PointPrompt | BoxPrompt | MaskPrompt
    ) -> tuple[dict[str, torch.Tensor] | None, torch.Tensor | None]:
        """Point/box/mask prompt -> the package's ``point_inputs`` / ``mask_inputs``."""
        device = self.device
        if isinstance(prompt, PointPrompt):
            coords = prompt.coords.to(device, torch.float32)
            labels = prompt.labels.to(device, torch.int32)
            return {"point_coords": coords, "point_labels": labels}, None
        if isinstance(prompt, BoxPrompt):
            coords = prompt.boxes.to(device, torch.float32).reshape(-1, 2, 2)
            labels = torch.tensor(_BOX_CORNER_LABELS, dtype=torch.int32, device=device)
            return {"point_coords": coords, "point_labels": labels.expand(coords.shape[0], 2)}, None
        masks = prompt.masks.to(device, torch.float32)[:, None]
        size = self.image_size
        if tuple(masks.shape[-2:]) != (size, size):
            masks = functional.interpolate(
                masks, size=(size, size), mode="bilinear", align_corners=False, antialias=True
            )
            masks = (masks >= 0.5).float()
        return None, masks

    @staticmethod
    def _high_res_maps(
        feats: list[torch.Tensor], sizes: list[tuple[int, int]]
    ) -> list[torch.Tensor] | None:
        """`(H*W, N, C)` high-resolution levels -> `(N, C, H, W)` maps for the decoder."""
        if len(feats) <= 1:
            return None
        return [
            x.permute(1, 2, 0).view(x.size(1), x.size(2), *s)
            for x, s in zip(feats[:-1], sizes[:-1], strict=True)
        ]

    def _forward_sam_heads(
        self,
        backbone_features: torch.Tensor,
        point_inputs: dict[str, torch.Tensor] | None = None,
        mask_inputs: torch.Tensor | None = None,
        high_res_features: list[torch.Tensor] | None = None,
        multimask_output: bool = False,
        *,
        hidden_tokens: torch.Tensor | None = None,
        stability_fallback: bool = False,
    ) -> tuple[torch.Tensor, ...]:
        """The package's SAM heads, plus UniPixel's hidden-state prompt and, for points, the
        decoder's stability fallback.

        Without ``hidden_tokens`` or ``stability_fallback`` this is the package method
        unchanged. With hidden tokens (shape `(B, K, C)`), the sparse prompt is the two padding
        point tokens (label -1) followed by the K tokens, with no box and no mask. With
        ``stability_fallback`` (points, no mask), a single-mask output falls back to the best
        multimask output when unstable (``MaskDecoder._dynamic_multimask_via_stability``). The
        rest (best-IoU multimask choice, no-object handling of masks and pointers) follows
        SAM 2.1.
        """
        if hidden_tokens is None and not (stability_fallback and point_inputs is not None):
            return super()._forward_sam_heads(
                backbone_features,
                point_inputs=point_inputs,
                mask_inputs=mask_inputs,
                high_res_features=high_res_features,
                multimask_output=multimask_output,
            )
        batch = backbone_features.size(0)
        device = backbone_features.device
        if hidden_tokens is None:
            points = (point_inputs["point_coords"], point_inputs["point_labels"])  # type: ignore[index]
        else:
            pad_coords = torch.zeros(batch, 1, 2, device=device)
            points = (pad_coords, -torch.ones(batch, 1, dtype=torch.int32, device=device))
        sparse, dense = self.sam_prompt_encoder(points=points, boxes=None, masks=None)
        if hidden_tokens is not None:
            sparse = torch.cat([sparse, hidden_tokens.to(sparse.dtype)], dim=1)
        decoder_inputs = dict(
            image_embeddings=backbone_features,
            image_pe=self.sam_prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            repeat_image=False,
            high_res_features=high_res_features,
        )
        if stability_fallback and not multimask_output:
            decoder = self.sam_mask_decoder
            all_logits, all_ious, tokens, score = decoder.predict_masks(**decoder_inputs)
            multi_logits, ious = decoder._dynamic_multimask_via_stability(all_logits, all_ious)
            output_tokens = tokens[:, 0:1]
        else:
            multi_logits, ious, output_tokens, score = self.sam_mask_decoder(
                multimask_output=multimask_output, **decoder_inputs
            )
        present = score > 0
        if self.pred_obj_scores:
            multi_logits = torch.where(present[:, None, None], multi_logits, NO_OBJ_SCORE)
        multi_logits = multi_logits.float()
        multi_high_res = functional.interpolate(
            multi_logits,
            size=(self.image_size, self.image_size),
            mode="bilinear",
            align_corners=False,
        )
        token = output_tokens[:, 0]
        if multimask_output:
            best = torch.argmax(ious, dim=-1)
            rows = torch.arange(batch, device=device)
            low_res = multi_logits[rows, best].unsqueeze(1)
            high_res = multi_high_res[rows, best].unsqueeze(1)
            if output_tokens.size(1) > 1:
                token = output_tokens[rows, best]
        else:
            low_res, high_res = multi_logits, multi_high_res
        obj_ptr = self.obj_ptr_proj(token)
        if self.pred_obj_scores:
            weight = score.sigmoid() if self.soft_no_obj_ptr else present.float()
            if self.fixed_no_obj_ptr:
                obj_ptr = weight * obj_ptr
            obj_ptr = obj_ptr + (1 - weight) * self.no_obj_ptr
        return multi_logits, multi_high_res, ious, low_res, high_res, obj_ptr, score
