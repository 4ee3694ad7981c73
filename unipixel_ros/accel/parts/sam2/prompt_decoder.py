"""SAM 2.1 prompt encoder + mask decoder part, with its TensorRT shape profile.

Notation (N, S, G, C, Cm, K) as in :mod:`unipixel_ros.accel.parts.sam2.limits`.
"""

from __future__ import annotations

import torch
from sam2.modeling.sam2_base import NO_OBJ_SCORE, SAM2Base
from torch import nn

from unipixel_ros.accel.engines.key import ShapeProfile, TensorShapeRange
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.limits import (
    Sam2PartLimits,
    check_exportable,
    feature_grid,
    objects_range,
)
from unipixel_ros.errors import BadInputError, ConfigError

__all__ = ["Sam2PromptDecoderPart", "prompt_decoder_part"]


class Sam2PromptDecoderPart(nn.Module):
    """Prompt encoder + mask decoder for N objects on one frame.

    The sparse prompt of each object is its P points, one padding point (label -1, as SAM 2
    appends when no box is given), then its K hidden-state tokens (UniPixel's ``<|seg|>``
    prompt; K = 0 for plain clicks). For a hidden-state-only prompt pass one point with label
    -1: the sparse prompt is then the two padding tokens followed by the K tokens, as UniPixel
    does. No mask prompt (dense prompt = the learned no-mask embedding).

    Inputs:
        image_embed (`(N, C, G, G)`, float32): per-object stride-16 features: the frame's
            ``image_embed`` plus ``no_mem_embed`` on a prompted frame, or the output of the
            memory attention part when tracking.
        high_res_feat_0 (`(1, C/8, 4G, 4G)`, float32): from the image encoder part.
        high_res_feat_1 (`(1, C/4, 2G, 2G)`, float32): from the image encoder part.
        point_coords (`(N, P, 2)`, float32): (x, y) in model input pixels (S x S frame).
        point_labels (`(N, P)`, int32): 1 positive, 0 negative, 2 / 3 box corners, -1 padding.
        hidden_tokens (`(N, K, C)`, float32): only when ``num_hidden_tokens`` > 0.

    Outputs:
        mask_logits (`(N, M, 4G, 4G)`, float32): low-resolution logits before sigmoid, M = 3
            with ``multimask_output`` else 1; ``-1024`` where the object score says absent.
        iou_scores (`(N, M)`, float32): predicted IoU per mask.
        best_mask_logits (`(N, 1, 4G, 4G)`, float32): the mask with the highest predicted IoU.
        object_pointer (`(N, C)`, float32): the object pointer for the memory bank.
        object_score_logits (`(N, 1)`, float32): presence logit; <= 0 means absent.

    Args:
        model: a SAM 2.1 model.
        num_hidden_tokens: K; 0 exports a points-only decoder.
        multimask_output: three candidate masks (first click) instead of one (tracking).
    """

    def __init__(self, *, model: SAM2Base, num_hidden_tokens: int, multimask_output: bool) -> None:
        super().__init__()
        check_exportable(model)
        if num_hidden_tokens < 0:
            raise ConfigError(f"num_hidden_tokens must be >= 0, got {num_hidden_tokens}")
        self.prompt_encoder = model.sam_prompt_encoder
        self.mask_decoder = model.sam_mask_decoder
        self.obj_ptr_proj = model.obj_ptr_proj
        self.num_hidden_tokens = num_hidden_tokens
        self.multimask_output = multimask_output
        self.pred_obj_scores = model.pred_obj_scores
        self.soft_no_obj_ptr = model.soft_no_obj_ptr
        self.fixed_no_obj_ptr = model.fixed_no_obj_ptr
        self.no_obj_ptr = getattr(model, "no_obj_ptr", None) if model.pred_obj_scores else None
        self.register_buffer(
            "image_pe", model.sam_prompt_encoder.get_dense_pe().detach(), persistent=False
        )

    def forward(
        self,
        image_embed: torch.Tensor,
        high_res_feat_0: torch.Tensor,
        high_res_feat_1: torch.Tensor,
        point_coords: torch.Tensor,
        point_labels: torch.Tensor,
        hidden_tokens: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, ...]:
        if (hidden_tokens is None) != (self.num_hidden_tokens == 0):
            given = "none" if hidden_tokens is None else tuple(hidden_tokens.shape)
            raise BadInputError(
                f"decoder built for K={self.num_hidden_tokens} hidden tokens got hidden_tokens "
                f"{given}"
            )
        num_objects = image_embed.shape[0]
        sparse = self.prompt_encoder._embed_points(
            point_coords, point_labels.to(torch.float32), pad=True
        )
        if hidden_tokens is not None:
            sparse = torch.cat([sparse, hidden_tokens.to(sparse.dtype)], dim=1)
        dense = self.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1).expand(
            num_objects, -1, image_embed.shape[-2], image_embed.shape[-1]
        )
        high_res = [
            high_res_feat_0.expand(num_objects, -1, -1, -1),
            high_res_feat_1.expand(num_objects, -1, -1, -1),
        ]
        mask_logits, iou_scores, output_tokens, object_score_logits = self.mask_decoder(
            image_embeddings=image_embed,
            image_pe=self.image_pe,
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=self.multimask_output,
            repeat_image=False,
            high_res_features=high_res,
        )
        present = object_score_logits > 0
        if self.pred_obj_scores:
            mask_logits = torch.where(present[:, :, None, None], mask_logits, NO_OBJ_SCORE)
        mask_logits = mask_logits.float()
        token = output_tokens[:, 0]
        if self.multimask_output:
            best = torch.argmax(iou_scores, dim=-1)
            best_mask_logits = torch.gather(
                mask_logits,
                1,
                best[:, None, None, None].expand(-1, 1, mask_logits.shape[2], mask_logits.shape[3]),
            )
            if output_tokens.shape[1] > 1:
                token = torch.gather(
                    output_tokens, 1, best[:, None, None].expand(-1, 1, output_tokens.shape[2])
                )[:, 0]
        else:
            best_mask_logits = mask_logits
        object_pointer = self.obj_ptr_proj(token)
        if self.no_obj_ptr is not None:
            weight = object_score_logits.sigmoid() if self.soft_no_obj_ptr else present.float()
            if self.fixed_no_obj_ptr:
                object_pointer = weight * object_pointer
            object_pointer = object_pointer + (1 - weight) * self.no_obj_ptr
        return mask_logits, iou_scores, best_mask_logits, object_pointer, object_score_logits


