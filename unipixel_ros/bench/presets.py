"""Model presets for benchmarks and engine builds: real-size architectures with random weights.

``tiny`` is the CPU test model. ``3b`` and ``7b`` are the UniPixel-3B / -7B architectures
(Qwen2.5-VL-3B / -7B + SAM 2.1 hiera-b+ at 768 px) built from their configurations with random
weights, so nothing is downloaded. Any preset can swap its SAM 2.1 for one of the four sizes
(`Sam2Size`), at the preset's image size. Their time per stage depends on shapes only, not on the
weights (greedy decoding is forced to a fixed length by the benchmark).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path

import torch

from unipixel_ros.errors import ConfigError
from unipixel_ros.model import (
    PixelQwen2_5_VLConfig,
    QwenVideoSpec,
    UniPixelModel,
    build_tiny_tokenizer,
    build_unipixel,
    default_dtype,
    tiny_config,
)
from unipixel_ros.model.builder import set_object_score_bias
from unipixel_ros.sam import SAM2_1_CONFIG_NAMES, Sam2Size

__all__ = ["BenchModel", "BenchPreset", "build_bench_model", "preset_config"]

_REFERENCE_CONFIGS = Path(__file__).resolve().parents[1] / "model" / "reference_configs"

#: Object-score bias that makes random SAM 2.1 weights report objects as present, so masks,
#: pointers and memories take their usual path.
PRESENT_OBJECT_BIAS = 3.0


class BenchPreset(enum.Enum):
    """Which architecture to build."""

    TINY = "tiny"
    UNIPIXEL_3B = "3b"
    UNIPIXEL_7B = "7b"


@dataclass(frozen=True)
class BenchModel:
    """A model built for a benchmark.

    Args:
        model: UniPixel on the requested device, eval mode; Qwen in ``llm_dtype``, SAM 2.1 in
            float32.
        video: Qwen frame sampling and pixel budget for this preset.
        description: one line naming the architecture and dtype.
    """

    model: UniPixelModel
    video: QwenVideoSpec
    description: str


def preset_config(preset: BenchPreset, *, config_path: Path | None = None) -> PixelQwen2_5_VLConfig:
    """The configuration of a preset.

    Args:
        preset: the architecture.
        config_path: a UniPixel ``config.json`` for ``3b`` / ``7b``; default: the
            reconstructions shipped in ``unipixel_ros/model/reference_configs/``.

    Raises:
        ConfigError: no configuration file found, or it is not a UniPixel configuration.
    """
    if preset is BenchPreset.TINY:
        return tiny_config(build_tiny_tokenizer())
    path = config_path or _REFERENCE_CONFIGS / f"unipixel_{preset.value}_config.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise ConfigError(
            f"no configuration for preset {preset.value} at {path}; pass --model-config with a "
            "UniPixel config.json"
        ) from err
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path} is not valid JSON: {err}") from err
    if data.get("model_type") != PixelQwen2_5_VLConfig.model_type:
        raise ConfigError(
            f"{path} has model_type {data.get('model_type')!r}, expected "
            f"{PixelQwen2_5_VLConfig.model_type!r}"
        )
    return PixelQwen2_5_VLConfig.from_dict(data)


def build_bench_model(
    preset: BenchPreset,
    *,
    device: torch.device,
    seed: int = 0,
    config_path: Path | None = None,
    sam2: Sam2Size | None = None,
) -> BenchModel:
    """Build ``preset`` with random weights directly on ``device``.

    The LLM runs in the loader's dtype (bf16 on CUDA, float32 on CPU), SAM 2.1 in float32, as
    ``load_unipixel`` sets them.

    Args:
        sam2: the SAM 2.1 size to build instead of the preset's own (b+ for ``3b`` / ``7b``,
            the test SAM 2.1 for ``tiny``), at the preset's ``sam2_image_size``.
    """
    config = preset_config(preset, config_path=config_path)
    if sam2 is not None:
        config.sam2_config = sam2.config_name
    torch.manual_seed(seed)
    with torch.device(device):
        model = build_unipixel(config)
    dtype = default_dtype(device)
    model.cast_parameters(dtype)
    set_object_score_bias(model.sam2, PRESENT_OBJECT_BIAS)
    model.eval()
    if preset is BenchPreset.TINY:
        video = QwenVideoSpec(min_pixels=56 * 56, pixels_per_frame_budget=56 * 56)
    else:
        video = QwenVideoSpec()
    params = sum(p.numel() for p in model.parameters())
    count = f"{params / 1e9:.2f} B" if params >= 1e9 else f"{params / 1e6:.1f} M"
    sam = model.sam2.config
    size = SAM2_1_CONFIG_NAMES.get(str(config.sam2_config))
    sam_name = size.value if size is not None else config.sam2_config
    description = (
        f"UniPixel {preset.value} architecture, random weights ({count} parameters), "
        f"LLM {str(dtype).removeprefix('torch.')}, SAM 2.1 {sam_name} at {sam.image_size}px "
        "float32"
    )
    return BenchModel(model=model, video=video, description=description)
