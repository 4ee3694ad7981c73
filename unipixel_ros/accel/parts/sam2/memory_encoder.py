"""SAM 2.1 memory encoder part: mask logits -> spatial memory, with its TensorRT shape profile.

Notation (N, S, G, C, Cm, K) as in :mod:`unipixel_ros.accel.parts.sam2.limits`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812
from sam2.modeling.sam2_base import SAM2Base
from torch import nn

from unipixel_ros.accel.engines.key import ShapeProfile, TensorShapeRange
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.limits import (
    Sam2PartLimits,
    check_exportable,
    feature_grid,
    objects_range,
)

__all__ = ["Sam2MemoryEncoderPart", "memory_encoder_part"]


class Sam2MemoryEncoderPart(nn.Module):
    """Encode each object's predicted mask on a frame into its spatial memory.

    Same computation as ``SAM2Base._encode_new_memory`` after the package upsamples the
    low-resolution logits to S x S (sigmoid, scale and bias, memory encoder, no-object
    embedding where the object score says absent).

    Inputs:
        frame_features (`(1, C, G, G)`, float32): the frame's ``image_embed`` (not memory
            conditioned).
        mask_logits (`(N, 1, 4G, 4G)`, float32): low-resolution mask logits of the objects.
        object_score_logits (`(N, 1)`, float32): presence logits from the decoder.

    Outputs:
        memory_features (`(N, Cm, G, G)`, float32): ``maskmem_features``.
        memory_pos (`(N, Cm, G, G)`, float32): ``maskmem_pos_enc`` (sine, same for all).

    Args:
        model: a SAM 2.1 model; its ``memory_encoder`` is used.
    """

    def __init__(self, *, model: SAM2Base) -> None:
        super().__init__()
        check_exportable(model)
        self.memory_encoder = model.memory_encoder
        self.image_size = model.image_size
        self.sigmoid_scale = float(model.sigmoid_scale_for_mem_enc)
        self.sigmoid_bias = float(model.sigmoid_bias_for_mem_enc)
        self.no_obj_embed_spatial = model.no_obj_embed_spatial

    def forward(
        self,
        frame_features: torch.Tensor,
        mask_logits: torch.Tensor,
        object_score_logits: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        num_objects = mask_logits.shape[0]
        high_res = F.interpolate(
            mask_logits.float(),
            size=(self.image_size, self.image_size),
            mode="bilinear",
            align_corners=False,
        )
        mask = torch.sigmoid(high_res) * self.sigmoid_scale + self.sigmoid_bias
        pix_feat = frame_features.expand(num_objects, -1, -1, -1)
        encoded = self.memory_encoder(pix_feat, mask, skip_mask_sigmoid=True)
        features = encoded["vision_features"]
        if self.no_obj_embed_spatial is not None:
            absent = 1.0 - (object_score_logits > 0).float()
            features = (
                features + absent[:, :, None, None] * self.no_obj_embed_spatial[:, :, None, None]
            )
        pos = encoded["vision_pos_enc"][-1][:1]
        return features, pos.expand(num_objects, -1, -1, -1)


def memory_encoder_part(
    model: SAM2Base, *, limits: Sam2PartLimits, example_objects: int = 1
) -> AcceleratedPart:
    """The memory encoder (dynamic N objects) as a part."""
    grid = feature_grid(model)
    width = model.hidden_dim
    device = model.device
    n = example_objects
    return AcceleratedPart(
        name="sam2_memory_encoder",
        module=Sam2MemoryEncoderPart(model=model),
        input_names=("frame_features", "mask_logits", "object_score_logits"),
        output_names=("memory_features", "memory_pos"),
        example_inputs=(
            torch.randn(1, width, grid, grid, device=device),
            torch.randn(n, 1, 4 * grid, 4 * grid, device=device),
            torch.randn(n, 1, device=device),
        ),
        dynamic_axes={
            "mask_logits": {0: "objects"},
            "object_score_logits": {0: "objects"},
            "memory_features": {0: "objects"},
            "memory_pos": {0: "objects"},
        },
        shape_profile=ShapeProfile(
            (
                TensorShapeRange.static("frame_features", (1, width, grid, grid)),
                objects_range("mask_logits", (1, 4 * grid, 4 * grid), limits),
                objects_range("object_score_logits", (1,), limits),
            )
        ),
        cuda_graphs=True,
    )
