"""The four SAM 2.1 sizes (tiny, small, base+, large) and the names that choose them.

Each preset equals the `sam2` package's ``configs/sam2.1/sam2.1_hiera_{t,s,b+,l}.yaml`` with
``model.image_size`` overridden, which is how UniPixel builds SAM 2.1. The four yamls differ
only in the Hiera trunk (and the FPN neck's ``backbone_channel_list``, which follows from the
trunk's width): neck, memory attention, memory encoder and every ``model:`` flag are the same.
The tiny and small yamls leave ``window_spec`` to Hiera's default (8, 4, 14, 7), as b+ does.
The reference trained from its own copies (``configs/sam2.1_hiera_X.yaml``), which add
``drop_path_rate: 0.1`` and training-only flags; neither has weights nor acts in eval mode.

A UniPixel ``config.json`` names its SAM 2.1 by the Hydra config it trained with
(``sam2_config``); `SAM2_1_CONFIG_NAMES` maps every spelling the reference resolves, and a few
more, to a size.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from unipixel_ros.sam.config import (
    FpnNeckConfig,
    HieraConfig,
    MemoryAttentionConfig,
    MemoryEncoderConfig,
    Sam2Config,
)

__all__ = ["SAM2_1_CONFIG_NAMES", "SAM2_1_TRUNKS", "Sam2Size", "sam2_1_config"]


class Sam2Size(enum.Enum):
    """A SAM 2.1 size; the value is the short name (``--sam2`` of ``unipixel-ros bench``)."""

    TINY = "tiny"
    SMALL = "small"
    BASE_PLUS = "base_plus"
    LARGE = "large"

    @property
    def letter(self) -> str:
        """The size in the yaml's name: ``t``, ``s``, ``b+`` or ``l``."""
        return _LETTERS[self]

    @property
    def config_name(self) -> str:
        """The name the reference's launch scripts write: ``configs/sam2.1_hiera_b+`` for base+."""
        return f"configs/sam2.1_hiera_{self.letter}"

    @property
    def names(self) -> tuple[str, ...]:
        """Every accepted spelling of this size, the canonical `config_name` first.

        The reference composes ``sam2_config`` with Hydra in the ``sam2`` config module, so it
        resolves ``configs/sam2.1_hiera_X`` (its training copy) and
        ``configs/sam2.1/sam2.1_hiera_X`` (the packaged yaml), each with or without ``.yaml``.
        Also accepted: the bare yaml stem, the checkpoint's stem (``sam2.1_hiera_base_plus``,
        from ``sam2.1_hiera_base_plus.pt``) and the short name.
        """
        stem = f"sam2.1_hiera_{self.letter}"
        hydra = (f"configs/{stem}", f"configs/sam2.1/{stem}", stem)
        return (
            *(name + suffix for name in hydra for suffix in ("", ".yaml")),
            f"sam2.1_hiera_{self.value}",
            self.value,
        )


_LETTERS = {
    Sam2Size.TINY: "t",
    Sam2Size.SMALL: "s",
    Sam2Size.BASE_PLUS: "b+",
    Sam2Size.LARGE: "l",
}

SAM2_1_TRUNKS: Mapping[Sam2Size, HieraConfig] = MappingProxyType(
    {
        Sam2Size.TINY: HieraConfig(
            embed_dim=96,
            num_heads=1,
            stages=(1, 2, 7, 2),
            global_att_blocks=(5, 7, 9),
            window_spec=(8, 4, 14, 7),
            window_pos_embed_bkg_spatial_size=(7, 7),
        ),
        Sam2Size.SMALL: HieraConfig(
            embed_dim=96,
            num_heads=1,
            stages=(1, 2, 11, 2),
            global_att_blocks=(7, 10, 13),
            window_spec=(8, 4, 14, 7),
            window_pos_embed_bkg_spatial_size=(7, 7),
        ),
        Sam2Size.BASE_PLUS: HieraConfig(
            embed_dim=112,
            num_heads=2,
            stages=(2, 3, 16, 3),
            global_att_blocks=(12, 16, 20),
            window_spec=(8, 4, 14, 7),
            window_pos_embed_bkg_spatial_size=(14, 14),
        ),
        Sam2Size.LARGE: HieraConfig(
            embed_dim=144,
            num_heads=2,
            stages=(2, 6, 36, 4),
            global_att_blocks=(23, 33, 43),
            window_spec=(8, 4, 16, 8),
            window_pos_embed_bkg_spatial_size=(7, 7),
        ),
    }
)
"""Hiera trunk of each size, as its yaml (with Hiera's defaults where the yaml is silent)."""

SAM2_1_CONFIG_NAMES: Mapping[str, Sam2Size] = MappingProxyType(
    {name: size for size in Sam2Size for name in size.names}
)
"""Every accepted ``sam2_config`` spelling -> its size (see `Sam2Size.names`)."""


def sam2_1_config(size: Sam2Size, *, image_size: int = 768) -> Sam2Config:
    """SAM 2.1 of ``size`` at ``image_size`` pixels (UniPixel: 768; the yamls: 1024).

    Raises:
        ConfigError: ``image_size`` does not fit the trunk (a multiple of 32 is needed).
    """
    return Sam2Config(
        image_size=image_size,
        trunk=SAM2_1_TRUNKS[size],
        neck=FpnNeckConfig(d_model=256),
        memory_attention=MemoryAttentionConfig(num_layers=4, dim_feedforward=2048),
        memory_encoder=MemoryEncoderConfig(out_dim=64),
    )
