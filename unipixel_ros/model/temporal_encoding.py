"""``tem_pe``: 1-D random Fourier encoding of the frame a visual prompt was given on."""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["TemporalPositionEncoding"]


class TemporalPositionEncoding(nn.Module):
    """sin/cos of a random projection of a normalised time coordinate (C/2 -> C features).

    The projection matrix is a buffer named ``positional_encoding_gaussian_matrix`` of shape
    `(1, C/2)`; its values come from the checkpoint (they are not SAM 2.1's).

    Args:
        num_features: C/2, number of random frequencies.
    """

    positional_encoding_gaussian_matrix: torch.Tensor

    def __init__(self, *, num_features: int):
        super().__init__()
        self.register_buffer("positional_encoding_gaussian_matrix", torch.randn(1, num_features))

    def forward(self, frame_index: torch.Tensor, num_positions: int) -> torch.Tensor:
        """Encode frame indices.

        Args:
            frame_index (`torch.Tensor` of shape `(n,)`): frame of each prompt, any numeric dtype.
            num_positions: length of the axis the indices live on; index ``num_positions - 1``
                maps to 1. UniPixel passes ``2 * grid_t`` (the temporal merge is 2).

        Returns:
            `torch.Tensor` of shape `(n, 2 * num_features)`, float32 (computed in float32 always).
        """
        coords = frame_index.to(torch.float32).reshape(-1, 1) / (num_positions - 1)
        coords = 2 * coords - 1
        coords = coords @ self.positional_encoding_gaussian_matrix.to(torch.float32)
        coords = 2 * math.pi * coords
        return torch.cat([torch.sin(coords), torch.cos(coords)], dim=-1)
