"""Build SAM 2.1 from a `Sam2Config` in Python (no hydra, no yaml, no global state), and the
package's video predictor on a built model's weights (the reference of parity tests and
benchmarks)."""

from __future__ import annotations

import logging

import torch
from sam2.modeling.backbones.hieradet import Hiera
from sam2.modeling.backbones.image_encoder import FpnNeck, ImageEncoder
from sam2.modeling.memory_attention import MemoryAttention, MemoryAttentionLayer
from sam2.modeling.memory_encoder import Fuser, MaskDownSampler, MemoryEncoder
from sam2.modeling.position_encoding import PositionEmbeddingSine
from sam2.modeling.sam.transformer import RoPEAttention
from sam2.sam2_video_predictor import SAM2VideoPredictor
from torch import nn

from unipixel_ros.sam.checkpoint import load_sam2_state_dict
from unipixel_ros.sam.config import Sam2Config
from unipixel_ros.sam.layer_scale import ReleasedCXBlock
from unipixel_ros.sam.model import Sam2Model, sam2_base_kwargs

__all__ = ["build_package_predictor", "build_sam2"]

logger = logging.getLogger(__name__)

_SINE_TEMPERATURE = 10000


def _build_trunk(config: Sam2Config) -> Hiera:
    trunk = config.trunk
    return Hiera(
        embed_dim=trunk.embed_dim,
        num_heads=trunk.num_heads,
        drop_path_rate=trunk.drop_path_rate,
        q_pool=trunk.q_pool,
        q_stride=trunk.q_stride,
        stages=trunk.stages,
        dim_mul=trunk.dim_mul,
        head_mul=trunk.head_mul,
        window_pos_embed_bkg_spatial_size=trunk.window_pos_embed_bkg_spatial_size,
        window_spec=trunk.window_spec,
        global_att_blocks=trunk.global_att_blocks,
    )


def _build_image_encoder(config: Sam2Config, trunk: nn.Module) -> ImageEncoder:
    neck = FpnNeck(
        position_encoding=PositionEmbeddingSine(
            num_pos_feats=config.neck.d_model,
            normalize=True,
            temperature=_SINE_TEMPERATURE,
            image_size=config.image_size,
        ),
        d_model=config.neck.d_model,
        backbone_channel_list=list(config.trunk.channel_list),
        fpn_top_down_levels=list(config.neck.fpn_top_down_levels),
        fpn_interp_model=config.neck.fpn_interp_model,
    )
    return ImageEncoder(trunk=trunk, neck=neck, scalp=config.neck.scalp)


def _build_memory_attention(config: Sam2Config) -> MemoryAttention:
    attention = config.memory_attention
    hidden = config.hidden_dim
    grid = (config.feature_grid_size, config.feature_grid_size)

    def rope(**extra: object) -> RoPEAttention:
        return RoPEAttention(
            rope_theta=attention.rope_theta,
            feat_sizes=grid,
            embedding_dim=hidden,
            num_heads=attention.num_heads,
            downsample_rate=1,
            dropout=attention.dropout,
            **extra,
        )

    layer = MemoryAttentionLayer(
        activation="relu",
        cross_attention=rope(rope_k_repeat=True, kv_in_dim=config.memory_encoder.out_dim),
        d_model=hidden,
        dim_feedforward=attention.dim_feedforward,
        dropout=attention.dropout,
        pos_enc_at_attn=False,
        pos_enc_at_cross_attn_keys=True,
        pos_enc_at_cross_attn_queries=False,
        self_attention=rope(),
    )
    return MemoryAttention(
        d_model=hidden, pos_enc_at_input=True, layer=layer, num_layers=attention.num_layers
    )


