"""Weight bytes of UniPixel-3B / -7B with the LLM unquantized (bf16) and int8 weight-only.

Built from the reference configurations on the meta device (shapes only, nothing allocated or
downloaded); groups as ``unipixel_ros.accel.parts.llm_weights.LlmWeightBytes``.

    python benchmarks/llm_weight_bytes.py
"""

from __future__ import annotations

import torch

from unipixel_ros.accel.parts.llm_weights import LlmWeights, llm_weight_bytes
from unipixel_ros.bench.presets import BenchPreset, preset_config
from unipixel_ros.model import build_unipixel

_GIB = 1 << 30


def main() -> None:
    print(
        f"{'model':<6} {'llm weights':<12} {'decoder linears':>16} {'llm other':>10} "
        f"{'vision':>8} {'heads+sam':>10} {'total':>8}  (GiB)"
    )
    for preset in (BenchPreset.UNIPIXEL_3B, BenchPreset.UNIPIXEL_7B):
        with torch.device("meta"):
            model = build_unipixel(preset_config(preset))
        for weights in LlmWeights:
            sizes = llm_weight_bytes(model, weights)
            print(
                f"{preset.value:<6} {weights.value:<12} {sizes.decoder_linears / _GIB:>16.2f} "
                f"{sizes.llm_other / _GIB:>10.2f} {sizes.vision_tower / _GIB:>8.2f} "
                f"{sizes.heads_and_sam / _GIB:>10.2f} {sizes.total / _GIB:>8.2f}"
            )


if __name__ == "__main__":
    main()
