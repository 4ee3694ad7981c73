"""SAM 2.1 split into four exportable parts with plain tensors in and out.

Each wrapper holds the SAM 2.1 submodules it needs (no copies of weights) and recomputes what
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
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812
from sam2.modeling.sam2_base import NO_OBJ_SCORE, SAM2Base
from torch import nn

from unipixel_ros.accel.engines.key import ShapeProfile, TensorShapeRange
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.errors import BadInputError, ConfigError

__all__ = [
    "Sam2ImageEncoderPart",
    "Sam2MemoryAttentionPart",
    "Sam2MemoryEncoderPart",
    "Sam2PartLimits",
    "Sam2PromptDecoderPart",
    "image_encoder_part",
    "memory_attention_part",
    "memory_encoder_part",
    "prompt_decoder_part",
]


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


def _grid(model: SAM2Base) -> int:
    return model.image_size // model.backbone_stride


def _check_exportable(model: SAM2Base) -> None:
    if not model.use_high_res_features_in_sam:
        raise ConfigError("the exported SAM 2.1 parts expect use_high_res_features_in_sam=True")
    if model.binarize_mask_from_pts_for_mem_enc or model.non_overlap_masks_for_mem_enc:
        raise ConfigError(
            "binarize_mask_from_pts_for_mem_enc / non_overlap_masks_for_mem_enc are not "
            "exported; keep this model on the eager or compile backend"
        )


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
        _check_exportable(model)
        self.image_encoder = model.image_encoder
        self.conv_s0 = model.sam_mask_decoder.conv_s0
        self.conv_s1 = model.sam_mask_decoder.conv_s1

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, ...]:
        backbone = self.image_encoder(frames)
        fpn = backbone["backbone_fpn"]
        pos = backbone["vision_pos_enc"]
        return fpn[-1], self.conv_s0(fpn[0]), self.conv_s1(fpn[1]), pos[-1][:1]


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
        _check_exportable(model)
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


class Sam2MemoryAttentionPart(nn.Module):
    """Condition the current frame's features on each object's memory.

    Same computation as ``sam2.modeling.memory_attention.MemoryAttention`` with RoPE attention
    layers, rewritten with real-valued rotations (ONNX has no complex type) and with the memory
    split into its spatial part (rotated, T frames of G*G tokens) and its object-pointer part
    (not rotated), so the pointer count is a shape, not a Python int.

    Inputs:
        current_features (`(1, C, G, G)`, float32): the frame's ``image_embed``.
        current_pos (`(1, C, G, G)`, float32): the encoder's ``image_pos``.
        spatial_memory (`(N, T*G*G, Cm)`, float32): T memory frames, each flattened row-major
            (the package's ``maskmem_features.flatten(2).permute(0, 2, 1)``), concatenated.
        spatial_memory_pos (`(N, T*G*G, Cm)`, float32): their position encodings including
            the temporal encoding ``maskmem_tpos_enc``.
        pointer_memory (`(N, P, Cm)`, float32): object-pointer tokens (each pointer split into
            C / Cm tokens).
        pointer_memory_pos (`(N, P, Cm)`, float32): their temporal position encodings.

    Outputs:
        conditioned_features (`(N, C, G, G)`, float32): input for the decoder part.

    Args:
        model: a SAM 2.1 model; its ``memory_attention`` is used.
    """

    rope_cos: torch.Tensor
    rope_sin: torch.Tensor

    def __init__(self, *, model: SAM2Base) -> None:
        super().__init__()
        _check_exportable(model)
        attention = model.memory_attention
        self.layers = attention.layers
        self.norm = attention.norm
        self.pos_enc_at_input = attention.pos_enc_at_input
        grid = _grid(model)
        self.grid = grid
        first = attention.layers[0]
        for name in ("self_attn", "cross_attn_image"):
            if not hasattr(getattr(first, name), "compute_cis"):
                raise ConfigError(f"memory attention {name} is not a RoPE attention")
        table = first.self_attn.compute_cis(end_x=grid, end_y=grid)
        self.register_buffer("rope_cos", table.real.float().contiguous(), persistent=False)
        self.register_buffer("rope_sin", table.imag.float().contiguous(), persistent=False)

    def _rotate(self, x: torch.Tensor) -> torch.Tensor:
        """Rotate pairs of channels of ``x`` (..., G*G, d) by the grid's RoPE angles."""
        pairs = x.reshape(*x.shape[:-1], -1, 2)
        real, imag = pairs[..., 0], pairs[..., 1]
        rotated = torch.stack(
            (
                real * self.rope_cos - imag * self.rope_sin,
                real * self.rope_sin + imag * self.rope_cos,
            ),
            dim=-1,
        )
        return rotated.flatten(-2)

    def _attend(
        self,
        attention: Any,
        query: torch.Tensor,
        rotated_keys: torch.Tensor,
        rotated_values: torch.Tensor,
        plain_keys: torch.Tensor | None = None,
        plain_values: torch.Tensor | None = None,
    ) -> torch.Tensor:
        heads = attention.num_heads

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.reshape(x.shape[0], x.shape[1], heads, -1).transpose(1, 2)

        q = self._rotate(split(attention.q_proj(query)))
        k = split(attention.k_proj(rotated_keys))
        batch, _, length, width = k.shape
        tokens = self.grid * self.grid
        k = self._rotate(k.reshape(batch, heads, length // tokens, tokens, width))
        k = k.reshape(batch, heads, length, width)
        v = split(attention.v_proj(rotated_values))
        if plain_keys is not None and plain_values is not None:
            k = torch.cat([k, split(attention.k_proj(plain_keys))], dim=2)
            v = torch.cat([v, split(attention.v_proj(plain_values))], dim=2)
        out = F.scaled_dot_product_attention(q, k, v)
        out = out.transpose(1, 2).reshape(out.shape[0], out.shape[2], -1)
        return attention.out_proj(out)

    def forward(
        self,
        current_features: torch.Tensor,
        current_pos: torch.Tensor,
        spatial_memory: torch.Tensor,
        spatial_memory_pos: torch.Tensor,
        pointer_memory: torch.Tensor,
        pointer_memory_pos: torch.Tensor,
    ) -> tuple[torch.Tensor]:
        num_objects = spatial_memory.shape[0]
        curr = current_features.flatten(2).transpose(1, 2).expand(num_objects, -1, -1)
        curr_pos = current_pos.flatten(2).transpose(1, 2).expand(num_objects, -1, -1)
        output = curr + 0.1 * curr_pos if self.pos_enc_at_input else curr
        layers: list[Any] = list(self.layers)
        for layer in layers:
            normed = layer.norm1(output)
            query = normed + curr_pos if layer.pos_enc_at_attn else normed
            output = output + self._attend(layer.self_attn, query, query, normed)
            normed = layer.norm2(output)
            query = normed + curr_pos if layer.pos_enc_at_cross_attn_queries else normed
            if layer.pos_enc_at_cross_attn_keys:
                spatial_keys = spatial_memory + spatial_memory_pos
                pointer_keys = pointer_memory + pointer_memory_pos
            else:
                spatial_keys, pointer_keys = spatial_memory, pointer_memory
            output = output + self._attend(
                layer.cross_attn_image,
                query,
                spatial_keys,
                spatial_memory,
                pointer_keys,
                pointer_memory,
            )
            normed = layer.norm3(output)
            output = output + layer.linear2(layer.activation(layer.linear1(normed)))
        output = self.norm(output)
        grid = self.grid
        return (output.transpose(1, 2).reshape(num_objects, -1, grid, grid),)


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
        _check_exportable(model)
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
    grid = _grid(model)
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
        _objects_range("image_embed", (width, grid, grid), limits),
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
        ranges.append(_objects_range("hidden_tokens", (num_hidden_tokens, width), limits))
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


def memory_attention_part(
    model: SAM2Base,
    *,
    limits: Sam2PartLimits,
    example_objects: int = 1,
    example_memory_frames: int = 1,
    example_pointers: int = 1,
) -> AcceleratedPart:
    """The memory attention (dynamic N, memory frames T and pointer tokens P) as a part."""
    grid = _grid(model)
    tokens = grid * grid
    width = model.hidden_dim
    mem = model.mem_dim
    split = width // mem
    device = model.device
    n, t, p = example_objects, example_memory_frames, example_pointers * split
    example = (
        torch.randn(1, width, grid, grid, device=device),
        torch.randn(1, width, grid, grid, device=device),
        torch.randn(n, t * tokens, mem, device=device),
        torch.randn(n, t * tokens, mem, device=device),
        torch.randn(n, p, mem, device=device),
        torch.randn(n, p, mem, device=device),
    )

    def spatial(name: str) -> TensorShapeRange:
        return TensorShapeRange(
            name=name,
            min=(1, tokens, mem),
            opt=(limits.opt_objects, limits.max_memory_frames * tokens, mem),
            max=(limits.max_objects, limits.max_memory_frames * tokens, mem),
        )

    def pointers(name: str) -> TensorShapeRange:
        return TensorShapeRange(
            name=name,
            min=(1, split, mem),
            opt=(limits.opt_objects, limits.max_object_pointers * split, mem),
            max=(limits.max_objects, limits.max_object_pointers * split, mem),
        )

    return AcceleratedPart(
        name="sam2_memory_attention",
        module=Sam2MemoryAttentionPart(model=model),
        input_names=(
            "current_features",
            "current_pos",
            "spatial_memory",
            "spatial_memory_pos",
            "pointer_memory",
            "pointer_memory_pos",
        ),
        output_names=("conditioned_features",),
        example_inputs=example,
        dynamic_axes={
            "spatial_memory": {0: "objects", 1: "memory_tokens"},
            "spatial_memory_pos": {0: "objects", 1: "memory_tokens"},
            "pointer_memory": {0: "objects", 1: "pointer_tokens"},
            "pointer_memory_pos": {0: "objects", 1: "pointer_tokens"},
            "conditioned_features": {0: "objects"},
        },
        shape_profile=ShapeProfile(
            (
                TensorShapeRange.static("current_features", (1, width, grid, grid)),
                TensorShapeRange.static("current_pos", (1, width, grid, grid)),
                spatial("spatial_memory"),
                spatial("spatial_memory_pos"),
                pointers("pointer_memory"),
                pointers("pointer_memory_pos"),
            )
        ),
        cuda_graphs=True,
    )


def memory_encoder_part(
    model: SAM2Base, *, limits: Sam2PartLimits, example_objects: int = 1
) -> AcceleratedPart:
    """The memory encoder (dynamic N objects) as a part."""
    grid = _grid(model)
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
                _objects_range("mask_logits", (1, 4 * grid, 4 * grid), limits),
                _objects_range("object_score_logits", (1,), limits),
            )
        ),
        cuda_graphs=True,
    )


def _objects_range(name: str, rest: tuple[int, ...], limits: Sam2PartLimits) -> TensorShapeRange:
    return TensorShapeRange(
        name=name,
        min=(1, *rest),
        opt=(limits.opt_objects, *rest),
        max=(limits.max_objects, *rest),
    )
