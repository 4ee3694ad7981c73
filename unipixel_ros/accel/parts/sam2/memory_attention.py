"""SAM 2.1 memory attention part (real-valued RoPE), with its TensorRT shape profile.

Notation (N, S, G, C, Cm, K) as in :mod:`unipixel_ros.accel.parts.sam2.limits`.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812
from sam2.modeling.sam2_base import SAM2Base
from torch import nn

from unipixel_ros.accel.engines.key import ShapeProfile, TensorShapeRange
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits, check_exportable, feature_grid
from unipixel_ros.errors import ConfigError

__all__ = ["Sam2MemoryAttentionPart", "memory_attention_part"]


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
        key_mask (`(N, T*G*G + P)`, bool, optional): which memory tokens each object attends to
            (False: padding, its attention logit is -inf), spatial tokens first. None attends
            to all; used by the padded tracking step (`Sam2TrackingStep`).

    Outputs:
        conditioned_features (`(N, C, G, G)`, float32): input for the decoder part.

    Args:
        model: a SAM 2.1 model; its ``memory_attention`` is used.
    """

    rope_cos: torch.Tensor
    rope_sin: torch.Tensor

    def __init__(self, *, model: SAM2Base) -> None:
        super().__init__()
        check_exportable(model)
        attention = model.memory_attention
        self.layers = attention.layers
        self.norm = attention.norm
        self.pos_enc_at_input = attention.pos_enc_at_input
        grid = feature_grid(model)
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
        key_mask: torch.Tensor | None = None,
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
        mask = None if key_mask is None else key_mask[:, None, None, :]
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
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
        key_mask: torch.Tensor | None = None,
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
                key_mask,
            )
            normed = layer.norm3(output)
            output = output + layer.linear2(layer.activation(layer.linear1(normed)))
        output = self.norm(output)
        grid = self.grid
        return (output.transpose(1, 2).reshape(num_objects, -1, grid, grid),)


def memory_attention_part(
    model: SAM2Base,
    *,
    limits: Sam2PartLimits,
    example_objects: int = 1,
    example_memory_frames: int = 1,
    example_pointers: int = 1,
) -> AcceleratedPart:
    """The memory attention (dynamic N, memory frames T and pointer tokens P) as a part."""
    grid = feature_grid(model)
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

    def memory_range(name: str, unit: int, max_units: int) -> TensorShapeRange:
        """N objects by 1..``max_units`` blocks of ``unit`` tokens (frames or pointers)."""
        return TensorShapeRange(
            name=name,
            min=(1, unit, mem),
            opt=(limits.opt_objects, max_units * unit, mem),
            max=(limits.max_objects, max_units * unit, mem),
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
                memory_range("spatial_memory", tokens, limits.max_memory_frames),
                memory_range("spatial_memory_pos", tokens, limits.max_memory_frames),
                memory_range("pointer_memory", split, limits.max_object_pointers),
                memory_range("pointer_memory_pos", split, limits.max_object_pointers),
            )
        ),
        cuda_graphs=True,
    )
