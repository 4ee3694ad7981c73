"""`LivePerception` with the compiled tracking step (what the node's ``backend: compile``
gives its trackers) tracks like eager: over 60 frames of two moving objects on the tiny model,
each object's masks at frame size overlap the eager ones with IoU >= 0.999. Slow: the two
buckets it needs (1 and 2 objects) compile on first use, about 15 s each on a 2-core CPU."""

from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.accel.parts.tracking_step import resolve_tracking_step
from unipixel_ros.model import UniPixelPredictor
from unipixel_ros.perception import LivePerception, PerceptionConfig
from unipixel_ros.perception.records import ObjectPromptSpec
from unipixel_ros.tracking import TrackerConfig

FRAMES, HEIGHT, WIDTH = 60, 96, 128
MIN_IOU = 0.999


def _frame(t: int) -> np.ndarray:
    """A red square and a blue disc drifting over a grey table."""
    rgb = np.full((HEIGHT, WIDTH, 3), 100, dtype=np.uint8)
    x = 20 + t // 2
    rgb[30:60, x : x + 30] = (220, 40, 40)
    yy, xx = np.mgrid[:HEIGHT, :WIDTH]
    rgb[(yy - 60) ** 2 + (xx - (100 - t // 3)) ** 2 < 150] = (40, 60, 220)
    return rgb


@pytest.mark.slow
def test_compiled_tracking_step_gives_the_eager_masks_over_60_frames() -> None:
    predictor = UniPixelPredictor.tiny(seed=0)
    config = PerceptionConfig(tracker=TrackerConfig(max_objects=2))
    choice = resolve_tracking_step("compile", model=predictor.model.sam2, max_objects=2)
    if choice.step is None:
        pytest.skip(choice.reason)
    eager = LivePerception(predictor=predictor, config=config)
    compiled = LivePerception(predictor=predictor, config=config, tracking_step=choice.step)
    prompts = {
        0: ObjectPromptSpec(label="square", points=((35.0, 45.0),), point_labels=(1,)),
        4: ObjectPromptSpec(label="disc", points=((99.0, 60.0),), point_labels=(1,)),
    }
    inter: dict[str, int] = {}
    union: dict[str, int] = {}
    for t in range(FRAMES):
        stamp = 1_000 + t
        outputs = [p.push_frame("", _frame(t), stamp) for p in (eager, compiled)]
        if t in prompts:
            for perception in (eager, compiled):
                perception.add_objects([prompts[t]])
        theirs, ours = ({o.label: o.mask for o in out.objects} for out in outputs)
        assert ours.keys() == theirs.keys()
        for label in ours:
            inter[label] = inter.get(label, 0) + int((ours[label] & theirs[label]).sum())
            union[label] = union.get(label, 0) + int((ours[label] | theirs[label]).sum())
    assert set(union) == {"square", "disc"} and all(union.values()), union
    ious = {label: inter[label] / union[label] for label in union}
    assert all(iou >= MIN_IOU for iou in ious.values()), ious
