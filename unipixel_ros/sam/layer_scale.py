"""The memory-fuser ConvNeXt block under the released UniPixel parameter name.

The `sam2` package's `CXBlock` calls its layer-scale vector ``gamma``; the UniPixel checkpoints
(saved through transformers, which rewrote ``gamma`` to ``weight``) call it ``weight``. This
subclass only renames the parameter, so released checkpoints load without a key map; an original
SAM 2.1 ``.pt`` goes through `unipixel_ros.sam.checkpoint`, the one place that renames keys.
"""

from __future__ import annotations

import torch
from sam2.modeling.memory_encoder import CXBlock

__all__ = ["ReleasedCXBlock"]


class ReleasedCXBlock(CXBlock):
    """`CXBlock` whose layer scale is the parameter ``weight`` (shape `(dim,)`).

    Args:
        dim: channels.
        kernel_size: depth-wise kernel size.
        padding: depth-wise padding.
        layer_scale_init_value: initial layer scale; must be > 0 (SAM 2.1 uses 1e-6).
        use_dwconv: depth-wise (True) or dense first convolution.
    """

    def __init__(
        self,
        *,
        dim: int,
        kernel_size: int,
        padding: int,
        layer_scale_init_value: float,
        use_dwconv: bool = True,
    ) -> None:
        super().__init__(
            dim,
            kernel_size=kernel_size,
            padding=padding,
            layer_scale_init_value=layer_scale_init_value,
            use_dwconv=use_dwconv,
        )
        layer_scale = self.gamma
        del self.gamma
        self.weight = layer_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual ConvNeXt block on `(batch, dim, height, width)` float features."""
        y = self.norm(self.dwconv(x)).permute(0, 2, 3, 1)
        y = self.weight * self.pwconv2(self.act(self.pwconv1(y)))
        return x + self.drop_path(y.permute(0, 3, 1, 2))
