"""Score a nano checkpoint on held-out synthetic scenes, straight through ``UniPixelPredictor``.

For every scene (``generate_scene`` with a held-out seed) and its query spec:

* language queries ("Please segment the white bowl.", the spec's text ``track`` queries):
  ``predictor.segment`` on all frames, J&F of the first track over every frame;
* clicks (the spec's suggested click per object, frame 0): SAM 2.1 point prompts, all objects
  in one ``track_clip`` over every frame; IoU on frame 0 ("click masks") and J&F over every
  frame ("tracking");
* "Which cup is graspable?": ``predictor.segment`` on frame 0; right when the objects the mask
  covers (``instances_covered``) are exactly the graspable cups;
* region questions (the spec's ``choice`` queries: colour, kind, handle): ``predictor.describe``
  with ``"[0] <|ref|>"`` and the suggested click, on frames 0 and T-1;
* memory QA: the same questions through ``answer_with_memory`` with the true masks of frames
  0 and T-1 (``"[0]"`` names the object).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from unipixel_ros.evaluation.scoring import (
    QueryKind,
    chosen_option,
    ids_correct,
    instances_covered,
    region_similarity,
    track_scores,
)
from unipixel_ros.model import REF_TOKEN, UniPixelPredictor, VisualPrompt
from unipixel_ros.sam import PointPrompt, preprocess_frames, to_model_coordinates
from unipixel_ros.synthetic import (
    GRASPABLE_CUP_QUESTION,
    REGION_PLACEHOLDER,
    SceneConfig,
    generate_scene,
)
from unipixel_ros.tracking import ClipStart, track_clip

__all__ = ["NanoScores", "evaluate_nano", "report_figures"]


def report_figures(report: dict) -> dict[str, list[float]]:
    """Issue 9's acceptance figures from one ``report.json`` of ``unipixel-ros eval``.

    - ``text_jf``: J&F of the ``refer_*`` tracks ("Please segment the blue box.");
    - ``click_iou``: J of each ``click_*`` track on its first scored frame, the frame after the
      click (AddObjects returns no mask, so this is the first mask the node publishes);
    - ``graspable``: 1.0 or 0.0, whether "Which cup is graspable?" named exactly the right cups;
    - ``track_jf``: J&F of the ``click_*`` tracks over every frame after the click.
    """
    figures: dict[str, list[float]] = {
        "text_jf": [],
        "click_iou": [],
        "graspable": [],
        "track_jf": [],
    }
    for query in report["queries"]:
        query_id = query["query_id"]
        if query_id == "graspable_cup":
            figures["graspable"].append(float(bool(query["correct"])))
        elif query_id.startswith("refer_") and query["jf_mean"] is not None:
            figures["text_jf"].append(query["jf_mean"])
        elif query_id.startswith("click_") and query["jf_mean"] is not None:
            figures["click_iou"].append(query["j_per_frame"][0])
            figures["track_jf"].append(query["jf_mean"])
    return figures


@dataclass(frozen=True, kw_only=True)
class NanoScores:
    """Mean scores over the evaluated scenes (fractions in [0, 1]).

    Attributes:
        scenes: scenes evaluated.
        frames: frames per scene.
        text_jf: J&F of language-query tracks.
        click_iou: IoU of click masks on the clicked frame.
        track_jf: J&F of click-started tracks over all frames.
        graspable_accuracy: share of scenes where "Which cup is graspable?" is exactly right.
        region_accuracy: share of colour / kind / handle questions answered right via
            ``<|ref|>``.
        memory_accuracy: the same questions via ``<|mem|>``.
        seconds: wall time of the evaluation.
    """

    scenes: int
    frames: int
    text_jf: float
    click_iou: float
    track_jf: float
    graspable_accuracy: float
    region_accuracy: float
    memory_accuracy: float
    seconds: float

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _clicks_and_tracks(
    predictor: UniPixelPredictor,
    frames: np.ndarray,
    truths: dict[int, np.ndarray],
    clicks: dict[int, tuple[int, int]],
) -> tuple[list[float], list[float]]:
    """Frame-0 IoU and J&F of every object tracked from its click."""
    sam = predictor.model.sam2
    ids = sorted(clicks)
    height, width = frames.shape[1:3]
    xy = torch.tensor([[list(clicks[i])] for i in ids], dtype=torch.float32) + 0.5
    coords = to_model_coordinates(
        xy, frame_height=height, frame_width=width, image_size=sam.image_size
    )
    prompt = PointPrompt(coords=coords, labels=torch.ones(len(ids), 1, dtype=torch.int32))
    with torch.inference_mode():
        images = preprocess_frames(frames, image_size=sam.image_size, device=sam.device)
        tracks = track_clip(sam, images, [ClipStart(frame_index=0, prompt=prompt)])
    masks = tracks.masks((height, width)).cpu().numpy()
    ious, jfs = [], []
    for row, object_id in enumerate(ids):
        ious.append(region_similarity(masks[row, 0], truths[object_id][0]))
        jfs.append(track_scores(list(masks[row]), list(truths[object_id])).jf_mean)
    return ious, jfs


def evaluate_nano(
    predictor: UniPixelPredictor,
    *,
    seeds: Sequence[int],
    config: SceneConfig,
    progress: bool = False,
) -> NanoScores:
    """Run every nano query type on the scenes of ``seeds`` and average the scores.

    Args:
        predictor: the model under test (nano settings, see ``nano_settings``).
        seeds: held-out scene seeds.
        config: scene settings (size, frame count).
        progress: show a tqdm bar.
    """
    from tqdm import tqdm

    start = time.monotonic()
    text_jf, click_iou, track_jf, grasp, region, memory = [], [], [], [], [], []
    for seed in tqdm(list(seeds), desc="evaluate nano", disable=not progress):
        scene = generate_scene(config=config, seed=seed)
        rendered = list(scene.frames())
        frames = np.stack([f.rgb for f in rendered])
        labels = np.stack([f.instance_labels for f in rendered])
        spec = scene.query_spec
        truths = {o.object_id: labels == o.object_id for o in spec.objects}
        ends = frames[[0, -1]]
        for query in spec.queries:
            if query.kind is QueryKind.TRACK and query.text is not None:
                answer = predictor.segment(frames, query.text)
                if answer.tracks:
                    predicted = list(answer.tracks[0].masks)
                else:
                    predicted = [np.zeros(labels.shape[1:], bool)] * len(frames)
                truth = truths[query.expected_ids[0]]
                text_jf.append(track_scores(predicted, list(truth)).jf_mean)
            elif query.kind is QueryKind.SEGMENT and query.text == GRASPABLE_CUP_QUESTION:
                answer = predictor.segment(frames[:1], query.text)
                covered: tuple[int, ...] = ()
                if answer.tracks:
                    covered = instances_covered(answer.tracks[0].masks[0], labels[0])
                grasp.append(float(ids_correct(covered, query.expected_ids)))
            elif (
                query.kind is QueryKind.CHOICE
                and query.text is not None
                and query.point_px is not None
                and query.region_id is not None
            ):
                question = query.text.replace(REGION_PLACEHOLDER, f"[0] {REF_TOKEN}")
                point = (query.point_px[0] + 0.5, query.point_px[1] + 0.5)
                described = predictor.describe(
                    ends, question, [VisualPrompt(frame_index=0, point=point)]
                )
                region.append(float(chosen_option(described.text, query.options) == query.answer))
                remembered = predictor.answer_with_memory(
                    ends,
                    query.text.replace(REGION_PLACEHOLDER, "[0]"),
                    {0: truths[query.region_id][[0, -1]]},
                )
                memory.append(float(chosen_option(remembered.text, query.options) == query.answer))
        clicks = {c.object_id: c.point_px for c in spec.clicks}
        ious, jfs = _clicks_and_tracks(predictor, frames, truths, clicks)
        click_iou += ious
        track_jf += jfs
    return NanoScores(
        scenes=len(seeds),
        frames=config.frame_count,
        text_jf=float(np.mean(text_jf)),
        click_iou=float(np.mean(click_iou)),
        track_jf=float(np.mean(track_jf)),
        graspable_accuracy=float(np.mean(grasp)),
        region_accuracy=float(np.mean(region)),
        memory_accuracy=float(np.mean(memory)),
        seconds=time.monotonic() - start,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m unipixel_ros.nano.evaluate``: score a checkpoint on held-out scenes, print
    JSON."""
    import argparse
    import json

    from unipixel_ros.nano.dataset import EVAL_SEEDS, scene_config
    from unipixel_ros.nano.predictor import load_nano_predictor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=None, help="directory (default: shipped)")
    parser.add_argument("--scenes", type=int, default=30, help="held-out scenes to score")
    parser.add_argument("--frames", type=int, default=60, help="frames per scene")
    parser.add_argument("--device", default=None, help="cpu, cuda, ...")
    args = parser.parse_args(argv)
    predictor = (
        load_nano_predictor(device=args.device)
        if args.checkpoint is None
        else load_nano_predictor(args.checkpoint, device=args.device)
    )
    scores = evaluate_nano(
        predictor,
        seeds=EVAL_SEEDS[: args.scenes],
        config=scene_config(frame_count=args.frames),
        progress=True,
    )
    print(json.dumps(scores.as_dict(), indent=2))


if __name__ == "__main__":
    main()
