"""Typed architecture configuration of SAM 2.1 (the hydra yaml, as frozen dataclasses).

`Sam2Config.hiera_b_plus(image_size=768)` equals the `sam2` package's
``configs/sam2.1/sam2.1_hiera_b+.yaml`` with ``model.image_size`` overridden, which is how
UniPixel builds it; `unipixel_ros.sam.presets` has all four SAM 2.1 sizes. `Sam2Config.tiny()`
is a few-thousand-parameter variant for CPU tests.

One yaml value is not a field: the memory-attention RoPE ``feat_sizes`` ([64, 64], the 1024-px
grid). `RoPEAttention` recomputes its table whenever the grid differs, so the value only seeds a
table; the builder seeds it for the real grid (``image_size // backbone_stride``) instead, which
gives identical outputs and keeps the forward free of the recomputation branch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from unipixel_ros.errors import ConfigError

__all__ = [
    "FpnNeckConfig",
    "HieraConfig",
    "MemoryAttentionConfig",
    "MemoryEncoderConfig",
    "Sam2Config",
]

PATCH_EMBED_STRIDE = 4
"""Stride of Hiera's patch embedding (kernel 7, stride 4, padding 3), fixed in the package."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


@dataclass(frozen=True, kw_only=True)
class HieraConfig:
    """Hiera image trunk.

    Args:
        embed_dim: channel width of the first stage; stage i has ``embed_dim * dim_mul**i``.
        num_heads: attention heads of the first stage; multiplied by ``head_mul`` per stage.
        stages: number of blocks per stage.
        global_att_blocks: indices of the blocks with global (not windowed) attention.
        window_spec: attention window size per stage.
        window_pos_embed_bkg_spatial_size: size of the interpolated background pos-embed.
        q_pool: number of stage transitions that pool the query (halve the resolution).
        q_stride: pooling stride at those transitions.
        dim_mul: channel multiplier per stage transition.
        head_mul: head-count multiplier per stage transition.
        drop_path_rate: stochastic depth (0 at inference).
    """

    embed_dim: int
    num_heads: int
    stages: tuple[int, ...]
    global_att_blocks: tuple[int, ...]
    window_spec: tuple[int, ...]
    window_pos_embed_bkg_spatial_size: tuple[int, int]
    q_pool: int = 3
    q_stride: tuple[int, int] = (2, 2)
    dim_mul: float = 2.0
    head_mul: float = 2.0
    drop_path_rate: float = 0.0

    def __post_init__(self) -> None:
        _require(self.embed_dim > 0, f"trunk.embed_dim must be > 0, got {self.embed_dim}")
        _require(self.num_heads > 0, f"trunk.num_heads must be > 0, got {self.num_heads}")
        _require(
            len(self.stages) == len(self.window_spec) and all(s > 0 for s in self.stages),
            f"trunk.stages {self.stages} and window_spec {self.window_spec} must have the same "
            "length and positive block counts",
        )
        _require(
            0 <= self.q_pool <= len(self.stages) - 1,
            f"trunk.q_pool must be in [0, {len(self.stages) - 1}], got {self.q_pool}",
        )
        depth = sum(self.stages)
        _require(
            all(0 <= b < depth for b in self.global_att_blocks),
            f"trunk.global_att_blocks {self.global_att_blocks} must index blocks in [0, {depth})",
        )
        _require(
            self.q_stride[0] == self.q_stride[1] and self.q_stride[0] > 0,
            f"trunk.q_stride must be square and positive, got {self.q_stride}",
        )
        for block, window in self._pooling_block_windows():
            _require(
                window // self.q_stride[0] >= 1,
                f"trunk block {block} pools the query, so it needs a window of at least "
                f"{self.q_stride[0]} (not global attention), got {window}",
            )

    def _pooling_block_windows(self) -> list[tuple[int, int]]:
        """(block, window size) of each query-pooling block, as Hiera assigns them."""
        stage_ends = [sum(self.stages[: i + 1]) - 1 for i in range(len(self.stages))]
        pooling = {end + 1 for end in stage_ends[:-1][: self.q_pool]}
        stage = 0
        windows = []
        for block in range(sum(self.stages)):
            window = 0 if block in self.global_att_blocks else self.window_spec[stage]
            if block - 1 in stage_ends:
                stage += 1
            if block in pooling:
                windows.append((block, window))
        return windows

    @property
    def channel_list(self) -> tuple[int, ...]:
        """Output channels per stage, lowest resolution first (the FPN neck's input order)."""
        return tuple(
            int(self.embed_dim * self.dim_mul**i) for i in reversed(range(len(self.stages)))
        )


