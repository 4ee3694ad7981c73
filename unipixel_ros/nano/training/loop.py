"""The nano training loop: staged optimisation of UniPixel-nano on rendered synthetic scenes.

One step takes one scene (frame 0 and a window of three consecutive later frames), plus
``click_scenes - 1`` more scenes for clicks, and sums the losses of the tasks its stage runs:

* every stage: SAM 2.1's clicks and tracking (``sam_tasks``) and the ``feature_scale`` penalty
  (``losses``);
* stage ``SAM`` (the SAM 2.1 pre-training UniPixel starts from): only those.
* stages ``REF``, ``SEG`` and ``JOINT``: the language tasks of ``language_tasks`` as well.

Training starts from ``init.prepare_for_training``. Everything is trained in float32; the step
count (not the wall clock) decides the schedule (``settings``), so a run is deterministic given
its seed and device.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from unipixel_ros.model import QwenTokenizer, UniPixelModel, prepare_qwen_video
from unipixel_ros.nano.architecture import NANO_VIDEO
from unipixel_ros.nano.dataset import WINDOW, SceneArrays
from unipixel_ros.nano.training.init import prepare_for_training
from unipixel_ros.nano.training.language_tasks import LanguageScene, LanguageTasks
from unipixel_ros.nano.training.losses import StepLosses, feature_scale_excess
from unipixel_ros.nano.training.sam_tasks import SamTasks
from unipixel_ros.nano.training.settings import Stage, TrainSettings
from unipixel_ros.sam import preprocess_frames

__all__ = ["TrainReport", "train_model"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class TrainReport:
    """What a run did.

    Attributes:
        settings: the settings it ran with.
        device: where it ran.
        seconds: wall time of the optimisation loop.
        stage_losses: per stage, the mean of each loss term over the stage's last 200 steps.
    """

    settings: TrainSettings
    device: str
    seconds: float
    stage_losses: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class _StepRunner:
    """Builds the losses of one training step (see the module docstring).

    Args:
        model: the model in training.
        arrays: rendered training scenes.
        rng: the run's task sampler (shared with the tasks).
        sam_tasks: SAM 2.1's tasks.
        language_tasks: the language tasks.
        tracking_weight: weight of the tracking losses.
        feature_scale_weight: weight of the ``feature_scale`` penalty.
    """

    model: UniPixelModel
    arrays: SceneArrays
    rng: np.random.Generator
    sam_tasks: SamTasks
    language_tasks: LanguageTasks
    tracking_weight: float
    feature_scale_weight: float

    def losses(
        self, scene: int, stage: Stage, click_scenes: list[int], *, tracking: bool = True
    ) -> StepLosses:
        arrays = self.arrays
        rgb, labels = arrays.rgb[scene], arrays.labels[scene]
        sam = self.model.sam2
        images = preprocess_frames(rgb, image_size=sam.image_size, device=self.model.device)
        features = sam.encode_images(images)
        object_ids = [j + 1 for j in arrays.object_slots(scene) if (labels[0] == j + 1).any()]
        terms: dict[str, torch.Tensor] = {}
        frame_numbers = [int(i) for i in arrays.frame_indices[scene]]
        if tracking:
            tracked = self.sam_tasks.track_losses(features, labels, object_ids, frame_numbers)
            terms.update({name: self.tracking_weight * loss for name, loss in tracked.items()})
        terms["click"] = self.sam_tasks.click_loss(scene, features, click_scenes)
        terms["feature_scale"] = self.feature_scale_weight * feature_scale_excess(features)
        if stage is Stage.SAM:
            return StepLosses(terms=terms)
        second = int(self.rng.integers(WINDOW + 1))
        video = prepare_qwen_video([rgb[0], rgb[second]], spec=NANO_VIDEO)
        vision = self.model.encode_video(video.pixel_values, video.grid_thw)
        view = LanguageScene(scene, video, vision)
        run_ref = stage is Stage.REF or stage is Stage.JOINT or self.rng.random() < 0.5
        language = self.language_tasks
        if run_ref:
            terms["ref_lm"] = language.ref_loss(view, labels[0], object_ids)
        if stage is not Stage.REF:
            terms.update(language.seg_losses(view, features[0], labels[0]))
        if stage is Stage.JOINT:
            terms["mem_lm"] = language.memory_loss(view, labels[[0, second]], object_ids)
        return StepLosses(terms=terms)


def train_model(
    model: UniPixelModel,
    tokenizer: QwenTokenizer,
    arrays: SceneArrays,
    *,
    settings: TrainSettings,
    num_frames: int,
    progress: bool = True,
    on_step: Callable[[int, StepLosses], None] | None = None,
) -> TrainReport:
    """Train ``model`` in place on ``arrays``.

    Args:
        model: a freshly built nano model (float32) on the training device.
        tokenizer: its tokenizer.
        arrays: rendered training scenes.
        settings: schedule and seed.
        num_frames: length of the scenes the window frames come from (SAM 2.1's temporal
            encodings of object pointers depend on it).
        progress: show a tqdm bar with the running loss.
        on_step: called after every optimizer step (e.g. by tests).
    """
    from tqdm import tqdm

    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    prepare_for_training(model, seed=settings.seed)
    model.train()
    sam_tasks = SamTasks(
        sam=model.sam2, arrays=arrays, rng=rng, num_frames=num_frames, device=model.device
    )
    runner = _StepRunner(
        model=model,
        arrays=arrays,
        rng=rng,
        sam_tasks=sam_tasks,
        language_tasks=LanguageTasks(
            model=model, tokenizer=tokenizer, arrays=arrays, rng=rng, sam_tasks=sam_tasks
        ),
        tracking_weight=settings.tracking_weight,
        feature_scale_weight=settings.feature_scale_weight,
    )
    sam_parameters = [p for p in model.sam2.parameters() if p.requires_grad]
    sam_ids = {id(p) for p in sam_parameters}
    other_parameters = [p for p in model.parameters() if p.requires_grad and id(p) not in sam_ids]
    optimizer = torch.optim.AdamW(
        [{"params": sam_parameters}, {"params": other_parameters}],
        lr=settings.learning_rate,
        weight_decay=settings.weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, settings.learning_rate_factor)
    history: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    running = None
    start = time.monotonic()
    bar = tqdm(range(settings.steps), desc="train-nano", disable=not progress)
    for step in bar:
        stage = settings.stage_of(step)
        scene = int(rng.integers(len(arrays)))
        click_scenes = [int(s) for s in rng.integers(len(arrays), size=settings.click_scenes - 1)]
        tracking = step >= settings.tracking_from * settings.steps
        losses = runner.losses(scene, stage, click_scenes, tracking=tracking)
        total = losses.total()
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        for group in optimizer.param_groups:
            nn.utils.clip_grad_norm_(group["params"], settings.max_grad_norm)
        optimizer.step()
        scheduler.step()
        value = float(total.detach())
        running = value if running is None else 0.98 * running + 0.02 * value
        for name, term in losses.terms.items():
            history[stage.value][name].append(float(term.detach()))
        bar.set_postfix(loss=f"{running:.3f}", stage=stage.value)
        if on_step is not None:
            on_step(step, losses)
    seconds = time.monotonic() - start
    model.eval()
    stage_losses = {
        stage: {name: float(np.mean(values[-200:])) for name, values in terms.items()}
        for stage, terms in history.items()
    }
    logger.debug("trained %d steps in %.0f s", settings.steps, seconds)
    return TrainReport(
        settings=settings, device=str(model.device), seconds=seconds, stage_losses=stage_losses
    )
