"""What a nano training run does when: its stages, their shares of the steps, the learning-rate
schedule and the loss weights (``TrainSettings``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from unipixel_ros.errors import ConfigError

__all__ = ["Stage", "TrainSettings"]


class Stage(enum.Enum):
    """Training stages, in order."""

    SAM = "sam"
    REF = "ref"
    SEG = "seg"
    JOINT = "joint"


@dataclass(frozen=True, kw_only=True)
class TrainSettings:
    """How to train.

    Args:
        seed: seeds torch, the task sampler and the click positions.
        steps: optimizer steps.
        stage_fractions: share of the steps for ``SAM``, ``REF``, ``SEG`` and ``JOINT``.
        click_scenes: scenes whose clicks one step trains on (the step's scene included).
        tracking_from: share of the steps trained on clicks alone before the tracking losses
            join: trained together from the start, tracking's gradients (useless memories
            early on) keep the click masks from being learned at all.
        tracking_weight: weight of the tracking losses.
        feature_scale_weight: weight of the ``feature_scale`` penalty (see
            ``nano.training.losses``).
        learning_rate: AdamW peak learning rate (linear warm-up, cosine decay to 5 %).
        warmup_steps: warm-up length.
        weight_decay: AdamW weight decay.
        max_grad_norm: gradient clipping, applied to SAM 2.1 and to the rest separately (so
            the language losses never scale the mask gradients down).
    """

    seed: int = 0
    steps: int = 6000
    stage_fractions: tuple[float, ...] = (0.35, 0.15, 0.2, 0.3)
    click_scenes: int = 4
    tracking_from: float = 0.12
    tracking_weight: float = 1.0
    feature_scale_weight: float = 0.1
    learning_rate: float = 3e-3
    warmup_steps: int = 100
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.click_scenes < 1:
            raise ConfigError(
                f"TrainSettings needs steps >= 1 and click_scenes >= 1, got {self.steps} "
                f"and {self.click_scenes}"
            )
        shares = self.stage_fractions
        if len(shares) != len(Stage) or abs(sum(shares) - 1.0) > 1e-6 or min(shares) < 0.0:
            raise ConfigError(
                f"stage_fractions must be {len(Stage)} shares >= 0 summing to 1, got {shares}"
            )

    def stage_of(self, step: int) -> Stage:
        """The stage of optimizer step ``step`` (0-based)."""
        end = 0.0
        for stage, share in zip(Stage, self.stage_fractions, strict=True):
            end += share * self.steps
            if step < end:
                return stage
        return Stage.JOINT

    def learning_rate_factor(self, step: int) -> float:
        """Share of ``learning_rate`` at optimizer step ``step``: linear warm-up, then cosine
        decay to 5 %."""
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        progress_frac = (step - self.warmup_steps) / max(1, self.steps - self.warmup_steps)
        return 0.05 + 0.95 * 0.5 * (1.0 + np.cos(np.pi * min(1.0, progress_frac)))
