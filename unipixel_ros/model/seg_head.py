"""``seg_head``: the LLM state that predicts ``<|seg|>`` -> K SAM 2.1 prompt tokens."""

from __future__ import annotations

import torch
from torch import nn
from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import Qwen2_5_VLRMSNorm

from unipixel_ros.errors import BadInputError

__all__ = ["SegHead"]


class SegHead(nn.Sequential):
    """RMSNorm(D) -> Linear(D, D) -> GELU -> Linear(D, K*C).

    The parameter names (``0.weight``, ``1.*``, ``3.*``) are those of the released checkpoints.

    Args:
        llm_dim: D, hidden size of the language model.
        sam_dim: C, width of a SAM 2.1 prompt token.
        hidden_tokens: K, prompt tokens per ``<|seg|>``.
        eps: epsilon of the RMSNorm.
    """

    def __init__(self, *, llm_dim: int, sam_dim: int, hidden_tokens: int, eps: float = 1e-6):
        super().__init__(
            Qwen2_5_VLRMSNorm(llm_dim, eps=eps),
            nn.Linear(llm_dim, llm_dim),
            nn.GELU(),
            nn.Linear(llm_dim, sam_dim * hidden_tokens),
        )
        self.llm_dim = llm_dim
        self.sam_dim = sam_dim
        self.hidden_tokens = hidden_tokens

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Map LLM states to SAM 2.1 prompt tokens.

        Args:
            hidden (`torch.Tensor` of shape `(num_seg, D)`): states at the positions that predict
                ``<|seg|>``, taken BEFORE the LLM's final RMSNorm.

        Returns:
            `torch.Tensor` of shape `(num_seg, K, C)`, in the head's dtype.
        """
        if hidden.ndim != 2 or hidden.shape[1] != self.llm_dim:
            raise BadInputError(
                f"seg_head expects states of shape (num_seg, {self.llm_dim}), "
                f"got {tuple(hidden.shape)}"
            )
        tokens = super().forward(hidden)
        return tokens.view(hidden.shape[0], self.hidden_tokens, self.sam_dim)