@dataclass(frozen=True, kw_only=True)
class FpnNeckConfig:
    """FPN neck on top of the trunk.

    Args:
        d_model: output width of every level; this is SAM 2's hidden dim C.
        fpn_top_down_levels: levels that receive the top-down path.
        fpn_interp_model: upsampling mode of the top-down path.
        scalp: number of lowest-resolution levels dropped after the neck.
    """

    d_model: int
    fpn_top_down_levels: tuple[int, ...] = (2, 3)
    fpn_interp_model: str = "nearest"
    scalp: int = 1

    def __post_init__(self) -> None:
        _require(
            self.d_model > 0 and self.d_model % 8 == 0,
            f"neck.d_model must be a positive multiple of 8 (mask decoder upscaling), "
            f"got {self.d_model}",
        )
        _require(
            self.fpn_interp_model in ("nearest", "bilinear"),
            f"neck.fpn_interp_model must be 'nearest' or 'bilinear', got {self.fpn_interp_model!r}",
        )


@dataclass(frozen=True, kw_only=True)
class MemoryAttentionConfig:
    """Memory attention (RoPE self- and cross-attention layers).

    Args:
        num_layers: number of layers.
        dim_feedforward: MLP width.
        num_heads: heads of both attentions.
        rope_theta: RoPE base.
        dropout: dropout probability (inactive in eval mode).
    """

    num_layers: int
    dim_feedforward: int
    num_heads: int = 1
    rope_theta: float = 10000.0
    dropout: float = 0.1

    def __post_init__(self) -> None:
        _require(
            self.num_layers > 0, f"memory_attention.num_layers must be > 0, got {self.num_layers}"
        )
        _require(
            self.dim_feedforward > 0,
            f"memory_attention.dim_feedforward must be > 0, got {self.dim_feedforward}",
        )
        _require(
            self.num_heads > 0, f"memory_attention.num_heads must be > 0, got {self.num_heads}"
        )


@dataclass(frozen=True, kw_only=True)
class MemoryEncoderConfig:
    """Memory encoder (mask downsampler + ConvNeXt fuser).

    Args:
        out_dim: memory width (``mem_dim``); the hidden dim must be a multiple of it.
        fuser_num_layers: number of ConvNeXt blocks in the fuser.
        fuser_kernel_size: depth-wise kernel of the fuser blocks (padding is kernel // 2).
        layer_scale_init_value: initial layer scale of the fuser blocks.
    """

    out_dim: int
    fuser_num_layers: int = 2
    fuser_kernel_size: int = 7
    layer_scale_init_value: float = 1e-6

    def __post_init__(self) -> None:
        _require(
            self.out_dim > 0 and self.out_dim % 4 == 0,
            f"memory_encoder.out_dim must be a positive multiple of 4, got {self.out_dim}",
        )
        _require(
            self.fuser_num_layers > 0,
            f"memory_encoder.fuser_num_layers must be > 0, got {self.fuser_num_layers}",
        )
        _require(
            self.fuser_kernel_size % 2 == 1,
            f"memory_encoder.fuser_kernel_size must be odd, got {self.fuser_kernel_size}",
        )
        _require(
            self.layer_scale_init_value > 0,
            f"memory_encoder.layer_scale_init_value must be > 0, got {self.layer_scale_init_value}",
        )