def prompt_decoder_part(
    model: SAM2Base,
    *,
    limits: Sam2PartLimits,
    num_hidden_tokens: int = 0,
    multimask_output: bool = True,
    example_objects: int = 1,
    example_points: int = 1,
) -> AcceleratedPart:
    """The prompt encoder + mask decoder (dynamic N objects, P points) as a part.

    Named ``sam2_prompt_decoder`` (K = 0) or ``sam2_hidden_prompt_decoder`` (K > 0), with a
    ``_single`` suffix without multimask output.
    """
    grid = feature_grid(model)
    width = model.hidden_dim
    device = model.device
    n, p = example_objects, example_points
    example: list[torch.Tensor] = [
        torch.randn(n, width, grid, grid, device=device),
        torch.randn(1, width // 8, 4 * grid, 4 * grid, device=device),
        torch.randn(1, width // 4, 2 * grid, 2 * grid, device=device),
        torch.rand(n, p, 2, device=device) * model.image_size,
        torch.ones(n, p, dtype=torch.int32, device=device),
    ]
    names = ["image_embed", "high_res_feat_0", "high_res_feat_1", "point_coords", "point_labels"]
    dynamic: dict[str, dict[int, str]] = {
        "image_embed": {0: "objects"},
        "point_coords": {0: "objects", 1: "points"},
        "point_labels": {0: "objects", 1: "points"},
    }
    ranges = [
        objects_range("image_embed", (width, grid, grid), limits),
        TensorShapeRange.static("high_res_feat_0", (1, width // 8, 4 * grid, 4 * grid)),
        TensorShapeRange.static("high_res_feat_1", (1, width // 4, 2 * grid, 2 * grid)),
        TensorShapeRange(
            name="point_coords",
            min=(1, 1, 2),
            opt=(limits.opt_objects, 1, 2),
            max=(limits.max_objects, limits.max_points, 2),
        ),
        TensorShapeRange(
            name="point_labels",
            min=(1, 1),
            opt=(limits.opt_objects, 1),
            max=(limits.max_objects, limits.max_points),
        ),
    ]
    if num_hidden_tokens > 0:
        example.append(torch.randn(n, num_hidden_tokens, width, device=device))
        names.append("hidden_tokens")
        dynamic["hidden_tokens"] = {0: "objects"}
        ranges.append(objects_range("hidden_tokens", (num_hidden_tokens, width), limits))
    outputs = (
        "mask_logits",
        "iou_scores",
        "best_mask_logits",
        "object_pointer",
        "object_score_logits",
    )
    for output in outputs:
        dynamic[output] = {0: "objects"}
    name = "sam2_hidden_prompt_decoder" if num_hidden_tokens > 0 else "sam2_prompt_decoder"
    return AcceleratedPart(
        name=name if multimask_output else f"{name}_single",
        module=Sam2PromptDecoderPart(
            model=model, num_hidden_tokens=num_hidden_tokens, multimask_output=multimask_output
        ),
        input_names=tuple(names),
        output_names=outputs,
        example_inputs=tuple(example),
        dynamic_axes=dynamic,
        shape_profile=ShapeProfile(tuple(ranges)),
        cuda_graphs=True,
    )
