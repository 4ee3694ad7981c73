"""The `sam2` package's own construction and predictor state, for parity tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import instantiate
from PIL import Image

B_PLUS_YAML = "configs/sam2.1/sam2.1_hiera_b+.yaml"

# The tiny preset written as hydra overrides of the packaged b+ yaml, by hand, so that the
# builder is checked against an independent description of the same architecture.
TINY_HYDRA_OVERRIDES = [
    "++model._target_=sam2.sam2_video_predictor.SAM2VideoPredictor",
    "++model.image_size=64",
    "++model.image_encoder.trunk.embed_dim=8",
    "++model.image_encoder.trunk.num_heads=1",
    "++model.image_encoder.trunk.stages=[1,1,2,1]",
    "++model.image_encoder.trunk.global_att_blocks=[3]",
    "++model.image_encoder.trunk.window_spec=[4,2,2,1]",
    "++model.image_encoder.trunk.window_pos_embed_bkg_spatial_size=[4,4]",
    "++model.image_encoder.neck.d_model=32",
    "++model.image_encoder.neck.position_encoding.num_pos_feats=32",
    "++model.image_encoder.neck.backbone_channel_list=[64,32,16,8]",
    "++model.memory_attention.d_model=32",
    "++model.memory_attention.num_layers=1",
    "++model.memory_attention.layer.d_model=32",
    "++model.memory_attention.layer.dim_feedforward=64",
    "++model.memory_attention.layer.self_attention.embedding_dim=32",
    "++model.memory_attention.layer.cross_attention.embedding_dim=32",
    "++model.memory_attention.layer.cross_attention.kv_in_dim=16",
    "++model.memory_encoder.out_dim=16",
    "++model.memory_encoder.in_dim=32",
    "++model.memory_encoder.position_encoding.num_pos_feats=16",
    "++model.memory_encoder.mask_downsampler.embed_dim=32",
    "++model.memory_encoder.fuser.layer.dim=32",
    "++model.memory_encoder.fuser.num_layers=1",
    "++model.num_maskmem=3",
    "++model.max_obj_ptrs_in_encoder=4",
]


def hydra_build(overrides: list[str], *, config_name: str = B_PLUS_YAML) -> torch.nn.Module:
    """The `sam2` package's own construction path: compose a packaged yaml, instantiate."""
    if not GlobalHydra.instance().is_initialized():
        initialize_config_module("sam2", version_base="1.2")
    cfg = compose(config_name=config_name, overrides=overrides)
    return instantiate(cfg.model, _recursive_=True).eval()


def package_inference_state(
    predictor: torch.nn.Module, images: torch.Tensor, frames_dir: Path, *, height: int, width: int
) -> dict:
    """A package ``inference_state`` holding exactly ``images`` (our preprocessed frames).

    ``init_state`` only reads JPEG folders; we write placeholder JPEGs of the right size and
    then hand it our tensor, so both sides see identical inputs.
    """
    frames_dir.mkdir(parents=True, exist_ok=True)
    for t in range(images.shape[0]):
        Image.fromarray(np.zeros((height, width, 3), np.uint8)).save(frames_dir / f"{t:05d}.jpg")
    state = predictor.init_state(str(frames_dir))
    state["images"] = images
    state["cached_features"] = {}
    return state