def _build_memory_encoder(config: Sam2Config) -> MemoryEncoder:
    encoder = config.memory_encoder
    hidden = config.hidden_dim
    block = ReleasedCXBlock(
        dim=hidden,
        kernel_size=encoder.fuser_kernel_size,
        padding=encoder.fuser_kernel_size // 2,
        layer_scale_init_value=encoder.layer_scale_init_value,
    )
    return MemoryEncoder(
        out_dim=encoder.out_dim,
        position_encoding=PositionEmbeddingSine(
            num_pos_feats=encoder.out_dim,
            normalize=True,
            temperature=_SINE_TEMPERATURE,
            image_size=config.image_size,
        ),
        mask_downsampler=MaskDownSampler(
            embed_dim=hidden, kernel_size=3, stride=2, padding=1, total_stride=16
        ),
        fuser=Fuser(layer=block, num_layers=encoder.fuser_num_layers),
        in_dim=hidden,
    )


def _materialize_rope_tables(model: nn.Module, grid: int) -> None:
    """Give every RoPE attention a real (CPU) table for the actual feature grid.

    The package computes the table at construction (on the meta device when the model is built
    there, which would then fail at the first forward) and recomputes it in the forward pass
    whenever the grid differs; a table for the real grid avoids both.
    """
    with torch.device("cpu"):
        for module in model.modules():
            if isinstance(module, RoPEAttention):
                module.freqs_cis = module.compute_cis(end_x=grid, end_y=grid)


def _build_submodules(config: Sam2Config, target: torch.device) -> dict[str, nn.Module]:
    """The three submodules `SAM2Base` receives, built on ``target``.

    Hiera computes its drop-path schedule with ``Tensor.item()``, which the meta device refuses,
    so on meta the trunk alone is built on CPU and then moved (its parameters are freed).
    """
    with torch.device(target):
        if target.type == "meta":
            with torch.device("cpu"):
                trunk = _build_trunk(config)
            trunk = trunk.to("meta")
        else:
            trunk = _build_trunk(config)
        return {
            "image_encoder": _build_image_encoder(config, trunk),
            "memory_attention": _build_memory_attention(config),
            "memory_encoder": _build_memory_encoder(config),
        }


def build_sam2(config: Sam2Config, *, device: torch.device | str | None = None) -> Sam2Model:
    """Construct SAM 2.1 from ``config`` with random weights, in eval mode.

    Load weights afterwards with `unipixel_ros.sam.load_sam2_checkpoint` (original ``.pt``) or
    `unipixel_ros.sam.sam2_state_dict_from_unipixel` (released UniPixel checkpoints).

    Args:
        config: the architecture.
        device: where to create the parameters; defaults to the current default device, so a
            build inside ``with torch.device("meta"):`` allocates nothing.

    Returns:
        A `Sam2Model` (a `sam2.modeling.sam2_base.SAM2Base`).
    """
    target = torch.device(device) if device is not None else torch.get_default_device()
    submodules = _build_submodules(config, target)
    with torch.device(target):
        model = Sam2Model(config=config, **submodules)
    _materialize_rope_tables(model, config.feature_grid_size)
    logger.debug("built SAM 2.1 at %d px on %s", config.image_size, target)
    return model.eval()


def build_package_predictor(model: Sam2Model) -> SAM2VideoPredictor:
    """The `sam2` package's video predictor with ``model``'s architecture and weights, in eval
    mode, on ``model``'s device and dtype.

    The weights are copied (loaded strictly from ``model.state_dict()``), so the predictor's
    ``inference_state`` API (``init_state``, ``add_new_points_or_box``, ``propagate_in_video``)
    runs the package's code on exactly the tensors ``model`` holds now. Its memory fuser is the
    same `ReleasedCXBlock` (the package's block under the released parameter name), so both
    state dicts have the same keys. The random initialisation it overwrites runs on a forked
    random state: the caller's random stream is left as it was.

    Raises:
        CheckpointError: the state dicts do not fit (never expected: same builder).
    """
    config = model.config
    device = model.device
    cuda_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices), torch.device(device):
        predictor = SAM2VideoPredictor(
            **_build_submodules(config, device), **sam2_base_kwargs(config)
        )
    _materialize_rope_tables(predictor, config.feature_grid_size)
    load_sam2_state_dict(predictor, model.state_dict(), source="the Sam2Model it mirrors")
    dtype = model.sam_prompt_encoder.no_mask_embed.weight.dtype
    return predictor.to(dtype=dtype).eval()
