"""SAM 2.1's whole tracking step for a padded batch of objects: memory attention -> mask decoder
-> memory encoder, with each object's memory read through validity masks.

Notation (N, S, G, C, Cm) as in :mod:`unipixel_ros.accel.parts.sam2.limits`; B is the bucket
(the padded object count), T = ``num_maskmem`` spatial memories and P =
``max_obj_ptrs_in_encoder`` object pointers per object, split into C / Cm tokens each.

The package's ``track_step`` concatenates the memories an object group has, so its shapes
change with every memory fill. Here every object reads exactly T spatial and P pointer slots;
the slots it does not have are masked out of the cross-attention (their logit is -inf), which
gives the attention over the unmasked set, i.e. the package's result up to float rounding. All
shapes depend on B alone, so the step compiles (or exports) once per bucket and replays as a
CUDA graph. Which memories are read (the conditioning frame, the last ``num_maskmem - 1``
frames, the pointers of up to ``max_obj_ptrs_in_encoder`` frames, their temporal encodings) is
decided on the host by `unipixel_ros.tracking.memory_slots.MemorySlots`.
"""

from __future__ import annotations

import torch
from sam2.modeling.sam2_base import SAM2Base
from sam2.modeling.sam2_utils import get_1d_sine_pe
from torch import nn

from unipixel_ros.accel.engines.key import ShapeProfile, TensorShapeRange
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.limits import check_exportable, feature_grid
from unipixel_ros.accel.parts.sam2.memory_attention import Sam2MemoryAttentionPart
from unipixel_ros.accel.parts.sam2.memory_encoder import Sam2MemoryEncoderPart
from unipixel_ros.accel.parts.sam2.prompt_decoder import Sam2PromptDecoderPart
from unipixel_ros.errors import ConfigError
from unipixel_ros.tracking.memory_slots import layout_width, meta_width

__all__ = [
    "TRACKING_STEP_INPUTS",
    "TRACKING_STEP_OUTPUTS",
    "Sam2TrackingStep",
    "check_batchable",
    "tracking_step_part",
]

TRACKING_STEP_INPUTS = (
    "image_embed",
    "image_pos",
    "high_res_feat_0",
    "high_res_feat_1",
    "spatial_memory",
    "pointers",
    "memory_layout",
)
TRACKING_STEP_OUTPUTS = ("mask_logits", "object_score_logits", "object_pointer", "memory_features")


def check_batchable(model: SAM2Base) -> None:
    """Refuse a model whose tracking step `Sam2TrackingStep` does not reproduce.

    Raises:
        ConfigError: naming the setting.
    """
    check_exportable(model)
    if model.num_maskmem < 1 or not model.use_obj_ptrs_in_encoder:
        raise ConfigError(
            "the batched tracking step needs num_maskmem >= 1 and use_obj_ptrs_in_encoder, got "
            f"{model.num_maskmem} and {model.use_obj_ptrs_in_encoder}"
        )
    if model.hidden_dim % model.mem_dim:
        raise ConfigError(f"hidden dim {model.hidden_dim} is not a multiple of {model.mem_dim}")


