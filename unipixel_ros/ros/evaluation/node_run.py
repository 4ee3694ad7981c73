"""The replay loop: start the node, replay the bag frame by frame, ask the queries, record.

The node runs in its own process (:class:`NodeProcess`) with the bag's topics remapped onto its
inputs. Frames go out one by one (:class:`FrameReplayer`); on the frame a query names, the
replay pauses and the query is asked (:class:`QueryRequests`). Everything the node publishes
is recorded into ``OUT/results`` (MCAP) by :class:`ResultRecorder`. A split run
(``Deployment.SPLIT``) starts a reasoner first and a tracker in the node's place; the tracker
has the node's name, so the client, the recorder and the scores do not change.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from unipixel_ros.errors import BagError, ConfigError, NotReadyError
from unipixel_ros.evaluation.bags.layout import BagTopics
from unipixel_ros.evaluation.scoring.queries import Query as SpecQuery
from unipixel_ros.evaluation.scoring.queries import QueryKind, QuerySpec
from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.evaluation.frame_replay import FrameReplayer, PublishedFrame
from unipixel_ros.ros.evaluation.node_process import (
    REASONER_MODULE,
    SINGLE_NODE_MODULE,
    TRACKER_MODULE,
    NodeProcess,
)
from unipixel_ros.ros.evaluation.query_requests import QueryRequests
from unipixel_ros.ros.evaluation.result_recorder import ResultRecorder
from unipixel_ros.ros.evaluation.run_records import (
    Deployment,
    EvaluationConfig,
    ProgressUpdate,
    RunOutcome,
)
from unipixel_ros.visualization.overlay import OverlayObject

__all__ = ["NodeRun"]

RESULT_BAG_NAME = "results"
NODE_LOG_NAME = "node.log"
REASONER_LOG_NAME = "reasoner.log"
# What a split run's reasoner shares with its tracker.
REASONER_PARAMETERS = ("model_path", "backend", "device", "max_pending_requests")
# The node's status is published this often during an evaluation.
DIAGNOSTICS_PERIOD_S = 0.25
# Objects the node may track beyond those the spec's track queries create.
SPARE_OBJECTS = 4


class NodeRun:
    """One run of the node over the bag; :meth:`run` is called once.

    Args:
        config: What to evaluate and how.
        spec: The bag's query spec.
        topics: The bag's topics.
        gif_indices: The frames whose objects the run returns for the overlay GIF.
        on_progress: Called with each progress update.
    """

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

    def run(self) -> RunOutcome:
        """Run the node over the bag and collect its outputs.

        Raises:
            BagError: the bag's frames are not the spec's.
            ConfigError: the node refused its configuration, or ``out_dir`` holds something
                other than a result bag where the result bag goes.
            NotReadyError: the node did not come up, or died during the run.
        """
        config = self._config
        config.out_dir.mkdir(parents=True, exist_ok=True)
        result_bag = config.out_dir / RESULT_BAG_NAME
        _remove_old_result_bag(result_bag)
        log_path = config.out_dir / NODE_LOG_NAME
        started = time.monotonic()
        reasoner = self._start_reasoner()
        node = NodeProcess(
            parameters=self._node_parameters(),
            remappings=self._remappings(),
            log_path=log_path,
            module=TRACKER_MODULE if reasoner is not None else SINGLE_NODE_MODULE,
        )
        recorder: ResultRecorder | None = None
        replayer: FrameReplayer | None = None
        try:
            self._client = client = UnipixelClient(name="unipixel_evaluation")
            requests = QueryRequests(
                client=client,
                spec=self._spec,
                describe_tracked=config.describe_tracked,
                timeout_s=config.request_timeout_s,
            )
            recorder = ResultRecorder(
                node=client.node, bag=result_bag, record_overlay=config.record_overlay
            )
            self._progress(0, "starting the node and loading the model")
            _wait_until_ready(client, node, log_path, timeout_s=config.start_timeout_s)
            if reasoner is not None:
                _check_alive(reasoner, config.out_dir / REASONER_LOG_NAME)
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
            published = self._replay(replayer, recorder, requests, node, log_path, reasoner)
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
            if reasoner is not None:
                reasoner_code = reasoner.stop()
        if reasoner is not None and reasoner_code != 0:
            reasoner_log = config.out_dir / REASONER_LOG_NAME
            raise NotReadyError(
                f"the reasoner exited with code {reasoner_code} at the end of the run; see "
                f"{reasoner_log}: " + _log_tail(reasoner_log)
            )
        if code != 0:
            raise NotReadyError(
                f"the node exited with code {code} at the end of the run; see {log_path}: "
                + _log_tail(log_path)
            )
        return RunOutcome(
            predictions=requests.predictions(recorder),
            requests=requests.records,
            latencies_s=tuple(
                frame.received_s - sent.published_s
                for sent in published
                if (frame := recorder.frame(sent.stamp_ns)) is not None
            ),
            frames_sent=len(published),
            gif_objects=tuple(self._gif_objects(recorder)),
            status=status,
            result_bag=result_bag,
            node_log=log_path,
            duration_s=time.monotonic() - started,
        )

    def _start_reasoner(self) -> NodeProcess | None:
        """A split run's reasoner, started first (None for the single node)."""
        config = self._config
        if config.deployment is not Deployment.SPLIT:
            return None
        parameters = self._node_parameters()
        return NodeProcess(
            parameters={k: v for k, v in parameters.items() if k in REASONER_PARAMETERS},
            log_path=config.out_dir / REASONER_LOG_NAME,
            module=REASONER_MODULE,
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
        if config.deployment is Deployment.SPLIT:
            # Raw frames: the reasoner sees the tracker's pixels, so the scores are the single
            # node's (docs/deployment.md).
            parameters["reasoner_frames"] = "raw"
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
        self,
        replayer: FrameReplayer,
        recorder: ResultRecorder,
        requests: QueryRequests,
        node: NodeProcess,
        log: Path,
        reasoner: NodeProcess | None,
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
                requests.ask(query, frame)
                _check_alive(node, log)
                if reasoner is not None:
                    _check_alive(reasoner, config.out_dir / REASONER_LOG_NAME)
            if queries:
                replayer.rebase()
            self._progress(frame.index + 1, "replaying")
        return published

    def _gif_objects(self, recorder: ResultRecorder) -> list[tuple[OverlayObject, ...]]:
        """The objects of each GIF frame as the node published them, for the overlay."""
        frames = []
        for index in self._gif_indices:
            frame = recorder.frame(self._spec.stamps_ns[index])
            objects: tuple[OverlayObject, ...] = ()
            if frame is not None and frame.shape == self._shape:
                objects = tuple(
                    OverlayObject(
                        object_id=object_id,
                        label=frame.labels[object_id],
                        score=frame.scores.get(object_id, 0.0),
                        lost=object_id in frame.lost,
                        mask=frame.mask(object_id),  # type: ignore[arg-type]
                    )
                    for object_id in frame.packed
                )
            frames.append(objects)
        return frames


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
