"""``train_nano``: render the training scenes, train nano in stages, write the checkpoint.

The CLI command ``unipixel-ros train-nano`` is a thin call of ``train_nano``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from unipixel_ros.errors import ConfigError
from unipixel_ros.model import build_unipixel
from unipixel_ros.nano.architecture import build_nano_tokenizer, nano_config
from unipixel_ros.nano.checkpoint import save_nano_checkpoint
from unipixel_ros.nano.dataset import (
    DEFAULT_CACHE_DIR,
    TRAIN_SEEDS,
    load_or_render_scenes,
    scene_config,
)
from unipixel_ros.nano.training.loop import TrainReport, train_model
from unipixel_ros.nano.training.losses import StepLosses
from unipixel_ros.nano.training.settings import TrainSettings

__all__ = ["STEPS_PER_MINUTE", "steps_for_budget", "train_nano"]

logger = logging.getLogger(__name__)

#: Optimizer steps per minute of budget, averaged over the stages with two threads on the
#: 2-core dev VM (2026-11-23: 0.39 s per SAM step, 0.47-0.61 s per language step). CUDA is a
#: guess (no GPU was available to measure it). The schedule depends on the step count only,
#: so a run is reproducible for a given budget and device type.
STEPS_PER_MINUTE = {"cpu": 118, "cuda": 600}


def steps_for_budget(minutes_budget: float, device: torch.device) -> int:
    """Optimizer steps that fit ``minutes_budget`` minutes of training on ``device``."""
    if minutes_budget <= 0:
        raise ConfigError(f"minutes_budget must be > 0, got {minutes_budget}")
    rate = STEPS_PER_MINUTE.get(device.type)
    if rate is None:
        raise ConfigError(
            f"no step rate for device type {device.type!r}; known: {STEPS_PER_MINUTE}"
        )
    return max(1, int(minutes_budget * rate))


def train_nano(
    out_dir: str | Path,
    *,
    seed: int = 0,
    minutes_budget: float = 36.0,
    device: str | torch.device | None = None,
    scene_seeds: range = TRAIN_SEEDS,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    progress: bool = True,
) -> TrainReport:
    """Train UniPixel-nano and write its checkpoint to ``out_dir``.

    Args:
        out_dir: checkpoint directory (``config.json``, ``model.safetensors``,
            ``tokenizer.json``, ``training.json``); also written at the end of every stage, so
            an interrupted run leaves the last finished stage behind.
        seed: seeds the weights, the task sampler and the clicks; same seed, budget and device
            type give the same weights.
        minutes_budget: training minutes (turned into a step count with ``STEPS_PER_MINUTE``);
            rendering the scenes the first time comes on top (about 7 min for 2000 scenes on
            the dev VM), so the default run takes about 43 min there.
        device: "cpu", "cuda", ...; CUDA when available by default.
        scene_seeds: generator seeds of the training scenes.
        cache_dir: where rendered scenes are cached.
        progress: tqdm bars for rendering and training.
    """
    target = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    settings = TrainSettings(seed=seed, steps=steps_for_budget(minutes_budget, target))
    config = scene_config()
    arrays = load_or_render_scenes(
        scene_seeds, config=config, cache_dir=cache_dir, progress=progress
    )
    tokenizer = build_nano_tokenizer()
    torch.manual_seed(seed)
    model = build_unipixel(nano_config(tokenizer)).to(target)
    facts: dict[str, object] = {
        "train_scene_seeds": [scene_seeds.start, scene_seeds.stop],
        "scene_size": [config.width, config.height],
        "scene_frames": config.frame_count,
        "minutes_budget": minutes_budget,
    }

    def save_at_stage_end(step: int, _losses: StepLosses) -> None:
        stage = settings.stage_of(step)
        if step + 1 < settings.steps and settings.stage_of(step + 1) is not stage:
            save_nano_checkpoint(
                model, tokenizer, out_dir, extra={**facts, "finished_stage": stage.value}
            )
            logger.info("stage %s finished: checkpoint written to %s", stage.value, out_dir)

    report = train_model(
        model,
        tokenizer,
        arrays,
        settings=settings,
        num_frames=config.frame_count,
        progress=progress,
        on_step=save_at_stage_end,
    )
    save_nano_checkpoint(model, tokenizer, out_dir, report=report, extra=facts)
    logger.info("nano checkpoint written to %s", out_dir)
    return report
