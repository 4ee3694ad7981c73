"""Write a nano checkpoint in the released full-model layout (read by ``load_unipixel``).

Files: ``config.json`` (``pixel_qwen2_5_vl``), ``model.safetensors`` (transformers 4.53 key
layout, ``lm_head.weight`` left out because the embeddings are tied, as in UniPixel-3B),
``tokenizer.json``, ``predictor_settings.json`` (nano's frame and token settings, which
``UniPixelPredictor.from_pretrained`` reads) and ``training.json`` (how the weights were made).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from safetensors.torch import save_file

from unipixel_ros.errors import CheckpointError
from unipixel_ros.model import QwenTokenizer, UniPixelModel, to_legacy_key
from unipixel_ros.nano.architecture import nano_settings
from unipixel_ros.nano.training.loop import TrainReport

__all__ = ["NANO_CHECKPOINT_DIR", "TRAINING_FILE", "save_nano_checkpoint"]

#: The checkpoint shipped inside the package.
NANO_CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoint"
TRAINING_FILE = "training.json"


def save_nano_checkpoint(
    model: UniPixelModel,
    tokenizer: QwenTokenizer,
    out_dir: str | Path,
    *,
    report: TrainReport | None = None,
    extra: dict[str, object] | None = None,
) -> Path:
    """Write ``model`` and ``tokenizer`` to ``out_dir`` (created if needed).

    Args:
        model: a float32 nano model.
        tokenizer: its tokenizer.
        out_dir: target directory.
        report: the training report, recorded in ``training.json``.
        extra: further JSON-compatible facts for ``training.json`` (e.g. scene seeds).

    Returns:
        ``out_dir`` as a ``Path``.
    """
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    state = {
        to_legacy_key(key): value.detach().to("cpu").contiguous().clone()
        for key, value in model.state_dict().items()
    }
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    try:
        save_file(state, str(directory / "model.safetensors"))
    except (OSError, ValueError) as err:
        raise CheckpointError(f"cannot write model.safetensors in {directory}: {err}") from err
    config = model.config.to_dict()
    (directory / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    tokenizer.save(directory / "tokenizer.json")
    nano_settings().save(directory)
    facts: dict[str, object] = dict(extra or {})
    if report is not None:
        facts["report"] = {
            "settings": asdict(report.settings),
            "device": report.device,
            "seconds": round(report.seconds, 1),
            "stage_losses": report.stage_losses,
        }
    (directory / TRAINING_FILE).write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n")
    return directory
