"""What the four SAM 2.1 parts share: the dynamic-dim limits of their TensorRT profiles, the
feature grid, the check that a model can be exported, and the object-count shape range.

The parts (one module each: image encoder, prompt decoder, memory attention, memory encoder)
hold the SAM 2.1 submodules they need (no copies of weights) and recompute what
``sam2.modeling.sam2_base.SAM2Base`` does for that stage, in a form that ONNX and TensorRT
accept: no Python dicts or lists in the signature, no complex numbers, no data-dependent
Python branches. Tests check each wrapper against the package's own code path and its ONNX
export against the wrapper.

Notation: N objects, S model input side (768 for UniPixel), G = S / 16 feature grid side,
C hidden width (256 for b+), Cm memory width (64 for b+), K hidden-state tokens per object.

Not exported (they stay in PyTorch): mask prompts (``use_mask_input_as_output_without_sam``),
``non_overlap_masks_for_mem_enc`` and ``binarize_mask_from_pts_for_mem_enc``; the wrappers
refuse a model configured with the last two.
"""

from __future__ import annotations

from dataclasses import dataclass

from sam2.modeling.sam2_base import SAM2Base

from unipixel_ros.accel.engines.key import TensorShapeRange
from unipixel_ros.errors import ConfigError

__all__ = ["Sam2PartLimits", "check_exportable", "feature_grid", "objects_range"]


@dataclass(frozen=True, kw_only=True)
class Sam2PartLimits:
    """Dynamic-dim ranges the TensorRT profiles are built for.

    Args:
        max_frames: frames per image-encoder call.
        max_objects: objects per decoder / memory call.
        max_points: clicks per object, before the padding point the decoder appends.
        max_memory_frames: spatial memories read per frame (SAM 2.1: ``num_maskmem``, 7).
        max_object_pointers: object pointers read per frame (SAM 2.1: 16).
        opt_objects: object count the kernels are tuned for.
    """

    max_frames: int = 8
    max_objects: int = 8
    max_points: int = 8
    max_memory_frames: int = 7
    max_object_pointers: int = 16
    opt_objects: int = 1

    def __post_init__(self) -> None:
        values = {
            "max_frames": self.max_frames,
            "max_objects": self.max_objects,
            "max_points": self.max_points,
            "max_memory_frames": self.max_memory_frames,
            "max_object_pointers": self.max_object_pointers,
            "opt_objects": self.opt_objects,
        }
        bad = {name: value for name, value in values.items() if value < 1}
        if bad:
            raise ConfigError(f"Sam2PartLimits values must be >= 1, got {bad}")
        if self.opt_objects > self.max_objects:
            raise ConfigError(
                f"opt_objects {self.opt_objects} exceeds max_objects {self.max_objects}"
            )


def feature_grid(model: SAM2Base) -> int:
    """G, the side of the stride-16 feature grid."""
    return model.image_size // model.backbone_stride


def check_exportable(model: SAM2Base) -> None:
    """Refuse a model whose settings the exported parts do not reproduce."""
    if not model.use_high_res_features_in_sam:
        raise ConfigError("the exported SAM 2.1 parts expect use_high_res_features_in_sam=True")
    if model.binarize_mask_from_pts_for_mem_enc or model.non_overlap_masks_for_mem_enc:
        raise ConfigError(
            "binarize_mask_from_pts_for_mem_enc / non_overlap_masks_for_mem_enc are not "
            "exported; keep this model on the eager or compile backend"
        )


def objects_range(name: str, rest: tuple[int, ...], limits: Sam2PartLimits) -> TensorShapeRange:
    """The range of a tensor whose leading dim is the object count N, the rest fixed."""
    return TensorShapeRange(
        name=name,
        min=(1, *rest),
        opt=(limits.opt_objects, *rest),
        max=(limits.max_objects, *rest),
    )