class Sam2TrackingStep(nn.Module):
    """One tracked frame for B objects (a padded bucket), memory read through masks.

    Inputs (the frame's levels in `FrameFeatures` layout, shared by all objects):
        image_embed (`(G*G, 1, C)`): stride-16 features.
        image_pos (`(G*G, 1, C)`): their sine position encoding.
        high_res_feat_0 (`(16*G*G, 1, C/8)`): stride-4 features (projected by ``conv_s0``).
        high_res_feat_1 (`(4*G*G, 1, C/4)`): stride-8 features (projected by ``conv_s1``).
        spatial_memory (`(B, T, Cm, G, G)`): each object's selected spatial memories
            (conditioning frame first, then oldest to newest); any dtype, cast up.
        pointers (`(B, P, C)`): each object's selected object pointers (conditioning first,
            then newest to oldest).
        memory_layout (`(B, W)`, int64): the rows built by
            `unipixel_ros.tracking.memory_slots.MemorySlots.layout`; this part reads, per
            object, the T temporal-encoding indices into ``maskmem_tpos_enc``, the T spatial
            validity flags, the P signed frame distances of the pointers and the P pointer
            validity flags (0 / 1). Every object needs at least one valid slot.

    Outputs:
        mask_logits (`(B, 1, 4G, 4G)`, float32): low-resolution logits before sigmoid (the
            best of the multimask outputs, as the package picks), -1024 where absent.
        object_score_logits (`(B, 1)`, float32): presence logits.
        object_pointer (`(B, C)`): the new object pointers.
        memory_features (`(B, Cm, G, G)`): the new spatial memories.

    Args:
        model: a SAM 2.1 model (see `check_batchable`); its submodules are shared, not copied.
    """

    memory_pos: torch.Tensor

    def __init__(self, *, model: SAM2Base) -> None:
        super().__init__()
        check_batchable(model)
        self.attention = Sam2MemoryAttentionPart(model=model)
        self.decoder = Sam2PromptDecoderPart(
            model=model,
            num_hidden_tokens=0,
            multimask_output=model._use_multimask(is_init_cond_frame=False, point_inputs=None),
        )
        self.encoder = Sam2MemoryEncoderPart(model=model)
        self.maskmem_tpos_enc = model.maskmem_tpos_enc
        self.obj_ptr_tpos_proj = model.obj_ptr_tpos_proj
        self.add_tpos_enc = model.add_tpos_enc_to_obj_ptrs
        self.tpos_dim = model.hidden_dim if model.proj_tpos_enc_in_obj_ptrs else model.mem_dim
        self.pointer_scale = model.max_obj_ptrs_in_encoder - 1
        self.num_spatial = model.num_maskmem
        self.num_pointers = model.max_obj_ptrs_in_encoder
        self.hidden_dim = model.hidden_dim
        self.mem_dim = model.mem_dim
        self.grid = feature_grid(model)
        grid = self.grid
        probe = torch.zeros(1, model.mem_dim, grid, grid, device=model.device)
        with torch.inference_mode():
            pos = model.memory_encoder.position_encoding(probe).float()
        self.register_buffer("memory_pos", pos.clone(), persistent=False)

    def forward(
        self,
        image_embed: torch.Tensor,
        image_pos: torch.Tensor,
        high_res_feat_0: torch.Tensor,
        high_res_feat_1: torch.Tensor,
        spatial_memory: torch.Tensor,
        pointers: torch.Tensor,
        memory_layout: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        batch, t_count, p_count = spatial_memory.shape[0], self.num_spatial, self.num_pointers
        grid, tokens = self.grid, self.grid * self.grid
        split = self.hidden_dim // self.mem_dim
        meta = memory_layout[:, memory_layout.shape[1] - meta_width(t_count, p_count) :]
        time_index = meta[:, :t_count]
        spatial_valid = meta[:, t_count : 2 * t_count] > 0
        offsets = meta[:, 2 * t_count : 2 * t_count + p_count]
        pointer_valid = meta[:, 2 * t_count + p_count :] > 0

        frame = _as_map(image_embed, grid)
        dtype = torch.promote_types(spatial_memory.dtype, pointers.dtype)
        spatial = spatial_memory.to(dtype).flatten(3).transpose(2, 3)  # (B, T, G*G, Cm)
        temporal = self.maskmem_tpos_enc[:, 0, 0, :][time_index]  # (B, T, Cm)
        spatial_pos = self.memory_pos.flatten(2).transpose(1, 2)[:, None] + temporal[:, :, None]
        pointer_tokens = pointers.to(dtype).reshape(batch, p_count * split, self.mem_dim)
        if self.add_tpos_enc:
            sine = get_1d_sine_pe(offsets / self.pointer_scale, dim=self.tpos_dim)
            pointer_pos = self.obj_ptr_tpos_proj(sine)
        else:
            pointer_pos = pointers.new_zeros(batch, p_count, self.mem_dim)
        pointer_pos = pointer_pos.repeat_interleave(split, dim=1)
        key_mask = torch.cat(
            [
                spatial_valid[:, :, None].expand(batch, t_count, tokens).reshape(batch, -1),
                pointer_valid.repeat_interleave(split, dim=1),
            ],
            dim=1,
        )
        (conditioned,) = self.attention(
            frame,
            _as_map(image_pos, grid),
            spatial.reshape(batch, t_count * tokens, self.mem_dim),
            spatial_pos.reshape(batch, t_count * tokens, self.mem_dim),
            pointer_tokens,
            pointer_pos,
            key_mask,
        )
        _, _, mask_logits, pointer, scores = self.decoder(
            conditioned,
            _as_map(high_res_feat_0, 4 * grid),
            _as_map(high_res_feat_1, 2 * grid),
            torch.zeros(batch, 1, 2, device=frame.device),
            -torch.ones(batch, 1, dtype=torch.int32, device=frame.device),
        )
        memory, _ = self.encoder(frame, mask_logits, scores)
        return mask_logits, scores, pointer, memory


def _as_map(levels: torch.Tensor, side: int) -> torch.Tensor:
    """`(side*side, 1, C)` -> `(1, C, side, side)`."""
    return levels.permute(1, 2, 0).reshape(1, levels.shape[2], side, side)


def tracking_step_part(
    model: SAM2Base, *, bucket: int, module: Sam2TrackingStep
) -> AcceleratedPart:
    """The tracking step for exactly ``bucket`` objects (static shapes) as a part.

    Args:
        model: the SAM 2.1 model ``module`` wraps (for the shapes of the example inputs).
        bucket: B, the padded object count.
        module: the step, shared by every bucket (one set of weights).
    """
    if bucket < 1:
        raise ConfigError(f"a tracking-step bucket must hold >= 1 object, got {bucket}")
    grid, width, mem = feature_grid(model), model.hidden_dim, model.mem_dim
    t_count, p_count = model.num_maskmem, model.max_obj_ptrs_in_encoder
    device = model.device
    layout = torch.zeros(bucket, layout_width(t_count, p_count), dtype=torch.int64, device=device)
    layout[:, -meta_width(t_count, p_count) :] = 1  # every slot valid, distance 1
    example = (
        torch.randn(grid * grid, 1, width, device=device),
        torch.randn(grid * grid, 1, width, device=device),
        torch.randn(16 * grid * grid, 1, width // 8, device=device),
        torch.randn(4 * grid * grid, 1, width // 4, device=device),
        torch.randn(bucket, t_count, mem, grid, grid, device=device),
        torch.randn(bucket, p_count, width, device=device),
        layout,
    )
    return AcceleratedPart(
        name=f"sam2_tracking_step_{bucket}",
        module=module,
        input_names=TRACKING_STEP_INPUTS,
        output_names=TRACKING_STEP_OUTPUTS,
        example_inputs=example,
        shape_profile=ShapeProfile(
            tuple(
                TensorShapeRange.static(name, tuple(x.shape))
                for name, x in zip(TRACKING_STEP_INPUTS, example, strict=True)
            )
        ),
        cuda_graphs=True,
    )
