"""SAM 2.1 image encoder part: frames -> feature maps, with its TensorRT shape profile.

Notation (N, S, G, C, Cm, K) as in :mod:`unipixel_ros.accel.parts.sam2.limits`.
"""

from __future__ import annotations

import torch
from sam2.modeling.sam2_base import SAM2Base
from torch import nn

from unipixel_ros.accel.engines.key import ShapeProfile, TensorShapeRange
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits, check_exportable

__all__ = ["Sam2ImageEncoderPart", "image_encoder_part"]


class Sam2ImageEncoderPart(nn.Module):
    """Frames -> the feature maps the decoder and the tracker read.

    Inputs:
        frames (`torch.Tensor` of shape `(T, 3, S, S)`, float32): preprocessed frames
            (ImageNet-normalised, see ``unipixel_ros.sam.preprocess_frames``).

    Outputs:
        image_embed (`(T, C, G, G)`, float32): stride-16 features (the package's
            ``backbone_fpn[-1]`` / ``vision_features``).
        high_res_feat_0 (`(T, C/8, 4G, 4G)`, float32): stride-4 features, already projected by
            the decoder's ``conv_s0``.
        high_res_feat_1 (`(T, C/4, 2G, 2G)`, float32): stride-8 features, projected by
            ``conv_s1``.
        image_pos (`(1, C, G, G)`, float32): sine position encoding of the stride-16 grid
            (the same for every frame).

    Args:
        model: a SAM 2.1 model; its image encoder and the decoder's two projections are used.
    """

    def __init__(self, *, model: SAM2Base) -> None:
        super().__init__()
        check_exportable(model)
        self.image_encoder = model.image_encoder
        self.conv_s0 = model.sam_mask_decoder.conv_s0
        self.conv_s1 = model.sam_mask_decoder.conv_s1

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, ...]:
        backbone = self.image_encoder(frames)
        fpn = backbone["backbone_fpn"]
        pos = backbone["vision_pos_enc"]
        return fpn[-1], self.conv_s0(fpn[0]), self.conv_s1(fpn[1]), pos[-1][:1]


def image_encoder_part(
    model: SAM2Base, *, limits: Sam2PartLimits, example_frames: int = 1
) -> AcceleratedPart:
    """The image encoder as an :class:`AcceleratedPart` (dynamic frame count T)."""
    size = model.image_size
    frames = torch.randn(example_frames, 3, size, size, device=model.device)
    return AcceleratedPart(
        name="sam2_image_encoder",
        module=Sam2ImageEncoderPart(model=model),
        input_names=("frames",),
        output_names=("image_embed", "high_res_feat_0", "high_res_feat_1", "image_pos"),
        example_inputs=(frames,),
        dynamic_axes={
            "frames": {0: "frames"},
            "image_embed": {0: "frames"},
            "high_res_feat_0": {0: "frames"},
            "high_res_feat_1": {0: "frames"},
        },
        shape_profile=ShapeProfile(
            (
                TensorShapeRange(
                    name="frames",
                    min=(1, 3, size, size),
                    opt=(1, 3, size, size),
                    max=(limits.max_frames, 3, size, size),
                ),
            )
        ),
    )
