"""Evaluate the perception node on a bag: replay it, ask the spec's queries, record, score.

The node runs in its own process (:class:`NodeProcess`) with the bag's topics remapped onto its
inputs. Frames go out one by one (:class:`FrameReplayer`); on the frame a query names, the
replay pauses and the query is asked:

* ``segment``: the Query service with ``track: false``; its masks are the answer.
* ``track`` with text: the Query service with ``track: true``; its masks on that frame, then the
  named objects' masks on ``~/masks`` for every later frame.
* ``track`` with a click: AddObjects with the click point on that frame's stamp, then the new
  object's masks on ``~/masks`` for every later frame. AddObjects returns no mask, so a click
  track is scored from the frame after the click (as the DAVIS semi-supervised protocol skips the
  prompted frame).
* ``choice``: Describe with the click point as the object's prompt and ``<region>`` replaced
  by ``[0]``; or, with ``describe_tracked``, Describe by the id of the object a click track of
  the same run created (its tracked masks become memory).

Everything the node publishes is recorded into ``OUT/results`` (MCAP) by
:class:`ResultRecorder`; the scores come from :func:`evaluate_run` and the report from
:func:`write_run_report`.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point
from unipixel_ros_interfaces.msg import ObjectPrompt
from unipixel_ros_interfaces.srv import AddObjects, Describe, Query

from unipixel_ros.errors import BagError, ConfigError, NotReadyError
from unipixel_ros.evaluation.bags.layout import QUERIES_FILE_NAME, BagTopics
from unipixel_ros.evaluation.bags.reader import read_bag_frames
from unipixel_ros.evaluation.reports.report import ReportFiles
from unipixel_ros.evaluation.reports.run_report import RequestRecord, RunDetails, write_run_report
from unipixel_ros.evaluation.scoring.evaluate import EvaluationResult, QueryPrediction, evaluate_run
from unipixel_ros.evaluation.scoring.queries import Query as SpecQuery
from unipixel_ros.evaluation.scoring.queries import QueryKind, QuerySpec, load_query_spec
from unipixel_ros.model import TINY_RANDOM_MODEL
from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.evaluation.frame_replay import FrameReplayer, PublishedFrame
from unipixel_ros.ros.evaluation.node_process import NodeProcess
from unipixel_ros.ros.evaluation.result_recorder import (
    FrameMasks,
    ResultRecorder,
    mask_from_message,
)
from unipixel_ros.stamps import ns_to_sec_nanosec, stamp_to_ns
from unipixel_ros.synthetic.scene_queries import REGION_PLACEHOLDER
from unipixel_ros.visualization.overlay import label_image

__all__ = [
    "BagEvaluation",
    "EvaluationConfig",
    "ProgressUpdate",
    "evaluate_bag",
    "model_is_random",
]

RESULT_BAG_NAME = "results"
NODE_LOG_NAME = "node.log"
# The node's status is published this often during an evaluation.
DIAGNOSTICS_PERIOD_S = 0.25
# Objects the node may track beyond those the spec's track queries create.
SPARE_OBJECTS = 4
# Longer bags show every n-th frame in overlay.gif.
MAX_GIF_FRAMES = 150


@dataclass(frozen=True, kw_only=True)
class EvaluationConfig:
    """What to evaluate and how.

    Args:
        bag: rosbag2 directory (MCAP or sqlite3) with colour images, camera_info and, for
            scores, ground-truth instance labels.
        out_dir: Folder for the report, the result bag (``results/``) and ``node.log``.
        model_path: The node's ``model_path``: a checkpoint directory, a hub id, or
            ``tiny-random`` (random weights; the report says so).
        queries: The query spec; ``BAG/queries.json`` when None.
        rate: Replay speed factor; 0 sends each frame once the node has answered the previous
            one, so no frame is dropped for lack of time.
        camera_info_topic: camera_info topic in the bag; the image topic's sibling
            ``camera_info`` when None.
        use_depth: Also replay the aligned depth (the node then publishes 3-D markers).
        describe_tracked: Ask choice questions about clicked objects by their tracked id.
        record_overlay: Also record ``~/overlay`` (the node draws it only when subscribed).
        frame_timeout_s: Longest wait for the node's output of one frame.
        start_timeout_s: Longest wait for the node to load its model and offer its services.
        request_timeout_s: Longest wait for one request's answer.
        node_parameters: Further node parameters (``-p name:=value``).
    """

    bag: Path
    out_dir: Path
    model_path: str
    queries: Path | None = None
    rate: float = 1.0
    camera_info_topic: str | None = None
    use_depth: bool = False
    describe_tracked: bool = False
    record_overlay: bool = False
    frame_timeout_s: float = 60.0
    start_timeout_s: float = 180.0
    request_timeout_s: float = 600.0
    node_parameters: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rate < 0:
            raise ConfigError(
                f"rate must be >= 0 (0 = as fast as the node takes it), got {self.rate}"
            )
        if not self.model_path:
            raise ConfigError("model_path is empty; give a checkpoint, a hub id or tiny-random")
        for name in ("frame_timeout_s", "start_timeout_s", "request_timeout_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")

    @property
    def spec_path(self) -> Path:
        """The query spec file."""
        return self.queries if self.queries is not None else self.bag / QUERIES_FILE_NAME


class ProgressUpdate(NamedTuple):
    """Where a replay stands, for a progress bar."""

    frames_sent: int
    frame_count: int
    activity: str


@dataclass(frozen=True, kw_only=True)
class BagEvaluation:
    """The outcome of :func:`evaluate_bag`.

    Args:
        result: The scores.
        details: How the run was made, and every request with its answer.
        files: The report's files.
        node_log: The node's stdout and stderr.
    """

    result: EvaluationResult
    details: RunDetails
    files: ReportFiles
    node_log: Path


def model_is_random(model_path: str, description: str) -> bool:
    """Whether the node ran with random weights, from its parameter or its own description."""
    return model_path == TINY_RANDOM_MODEL or "RANDOM" in description


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
    content = _read_bag(config.bag, spec, topics)
    run = _NodeRun(
        config=config,
        spec=spec,
        topics=topics,
        gif_indices=content.gif_indices,
        on_progress=on_progress,
    )
    outcome = run.run()
    description = outcome.status.get("model", "")
    random = model_is_random(config.model_path, description)
    result = evaluate_run(
        spec=_scored_spec(spec),
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
        notes=_notes(config, random, spec, content.truths),
    )
    files = write_run_report(
        result,
        details,
        config.out_dir,
        overlay_rgb=content.gif_rgb,
        overlay_labels=outcome.labels,
        frame_rate_hz=_frame_rate_hz(spec.stamps_ns) / content.gif_stride,
    )
    return BagEvaluation(result=result, details=details, files=files, node_log=outcome.node_log)


# ---------------------------------------------------------------------------------- the bag


@dataclass(frozen=True, kw_only=True, eq=False)
class _BagContent:
    """What scoring and the GIF need from the bag: every frame's ground truth, and the colour
    images of every ``gif_stride``-th frame only (a long bag would not fit in memory)."""

    truths: list[np.ndarray | None]
    gif_stride: int
    gif_indices: tuple[int, ...]
    gif_rgb: list[np.ndarray]


def _read_bag(bag: Path, spec: QuerySpec, topics: BagTopics) -> _BagContent:
    stride = max(1, -(-spec.frame_count // MAX_GIF_FRAMES))
    stamps: list[int] = []
    truths: list[np.ndarray | None] = []
    gif_rgb: list[np.ndarray] = []
    for frame in read_bag_frames(bag, topics=topics, fixed_frame=spec.fixed_frame or "table"):
        stamps.append(frame.stamp_ns)
        truths.append(frame.instance_labels)
        if frame.index % stride == 0:
            gif_rgb.append(frame.rgb)
    _check_stamps_match(spec, stamps, bag)
    return _BagContent(
        truths=truths,
        gif_stride=stride,
        gif_indices=tuple(range(0, len(stamps), stride)),
        gif_rgb=gif_rgb,
    )


# ---------------------------------------------------------------------------------- the run


@dataclass(frozen=True, kw_only=True, eq=False)
class _RunOutcome:
    predictions: tuple[QueryPrediction, ...]
    requests: tuple[RequestRecord, ...]
    latencies_s: tuple[float, ...]
    frames_sent: int
    labels: tuple[np.ndarray, ...]
    status: dict[str, str]
    result_bag: Path
    node_log: Path
    duration_s: float


@dataclass
class _TrackedQuery:
    """Objects a track query created: their ids, and the first frame scored from ``~/masks``."""

    object_ids: tuple[int, ...]
    first_recorded_frame: int


class _NodeRun:
    """One run of the node over the bag; :meth:`run` is called once."""

    def __init__(
        self,
        *,
        config: EvaluationConfig,
        spec: QuerySpec,
        topics: BagTopics,
        gif_indices: Sequence[int],
        on_progress: Callable[[ProgressUpdate], None] | None,
    ) -> None:
        self._config = config
        self._gif_indices = tuple(gif_indices)
        self._spec = spec
        self._topics = topics
        self._on_progress = on_progress
        self._shape = (spec.height, spec.width)
        self._client: UnipixelClient | None = None
        self._requests: list[RequestRecord] = []
        self._first_masks: dict[str, tuple[int, np.ndarray]] = {}
        self._tracked: dict[str, _TrackedQuery] = {}
        self._answers: dict[str, str] = {}
        self._clicked_objects: dict[int, int] = {}
        self._frame_of_stamp = {stamp: index for index, stamp in enumerate(spec.stamps_ns)}

    def run(self) -> _RunOutcome:
        config = self._config
        config.out_dir.mkdir(parents=True, exist_ok=True)
        result_bag = config.out_dir / RESULT_BAG_NAME
        _remove_old_result_bag(result_bag)
        log_path = config.out_dir / NODE_LOG_NAME
        started = time.monotonic()
        node = NodeProcess(
            parameters=self._node_parameters(),
            remappings=self._remappings(),
            log_path=log_path,
        )
        recorder: ResultRecorder | None = None
        replayer: FrameReplayer | None = None
        try:
            self._client = client = UnipixelClient(name="unipixel_evaluation")
            recorder = ResultRecorder(
                node=client.node, bag=result_bag, record_overlay=config.record_overlay
            )
            self._progress(0, "starting the node and loading the model")
            _wait_until_ready(client, node, log_path, timeout_s=config.start_timeout_s)
            companions = [self._topics.color_info]
            if config.use_depth:
                companions.append(self._topics.depth)
            replayer = FrameReplayer(
                node=client.node,
                bag=config.bag,
                image_topic=self._topics.color,
                companion_topics=companions,
                rate=config.rate,
            )
            replayer.wait_for_subscribers(timeout_s=config.start_timeout_s)
            published = self._replay(replayer, recorder, node, log_path)
            if published:
                recorder.wait_for_frame(published[-1].stamp_ns, timeout_s=config.frame_timeout_s)
            status = recorder.wait_for_status_after(
                time.monotonic(), timeout_s=4 * DIAGNOSTICS_PERIOD_S
            )
        finally:
            if replayer is not None:
                replayer.close()
            if recorder is not None:
                recorder.close()
            if self._client is not None:
                self._client.close()
            code = node.stop()
        if code != 0:
            raise NotReadyError(
                f"the node exited with code {code} at the end of the run; see {log_path}: "
                + _log_tail(log_path)
            )
        return _RunOutcome(
            predictions=self._predictions(recorder),
            requests=tuple(self._requests),
            latencies_s=tuple(
                frame.received_s - sent.published_s
                for sent in published
                if (frame := recorder.frame(sent.stamp_ns)) is not None
            ),
            frames_sent=len(published),
            labels=tuple(self._labels(recorder)),
            status=status,
            result_bag=result_bag,
            node_log=log_path,
            duration_s=time.monotonic() - started,
        )

    def _node_parameters(self) -> dict[str, object]:
        config = self._config
        tracks = sum(query.kind is QueryKind.TRACK for query in self._spec.queries)
        parameters: dict[str, object] = {
            "model_path": config.model_path,
            "use_depth": config.use_depth,
            "qos_reliability": "reliable",
            "diagnostics_period_s": DIAGNOSTICS_PERIOD_S,
            "request_timeout_s": config.request_timeout_s,
            "max_objects": max(16, tracks + SPARE_OBJECTS),
        }
        parameters.update(config.node_parameters)
        return parameters

    def _remappings(self) -> dict[str, str]:
        remappings = {"image": self._topics.color, "camera_info": self._topics.color_info}
        if self._config.use_depth:
            remappings["depth"] = self._topics.depth
        return remappings

    def _progress(self, frames_sent: int, activity: str) -> None:
        if self._on_progress is not None:
            self._on_progress(ProgressUpdate(frames_sent, self._spec.frame_count, activity))

    def _replay(
        self, replayer: FrameReplayer, recorder: ResultRecorder, node: NodeProcess, log: Path
    ) -> list[PublishedFrame]:
        config = self._config
        by_frame: dict[int, list[SpecQuery]] = {}
        for query in self._spec.queries:
            by_frame.setdefault(query.frame_index, []).append(query)
        published: list[PublishedFrame] = []
        for frame in replayer.frames():
            if frame.index >= self._spec.frame_count:
                break
            expected = self._spec.stamps_ns[frame.index]
            if frame.stamp_ns != expected:
                raise BagError(
                    f"image {frame.index} of {config.bag} has stamp {frame.stamp_ns}, but the "
                    f"query spec says {expected}: the spec belongs to another bag"
                )
            published.append(frame)
            queries = by_frame.get(frame.index, [])
            if config.rate == 0 or queries:
                recorder.wait_for_frame(frame.stamp_ns, timeout_s=config.frame_timeout_s)
                _check_alive(node, log)
            for query in queries:
                self._progress(frame.index + 1, f"{query.query_id}")
                self._ask(query, frame)
                _check_alive(node, log)
            if queries:
                replayer.rebase()
            self._progress(frame.index + 1, "replaying")
        return published

    # ------------------------------------------------------------------ requests

    def _ask(self, query: SpecQuery, frame: PublishedFrame) -> None:
        if query.kind is QueryKind.CHOICE:
            self._ask_choice(query, frame)
        elif query.text is not None:
            self._ask_text(query, frame, track=query.kind is QueryKind.TRACK)
        else:
            self._click(query, frame)

    def _call(self, service: str, request: Any) -> tuple[Any, float]:
        assert self._client is not None
        sent = time.monotonic()
        response = self._client.call(service, request, timeout_s=self._config.request_timeout_s)
        return response, (time.monotonic() - sent) * 1000.0

    def _ask_text(self, query: SpecQuery, frame: PublishedFrame, *, track: bool) -> None:
        text = str(query.text)
        response, round_trip = self._call("query", Query.Request(text=text, track=track))
        if not response.success:
            self._requests.append(_failed(query, "query", text, response.message, round_trip))
            return
        answer = response.answer
        index = self._frame_of_stamp.get(stamp_to_ns(answer.header.stamp))
        ids = tuple(int(obj.object_id) for obj in response.objects)
        if index is not None:
            union = np.zeros(self._shape, dtype=bool)
            for obj in response.objects:
                mask = mask_from_message(obj)
                if mask.shape == self._shape:
                    union |= mask
            self._first_masks[query.query_id] = (index, union)
        if track:
            start = frame.index if index is None else index
            self._tracked[query.query_id] = _TrackedQuery(ids, start + 1)
        self._answers[query.query_id] = answer.answer
        self._requests.append(_answered(query, "query", text, response, index, ids, round_trip))

    def _click(self, query: SpecQuery, frame: PublishedFrame) -> None:
        u, v = query.point_px  # type: ignore[misc]  # a track query without text has a point
        described = f"click ({u}, {v})"
        prompt = ObjectPrompt(label=query.query_id, points=[Point(x=float(u), y=float(v))])
        prompt.point_labels = [1]
        request = AddObjects.Request(stamp=_ros_time(frame.stamp_ns), objects=[prompt])
        response, round_trip = self._call("add_objects", request)
        if not response.success:
            self._requests.append(
                _failed(query, "add_objects", described, response.message, round_trip)
            )
            return
        ids = tuple(int(i) for i in response.object_ids)
        self._tracked[query.query_id] = _TrackedQuery(ids, frame.index + 1)
        if len(query.expected_ids) == 1 and ids:
            self._clicked_objects[query.expected_ids[0]] = ids[0]
        self._requests.append(
            RequestRecord(
                query_id=query.query_id,
                service="add_objects",
                request=described,
                success=True,
                message=response.message,
                frame_index=frame.index,
                object_ids=ids,
                round_trip_ms=round_trip,
            )
        )

    def _ask_choice(self, query: SpecQuery, frame: PublishedFrame) -> None:
        question = (query.text or "").replace(REGION_PLACEHOLDER, "[0]")
        tracked = self._clicked_objects.get(query.region_id) if query.region_id else None
        if self._config.describe_tracked and tracked is not None:
            request = Describe.Request(use_object_id=True, object_id=tracked, question=question)
            described = f"{question} ([0] = tracked object {tracked})"
        elif query.point_px is not None:
            u, v = query.point_px
            prompt = ObjectPrompt(points=[Point(x=float(u), y=float(v))])
            prompt.point_labels = [1]
            request = Describe.Request(
                stamp=_ros_time(frame.stamp_ns), prompt=prompt, question=question
            )
            described = f"{question} ([0] = click ({u}, {v}))"
        else:
            self._requests.append(
                _failed(query, "describe", question, "the spec gives no point for [0]", 0.0)
            )
            return
        response, round_trip = self._call("describe", request)
        if not response.success:
            self._requests.append(
                _failed(query, "describe", described, response.message, round_trip)
            )
            return
        answer = response.answer
        index = self._frame_of_stamp.get(stamp_to_ns(answer.header.stamp))
        self._answers[query.query_id] = answer.answer
        ids = tuple(int(i) for i in answer.object_ids)
        self._requests.append(
            _answered(query, "describe", described, response, index, ids, round_trip)
        )

    # ------------------------------------------------------------------ results

    def _recorded(self, recorder: ResultRecorder, index: int) -> FrameMasks | None:
        return recorder.frame(self._spec.stamps_ns[index])

    def _predictions(self, recorder: ResultRecorder) -> tuple[QueryPrediction, ...]:
        predictions = []
        for query in self._spec.queries:
            masks: dict[int, np.ndarray] = {}
            if query.query_id in self._first_masks:
                index, mask = self._first_masks[query.query_id]
                masks[index] = mask
            tracked = self._tracked.get(query.query_id)
            first_scored = None
            if tracked is not None:
                for index in range(tracked.first_recorded_frame, self._spec.frame_count):
                    frame = self._recorded(recorder, index)
                    if frame is not None:
                        masks[index] = frame.union(tracked.object_ids, self._shape)
                if query.query_id not in self._first_masks:
                    first_scored = tracked.first_recorded_frame
            predictions.append(
                QueryPrediction(
                    query_id=query.query_id,
                    masks=masks,
                    answer_text=self._answers.get(query.query_id),
                    first_scored_frame=first_scored,
                )
            )
        return tuple(predictions)

    def _labels(self, recorder: ResultRecorder) -> list[np.ndarray]:
        labels = []
        for index in self._gif_indices:
            frame = self._recorded(recorder, index)
            masks = {} if frame is None else {i: frame.mask(i) for i in frame.packed}
            labels.append(label_image(masks, self._shape))  # type: ignore[arg-type]
        return labels


# ---------------------------------------------------------------------------------- helpers


def _answered(
    query: SpecQuery,
    service: str,
    request: str,
    response: Any,
    index: int | None,
    ids: tuple[int, ...],
    round_trip_ms: float,
) -> RequestRecord:
    answer = response.answer
    return RequestRecord(
        query_id=query.query_id,
        service=service,
        request=request,
        success=True,
        message=response.message,
        answer=answer.answer,
        frame_index=index,
        object_ids=ids,
        total_ms=float(answer.total_ms),
        model_ms=float(answer.model_ms),
        round_trip_ms=round_trip_ms,
    )


def _failed(
    query: SpecQuery, service: str, request: str, message: str, round_trip_ms: float
) -> RequestRecord:
    return RequestRecord(
        query_id=query.query_id,
        service=service,
        request=request,
        success=False,
        message=message,
        round_trip_ms=round_trip_ms,
    )


def _ros_time(stamp_ns: int) -> Time:
    sec, nanosec = ns_to_sec_nanosec(stamp_ns)
    return Time(sec=sec, nanosec=nanosec)


def _sibling(topic: str, name: str) -> str:
    parent = topic.rsplit("/", 1)[0]
    return f"{parent}/{name}"


def _check_stamps_match(spec: QuerySpec, stamps: Sequence[int], bag: Path) -> None:
    if tuple(stamps) != spec.stamps_ns:
        raise BagError(
            f"bag {bag} has {len(stamps)} colour frames, the query spec lists "
            f"{spec.frame_count}; the first that differ: bag "
            f"{_first_difference(stamps, spec.stamps_ns)}"
        )


def _first_difference(bag: Sequence[int], spec: Sequence[int]) -> str:
    for index, (ours, theirs) in enumerate(zip(bag, spec, strict=False)):
        if ours != theirs:
            return f"frame {index}: stamp {ours} in the bag, {theirs} in the spec"
    return f"the bag has {len(bag)} frames, the spec {len(spec)}"


def _scored_spec(spec: QuerySpec) -> QuerySpec:
    """Click tracks are scored from the frame after the click (AddObjects returns no mask)."""
    queries = tuple(
        dataclasses.replace(query, frame_index=query.frame_index + 1)
        if query.kind is QueryKind.TRACK
        and query.text is None
        and query.frame_index + 1 < spec.frame_count
        else query
        for query in spec.queries
    )
    return dataclasses.replace(spec, queries=queries)


def _frame_rate_hz(stamps_ns: Sequence[int]) -> float:
    if len(stamps_ns) < 2:
        return 10.0
    step = float(np.median(np.diff(np.asarray(stamps_ns, dtype=np.int64)))) / 1e9
    return 1.0 / step if step > 0 else 10.0


def _notes(
    config: EvaluationConfig,
    random: bool,
    spec: QuerySpec,
    truths: Sequence[np.ndarray | None],
) -> tuple[str, ...]:
    notes = []
    if random:
        notes.append(
            "The weights are RANDOM: every score and answer here is meaningless; the run only "
            "shows that the pipeline works."
        )
    unlabelled = sum(truth is None for truth in truths)
    if unlabelled:
        notes.append(
            f"{unlabelled} of {len(truths)} frames have no ground truth on "
            f"{spec.ground_truth_topic}; they are left out of every mask score."
        )
    if config.rate == 0:
        notes.append(
            "Each frame was sent only after the node had published the masks of the frame "
            "before it, so a frame without output is one the node failed on, not one it had no "
            "time for."
        )
    else:
        notes.append(
            f"Frames kept their recorded spacing (x{config.rate:g}); the replay paused on each "
            "frame with queries until they were answered, then resumed."
        )
    notes += [
        "Per-frame latency: image published by the replayer to its masks received back (both "
        "on this machine, transport included).",
        "Segment queries are asked with track: false; text track queries with track: true.",
        "Click tracks are scored from the frame after the click: AddObjects returns no mask "
        "for the clicked frame.",
    ]
    return tuple(notes)


def _remove_old_result_bag(path: Path) -> None:
    """A result bag from an earlier run is replaced; anything else there is left alone."""
    if not path.exists():
        return
    if not (path / "metadata.yaml").is_file():
        raise ConfigError(f"{path} exists and is not a result bag; choose another --out")
    shutil.rmtree(path)


def _log_tail(log_path: Path, lines: int = 8) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:])


def _check_alive(node: NodeProcess, log_path: Path) -> None:
    code = node.process.poll()
    if code is not None:
        raise NotReadyError(
            f"the node exited with code {code} during the run:\n{_log_tail(log_path)}"
        )


def _wait_until_ready(
    client: UnipixelClient, node: NodeProcess, log_path: Path, *, timeout_s: float
) -> None:
    """Wait for the node's services, failing early with its log when it exits instead."""
    deadline = time.monotonic() + timeout_s
    while True:
        code = node.process.poll()
        if code is not None:
            message = f"the node exited with code {code} at start-up:\n{_log_tail(log_path)}"
            # Exit code 2: the node refused its configuration (e.g. no such checkpoint).
            raise ConfigError(message) if code == 2 else NotReadyError(message)
        try:
            client.wait_until_ready(timeout_s=1.0)
            return
        except NotReadyError:
            if time.monotonic() > deadline:
                raise NotReadyError(
                    f"the node offered no services within {timeout_s} s; see {log_path}"
                ) from None
