"""What an evaluation of the node on a bag is given, reports while it runs, and gives back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import NamedTuple

from unipixel_ros.errors import ConfigError
from unipixel_ros.evaluation.bags.layout import QUERIES_FILE_NAME
from unipixel_ros.evaluation.reports.report import ReportFiles
from unipixel_ros.evaluation.reports.run_report import RequestRecord, RunDetails
from unipixel_ros.evaluation.scoring.evaluate import EvaluationResult, QueryPrediction
from unipixel_ros.visualization.overlay import OverlayObject

__all__ = ["BagEvaluation", "Deployment", "EvaluationConfig", "ProgressUpdate", "RunOutcome"]


class Deployment(str, Enum):
    """Which nodes an evaluation runs (docs/deployment.md)."""

    SINGLE = "single"  # the perception node
    SPLIT = "split"  # a tracker and a reasoner, each in its own process, raw frames between


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
        node_parameters: Further node parameters (``-p name:=value``); in a split run they go
            to the tracker, and ``model_path``, ``backend`` and ``device`` to the reasoner too.
        deployment: the single node, or a tracker and a reasoner.
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
    deployment: Deployment = Deployment.SINGLE

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


@dataclass(frozen=True, kw_only=True, eq=False)
class RunOutcome:
    """What one run of the node over the bag produced, before scoring.

    Args:
        predictions: Every spec query's predicted masks and answer.
        requests: Every request sent, in order.
        latencies_s: Per frame with output, image published to its masks received, seconds.
        frames_sent: Colour frames published.
        gif_objects: Per GIF frame, the objects the node published for it.
        status: The node's last diagnostics key/values.
        result_bag: The MCAP bag holding every output of the node.
        node_log: The node's stdout and stderr.
        duration_s: Wall time of the run, seconds.
    """

    predictions: tuple[QueryPrediction, ...]
    requests: tuple[RequestRecord, ...]
    latencies_s: tuple[float, ...]
    frames_sent: int
    gif_objects: tuple[tuple[OverlayObject, ...], ...]
    status: dict[str, str]
    result_bag: Path
    node_log: Path
    duration_s: float


@dataclass(frozen=True, kw_only=True)
class BagEvaluation:
    """The outcome of :func:`~unipixel_ros.ros.evaluation.run.evaluate_bag`.

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