@dataclass(frozen=True, kw_only=True)
class Sam2Config:
    """SAM 2.1 architecture and inference flags (the ``model:`` block of the hydra yaml).

    Args:
        image_size: model input side S in pixels (frames are resized to S x S). UniPixel uses
            768 (a 48 x 48 feature grid).
        trunk: Hiera trunk.
        neck: FPN neck.
        memory_attention: memory attention.
        memory_encoder: memory encoder.
        num_maskmem: memory slots: 1 conditioning slot + ``num_maskmem - 1`` recent frames.
        max_obj_ptrs_in_encoder: object pointers (from past frames) attended per frame.
        max_cond_frames_in_attn: conditioning frames attended per frame (-1: all).
        memory_temporal_stride_for_eval: stride r between recent memory frames.
        sigmoid_scale_for_mem_enc: mask sigmoid scale before the memory encoder.
        sigmoid_bias_for_mem_enc: mask sigmoid bias before the memory encoder.
        binarize_mask_from_pts_for_mem_enc: binarize prompted masks before memory encoding.
        use_mask_input_as_output_without_sam: a mask prompt is output as is (no decoder).
        directly_add_no_mem_embed: frames without memory add ``no_mem_embed`` directly.
        no_obj_embed_spatial: add a learned embedding to memories of absent objects.
        use_high_res_features_in_sam: the mask decoder uses the stride-4/8 features.
        multimask_output_in_sam: 3 candidate masks on initial conditioning frames.
        multimask_output_for_tracking: 3 candidate masks on tracked frames too.
        multimask_min_pt_num: fewest prompt points that still ask for 3 masks.
        multimask_max_pt_num: most prompt points that still ask for 3 masks.
        use_multimask_token_for_obj_ptr: the object pointer comes from the chosen mask token.
        iou_prediction_use_sigmoid: IoU head output goes through a sigmoid.
        use_obj_ptrs_in_encoder: memory attention also attends to object pointers.
        add_tpos_enc_to_obj_ptrs: object pointers carry a temporal position encoding.
        proj_tpos_enc_in_obj_ptrs: that encoding is projected by a linear layer.
        use_signed_tpos_enc_to_obj_ptrs: the temporal distance is signed.
        only_obj_ptrs_in_the_past_for_eval: only past pointers are attended.
        pred_obj_scores: predict an object-presence score per frame.
        pred_obj_scores_mlp: the presence score comes from an MLP.
        fixed_no_obj_ptr: absent objects get a learned fixed pointer.
        soft_no_obj_ptr: mix the no-object pointer by the score's sigmoid.
        use_mlp_for_obj_ptr_proj: object pointer projection is a 3-layer MLP.
        dynamic_multimask_via_stability: single-mask outputs fall back to the most stable of
            the 3 masks (the package's "postprocessing" option; off in UniPixel).
        non_overlap_masks_for_mem_enc: enforce non-overlapping masks before memory encoding.
    """

    image_size: int
    trunk: HieraConfig
    neck: FpnNeckConfig
    memory_attention: MemoryAttentionConfig
    memory_encoder: MemoryEncoderConfig
    num_maskmem: int = 7
    max_obj_ptrs_in_encoder: int = 16
    max_cond_frames_in_attn: int = -1
    memory_temporal_stride_for_eval: int = 1
    sigmoid_scale_for_mem_enc: float = 20.0
    sigmoid_bias_for_mem_enc: float = -10.0
    binarize_mask_from_pts_for_mem_enc: bool = False
    use_mask_input_as_output_without_sam: bool = True
    directly_add_no_mem_embed: bool = True
    no_obj_embed_spatial: bool = True
    use_high_res_features_in_sam: bool = True
    multimask_output_in_sam: bool = True
    multimask_output_for_tracking: bool = True
    multimask_min_pt_num: int = 0
    multimask_max_pt_num: int = 1
    use_multimask_token_for_obj_ptr: bool = True
    iou_prediction_use_sigmoid: bool = True
    use_obj_ptrs_in_encoder: bool = True
    add_tpos_enc_to_obj_ptrs: bool = True
    proj_tpos_enc_in_obj_ptrs: bool = True
    use_signed_tpos_enc_to_obj_ptrs: bool = True
    only_obj_ptrs_in_the_past_for_eval: bool = True
    pred_obj_scores: bool = True
    pred_obj_scores_mlp: bool = True
    fixed_no_obj_ptr: bool = True
    soft_no_obj_ptr: bool = False
    use_mlp_for_obj_ptr_proj: bool = True
    dynamic_multimask_via_stability: bool = False
    non_overlap_masks_for_mem_enc: bool = False

    backbone_stride: int = 16
    """Stride of the feature map the SAM heads read (fixed by the SAM 2 design)."""

    def __post_init__(self) -> None:
        pooled_stride = PATCH_EMBED_STRIDE * self.trunk.q_stride[0] ** self.trunk.q_pool
        stride = max(pooled_stride, self.backbone_stride)
        _require(
            self.image_size > 0 and self.image_size % stride == 0,
            f"image_size must be a positive multiple of {stride} for this trunk, "
            f"got {self.image_size}",
        )
        patch_grid = self.image_size // PATCH_EMBED_STRIDE
        _require(
            patch_grid % self.trunk.window_spec[0] == 0,
            f"image_size // {PATCH_EMBED_STRIDE} = {patch_grid} must be a multiple of the first "
            f"window size {self.trunk.window_spec[0]} (Hiera tiles its window pos-embed)",
        )
        levels = len(self.trunk.stages) - self.neck.scalp
        _require(
            self.use_high_res_features_in_sam is False or levels >= 3,
            f"use_high_res_features_in_sam needs 3 feature levels after scalp, got {levels}",
        )
        _require(
            PATCH_EMBED_STRIDE * self.trunk.q_stride[0] ** (levels - 1) == self.backbone_stride,
            f"the lowest kept level must have stride {self.backbone_stride}; trunk and scalp "
            f"give stride {PATCH_EMBED_STRIDE * self.trunk.q_stride[0] ** (levels - 1)}",
        )
        hidden = self.neck.d_model
        mem = self.memory_encoder.out_dim
        _require(
            hidden % mem == 0,
            f"neck.d_model {hidden} must be a multiple of memory_encoder.out_dim {mem}",
        )
        head_dim = hidden // self.memory_attention.num_heads
        _require(
            hidden % self.memory_attention.num_heads == 0 and head_dim % 4 == 0,
            f"neck.d_model {hidden} / memory_attention.num_heads "
            f"{self.memory_attention.num_heads} must be a multiple of 4 (axial RoPE)",
        )
        _require(self.num_maskmem >= 1, f"num_maskmem must be >= 1, got {self.num_maskmem}")
        _require(
            self.max_obj_ptrs_in_encoder >= 1,
            f"max_obj_ptrs_in_encoder must be >= 1, got {self.max_obj_ptrs_in_encoder}",
        )
        _require(
            self.max_cond_frames_in_attn == -1 or self.max_cond_frames_in_attn >= 1,
            f"max_cond_frames_in_attn must be -1 or >= 1, got {self.max_cond_frames_in_attn}",
        )
        _require(
            self.memory_temporal_stride_for_eval >= 1,
            "memory_temporal_stride_for_eval must be >= 1, got "
            f"{self.memory_temporal_stride_for_eval}",
        )
        _require(
            0 <= self.multimask_min_pt_num <= self.multimask_max_pt_num,
            f"need 0 <= multimask_min_pt_num <= multimask_max_pt_num, got "
            f"{self.multimask_min_pt_num}, {self.multimask_max_pt_num}",
        )
        _require(
            math.isfinite(self.sigmoid_scale_for_mem_enc),
            f"sigmoid_scale_for_mem_enc must be finite, got {self.sigmoid_scale_for_mem_enc}",
        )

    @property
    def hidden_dim(self) -> int:
        """SAM 2 hidden dim C (prompt tokens, object pointers)."""
        return self.neck.d_model

    @property
    def feature_grid_size(self) -> int:
        """Side of the stride-16 feature grid (48 at S = 768)."""
        return self.image_size // self.backbone_stride

    @property
    def low_res_mask_size(self) -> int:
        """Side of the decoder's low-resolution mask logits (S / 4)."""
        return 4 * self.feature_grid_size

    @classmethod
    def hiera_b_plus(cls, image_size: int = 768) -> Sam2Config:
        """SAM 2.1 hiera-b+ (``sam2.1_hiera_b+.yaml``) at ``image_size`` (UniPixel: 768).

        The four SAM 2.1 sizes are in `unipixel_ros.sam.presets`, which builds on this module.
        """
        from unipixel_ros.sam.presets import Sam2Size, sam2_1_config

        return sam2_1_config(Sam2Size.BASE_PLUS, image_size=image_size)

    @classmethod
    def nano(cls, image_size: int = 128) -> Sam2Config:
        """The SAM 2.1 of UniPixel-nano: ``tiny`` with twice its widths (Hiera 16, neck 64).

        Measured on the synthetic scenes (2026-11-23, CPU, 8 min of click training): click IoU
        0.82 against 0.70 for ``tiny``, at 1.2x its step time.
        """
        tiny = cls.tiny(image_size=image_size)
        return replace(
            tiny,
            trunk=replace(tiny.trunk, embed_dim=16),
            neck=replace(tiny.neck, d_model=64),
        )

    @classmethod
    def tiny(cls, image_size: int = 64) -> Sam2Config:
        """A minimal SAM 2.1 for CPU tests: every code path of b+, milliseconds per frame.

        Not SAM 2.1's hiera-t (`unipixel_ros.sam.Sam2Size.TINY`), which is 39 M parameters.

        Smaller memory windows than b+ (3 mask memories, 4 object pointers) so tests reach
        the eviction regime within a few frames.
        """
        return cls(
            image_size=image_size,
            trunk=HieraConfig(
                embed_dim=8,
                num_heads=1,
                stages=(1, 1, 2, 1),
                global_att_blocks=(3,),
                window_spec=(4, 2, 2, 1),
                window_pos_embed_bkg_spatial_size=(4, 4),
            ),
            neck=FpnNeckConfig(d_model=32),
            memory_attention=MemoryAttentionConfig(num_layers=1, dim_feedforward=64),
            memory_encoder=MemoryEncoderConfig(out_dim=16, fuser_num_layers=1),
            num_maskmem=3,
            max_obj_ptrs_in_encoder=4,
        )
