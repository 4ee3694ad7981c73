"""Evaluate the perception node on a bag: replay it, ask the spec's queries, record, score.

The node runs in its own process with the bag's topics remapped onto its inputs; frames go out
one by one, and on the frame a query names the replay pauses and the query is asked
(:class:`~unipixel_ros.ros.evaluation.node_run.NodeRun`; the request of each query kind is in
:mod:`~unipixel_ros.ros.evaluation.query_requests`). A click track is scored from the frame
after the click, as AddObjects returns no mask (:func:`scored_spec`).

Everything the node publishes is recorded into ``OUT/results`` (MCAP); the scores come from
:func:`evaluate_run` and the report from :func:`write_run_report`.
"""

from __future__ import annotations

from collections.abc import Callable

from unipixel_ros.evaluation.bags.bag_content import (
    frame_rate_hz,
    read_bag_content,
    read_bag_images,
)
from unipixel_ros.evaluation.bags.layout import BagTopics
from unipixel_ros.evaluation.reports.pictures import (
    AnswerEvent,
    ReplayPictures,
    strip_frames_of_tracks,
    track_pictures,
)
from unipixel_ros.evaluation.reports.run_notes import run_notes
from unipixel_ros.evaluation.reports.run_report import (
    RequestRecord,
    RunDetails,
    write_run_report,
)
from unipixel_ros.evaluation.scoring.evaluate import evaluate_run
from unipixel_ros.evaluation.scoring.queries import load_query_spec
from unipixel_ros.evaluation.scoring.run_policy import scored_spec
from unipixel_ros.model import TINY_RANDOM_MODEL
from unipixel_ros.ros.evaluation.node_run import NodeRun
from unipixel_ros.ros.evaluation.run_records import (
    BagEvaluation,
    EvaluationConfig,
    ProgressUpdate,
)

__all__ = ["evaluate_bag", "model_is_random"]


def model_is_random(model_path: str, status: dict[str, str]) -> bool:
    """Whether the node ran with random weights, from its parameter or its diagnostics."""
    return model_path == TINY_RANDOM_MODEL or status.get("random_weights") == "True"


def evaluate_bag(
    config: EvaluationConfig, *, on_progress: Callable[[ProgressUpdate], None] | None = None
) -> BagEvaluation:
    """Replay ``config.bag`` through the node, ask the spec's queries, score, write the report.

    Raises:
        BagError: the bag is missing, corrupt, or disagrees with its query spec.
        ConfigError: the spec is invalid, or the node refused its configuration (e.g. a
            missing checkpoint).
        NotReadyError: the node did not come up, or died during the run.
    """
    spec = load_query_spec(config.spec_path)
    topics = BagTopics(
        color=spec.image_topic,
        color_info=config.camera_info_topic or _sibling(spec.image_topic, "camera_info"),
        ground_truth=spec.ground_truth_topic,
    )
    content = read_bag_content(config.bag, spec, topics)
    run = NodeRun(
        config=config,
        spec=spec,
        topics=topics,
        gif_indices=content.gif_indices,
        on_progress=on_progress,
    )
    outcome = run.run()
    description = outcome.status.get("model", "")
    random = model_is_random(config.model_path, outcome.status)
    scored = scored_spec(spec)
    result = evaluate_run(
        spec=scored,
        truths=content.truths,
        predictions=outcome.predictions,
        latencies_s=outcome.latencies_s,
        frames_sent=outcome.frames_sent,
        bag=str(config.bag),
        model=config.model_path,
        model_is_random=random,
    )
    details = RunDetails(
        model_path=config.model_path,
        model_description=description or "unknown (no diagnostics received)",
        rate=config.rate,
        result_bag=outcome.result_bag,
        requests=outcome.requests,
        node_status=outcome.status,
        duration_s=outcome.duration_s,
        notes=run_notes(rate=config.rate, random=random, spec=spec, truths=content.truths),
    )
    images = dict(zip(content.gif_indices, content.gif_rgb, strict=True))
    strip_frames = strip_frames_of_tracks(
        spec=scored, predictions=outcome.predictions, truths=content.truths
    )
    images.update(read_bag_images(config.bag, spec, topics, strip_frames - set(images)))
    asked = {query.query_id: query.frame_index for query in spec.queries}
    pictures = ReplayPictures(
        frame_indices=content.gif_indices,
        rgb=content.gif_rgb,
        objects=outcome.gif_objects,
        stamps_ns=spec.stamps_ns,
        answers=[_answer_event(record, asked[record.query_id]) for record in outcome.requests],
        tracks=track_pictures(
            spec=scored,
            scores=result.queries,
            predictions=outcome.predictions,
            truths=content.truths,
            images=images,
        ),
        frame_rate_hz=frame_rate_hz(spec.stamps_ns) / content.gif_stride,
        random_weights=random,
    )
    files = write_run_report(result, details, config.out_dir, pictures=pictures)
    return BagEvaluation(result=result, details=details, files=files, node_log=outcome.node_log)


def _answer_event(record: RequestRecord, asked_frame: int) -> AnswerEvent:
    """A request for the GIF: answered on its answer's frame (the asked one when unknown)."""
    answered = record.frame_index if record.frame_index is not None else asked_frame
    return AnswerEvent(
        query_id=record.query_id,
        asked_frame=asked_frame,
        answered_frame=answered if record.success else None,
        text=record.answer,
    )


def _sibling(topic: str, name: str) -> str:
    parent = topic.rsplit("/", 1)[0]
    return f"{parent}/{name}"
