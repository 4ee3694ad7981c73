"""What the plain perception node and its managed variant share: the model and the wiring.

`load_model` builds the perception from the parameters (the heavy step: the managed node's
configure). `NodeWiring` creates the two lanes, the subscriptions, publishers, services, the Ask
action and the diagnostics timer on a node (the managed node's activate) and `close` removes
them again (its deactivate); the plain node does both once, at start.

Threads: image, camera_info, depth and click callbacks run in one mutually exclusive group and
only convert messages and hand the newest frame of each camera over (`camera_inputs`). Two
lanes (unipixel_ros.tracking.worker, unipixel_ros.perception.lanes): the tracking lane owns the
trackers and tracks every frame, with the short SAM-only requests in between; the reasoning
lane runs the language requests on snapshots, so tracking never waits for the language model.
Services and the Ask action run in a reentrant group on the multi-threaded executor and wait
for their request's future (`request_handlers`); each lane queues up to `max_pending_requests`.

`NodeWiring.apply` passes the live parameters' new values (ros/live_parameters.py) on to the
parts that read them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped
from rclpy.action import ActionServer
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.node import Node

from unipixel_ros.perception.config import PerceptionConfig
from unipixel_ros.perception.factory import build_perception
from unipixel_ros.perception.live import LivePerception
from unipixel_ros.ros.camera_inputs import CameraFrame, CameraInput
from unipixel_ros.ros.click_handling import ClickHandler
from unipixel_ros.ros.frame_outputs import FrameOutputs
from unipixel_ros.ros.image_conversion import uses_cv_bridge
from unipixel_ros.ros.input_monitor import InputMonitor
from unipixel_ros.ros.node_status import NO_MODEL, ModelStatus, perception_status
from unipixel_ros.ros.parameters import NodeParameters
from unipixel_ros.ros.request_handlers import RequestHandlers
from unipixel_ros.ros.throttled_log import ThrottledLog
from unipixel_ros.stamps import stamp_to_ns
from unipixel_ros.tracking.config import SamPrecision, TrackerConfig
from unipixel_ros.tracking.worker import InferenceWorker

__all__ = ["LoadedModel", "NodeWiring", "load_model", "perception_config"]


@dataclass(frozen=True)
class LoadedModel:
    """A perception built from the node's parameters.

    Args:
        perception: the live perception; its tracking lane is set by `NodeWiring`.
        status: what the diagnostics say about the model.
        load_s: wall time of the build, seconds.
    """

    perception: LivePerception
    status: ModelStatus
    load_s: float


def perception_config(params: NodeParameters) -> PerceptionConfig:
    """The live perception's capacities from the node's parameters."""
    tracker = TrackerConfig(
        max_objects=params.max_objects,
        ring_capacity=params.ring_capacity,
        ring_stride=params.ring_stride,
        sam_precision=SamPrecision(params.sam_precision),
    )
    return PerceptionConfig(
        cameras=params.camera_names,
        tracker=tracker,
        query_frames=params.query_frames,
        max_query_chars=params.max_query_chars,
    )


def load_model(*, node: Node, params: NodeParameters) -> LoadedModel | None:
    """Build the perception named by ``params.model_path``; None when it is empty.

    The build's warnings and backend report go to ``node``'s log.

    Raises:
        UnipixelError: the checkpoint, device or backend is unusable.
    """
    if not params.model_path:
        return None
    started = time.monotonic()
    built = build_perception(
        model_path=params.model_path,
        device=params.device,
        backend=params.backend,
        llm_weights=params.llm_weights,
        config=perception_config(params),
    )
    for warning in built.warnings:
        node.get_logger().warning(warning)
    node.get_logger().info(built.backend_report)
    status = ModelStatus(
        loaded=True,
        description=built.description,
        backend=built.backend,
        random_weights=built.random_weights,
    )
    return LoadedModel(
        perception=built.perception, status=status, load_s=time.monotonic() - started
    )


class NodeWiring:
    """The lanes and every topic, service, action and timer of a serving perception node.

    Everything it creates on ``node`` is removed again by `close`, so a managed node can
    deactivate and activate again; the model (``model``) is kept.

    Args:
        node: the node that gets the subscriptions, publishers, services, action and timer.
        params: the node's parameters.
        model: the loaded model; None answers every request with "no model".
        reasoner: the remote reasoner of a tracker (split deployment); "" in the single node.
    """

    def __init__(
        self,
        *,
        node: Node,
        params: NodeParameters,
        model: LoadedModel | None,
        reasoner: str = "",
    ) -> None:
        self._node = node
        self._reasoner = reasoner
        self._model = NO_MODEL if model is None else model.status
        self._perception = None if model is None else model.perception
        self._tracking: InferenceWorker[CameraFrame, None] | None = None
        self._reasoning: InferenceWorker[None, None] | None = None
        self._frames_while_reasoning = 0
        self._log = ThrottledLog(logger=node.get_logger())
        self._input = InputMonitor()
        self._input_group = MutuallyExclusiveCallbackGroup()
        self._request_group = ReentrantCallbackGroup()
        if self._perception is not None:
            # The tracking lane owns the trackers (frames, clicks, SAM-only requests); the
            # perception's snapshots and new objects go through it.
            device = self._perception.sam2.device
            self._tracking = InferenceWorker(
                process_frame=self._track,
                on_frame_error=self._on_frame_error,
                max_pending_requests=params.max_pending_requests,
                name="unipixel-tracking",
            )
            self._tracking.use_device(device)
            self._perception.tracking_lane = self._tracking
            self._reasoning = InferenceWorker(
                process_frame=None,
                max_pending_requests=params.max_pending_requests,
                name="unipixel-reasoning",
            )
            self._reasoning.use_device(device)
        known = {id(entity) for entity in _entities(node)}
        try:
            self._wire(params)
        except Exception:
            self._created = _added(node, known)
            self.close()  # what the steps before the error created
            raise
        self._created = _added(node, known)
        self.apply(params)  # the model may be older than the values (a managed node's configure)
        for lane in (self._tracking, self._reasoning):
            if lane is not None:
                lane.start()

    def _wire(self, params: NodeParameters) -> None:
        """Create the outputs, the camera inputs, the request handlers and the timer."""
        node = self._node
        self._outputs = FrameOutputs(
            node=node,
            cameras=params.camera_names,
            overlay_alpha=params.overlay_alpha,
            random_weights=self._model.random_weights,
        )
        self._diagnostics = node.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._clicks = ClickHandler(node=node, perception=self._perception, worker=self._tracking)
        worker = self._tracking
        self.cameras = {
            name: CameraInput(
                node=node,
                name=name,
                params=params,
                callback_group=self._input_group,
                monitor=self._input,
                log=self._log,
                submit=(
                    None
                    if worker is None
                    else lambda frame: worker.submit_frame(frame, source=frame.camera)
                ),
                on_pixel_click=self._clicks.on_pixel_click,
            )
            for name in params.camera_names
        }
        first_camera = next(iter(self.cameras.values()))
        node.create_subscription(
            PointStamped,
            params.clicked_point_topic,
            lambda msg: self._clicks.on_clicked_point(first_camera, msg),
            10,
            callback_group=self._input_group,
        )
        self._requests = RequestHandlers(
            node=node,
            perception=self._perception,
            tracking=self._tracking,
            reasoning=self._reasoning,
            cameras=self.cameras,
            request_timeout_s=params.request_timeout_s,
            callback_group=self._request_group,
            log=self._log,
            on_answer=self._outputs.set_caption,
            reasoner=self._reasoner,
        )
        self._diagnostics_timer = node.create_timer(
            params.diagnostics_period_s, self._publish_diagnostics
        )

    def apply(self, params: NodeParameters) -> None:
        """Use the live parameters of ``params`` from now on (the others must be unchanged).

        Each part reads its value once per frame, request or tick, from any thread.
        """
        self._outputs.set_overlay_alpha(params.overlay_alpha)
        self._requests.set_request_timeout_s(params.request_timeout_s)
        for camera in self.cameras.values():
            camera.sync.set_slop_s(params.sync_slop_s)
        for lane in (self._tracking, self._reasoning):
            if lane is not None:
                lane.set_max_pending_requests(params.max_pending_requests)
        if self._perception is not None:
            self._perception.set_request_limits(
                query_frames=params.query_frames, max_query_chars=params.max_query_chars
            )
        period_ns = int(params.diagnostics_period_s * 1_000_000_000)  # as create_timer does
        if self._diagnostics_timer.timer_period_ns != period_ns:
            self._diagnostics_timer.timer_period_ns = period_ns
            self._diagnostics_timer.reset()  # the next tick one new period from now

    def describe(self) -> str:
        """One log line: the cameras, the optional imports in use and the model."""
        tf = "yes" if self._clicks.uses_tf else "no (clicks must be in the camera frame)"
        return (
            f"cameras {list(self.cameras)}; cv_bridge: {'yes' if uses_cv_bridge() else 'no'}; "
            f"tf2: {tf}; model: {self._model.description}"
        )

    def stop_lanes(self) -> None:
        """Stop both lanes: their waiting requests fail, the one in progress finishes."""
        # The tracking lane first: a reasoning request waiting on it then fails and returns.
        for lane in (self._tracking, self._reasoning):
            if lane is not None:
                lane.stop()

    def close(self) -> None:
        """Stop the lanes and remove every entity `__init__` created from the node."""
        self.stop_lanes()
        node = self._node
        for entity in self._created:
            if isinstance(entity, ActionServer):
                entity.destroy()
        for entity in self._created:
            for destroy in (
                node.destroy_service,
                node.destroy_subscription,
                node.destroy_publisher,
                node.destroy_timer,
            ):
                if destroy(entity):
                    break
        self._created = []

    def _track(self, frame: CameraFrame) -> None:
        """The tracking lane's frame step; an error reaches its ``frame_errors`` count."""
        output = self._perception.push_frame(  # type: ignore[union-attr]
            frame.camera, frame.rgb, stamp_to_ns(frame.header.stamp)
        )
        if self._reasoning is not None and self._reasoning.stats().running:
            self._frames_while_reasoning += 1
        self._outputs.publish(frame, output)

    def _on_frame_error(self, frame: CameraFrame, err: Exception) -> None:
        self._log.error("frame", f"frame of camera {frame.camera or '(default)'} failed: {err}")

    def _publish_diagnostics(self) -> None:
        status = perception_status(
            name=f"{self._node.get_name()}: perception",
            model=self._model,
            seen=self._input.snapshot(),
            stats=self._tracking.stats() if self._tracking is not None else None,
            reasoning=self._reasoning.stats() if self._reasoning is not None else None,
            frames_while_reasoning=self._frames_while_reasoning,
            latencies_s=self._outputs.latencies_s(),
            objects_tracked=self._outputs.objects_tracked(),
            camera_info_received=all(c.info is not None for c in self.cameras.values()),
        )
        array = DiagnosticArray(status=[status])
        array.header.stamp = self._node.get_clock().now().to_msg()
        self._diagnostics.publish(array)


def _entities(node: Node) -> list[Any]:
    """The node's publishers, subscriptions, services, timers and action servers."""
    return [
        *node.publishers,
        *node.subscriptions,
        *node.services,
        *node.timers,
        *(w for w in node.waitables if isinstance(w, ActionServer)),
    ]


def _added(node: Node, known: set[int]) -> list[Any]:
    """The node's entities whose ids are not in ``known``."""
    return [entity for entity in _entities(node) if id(entity) not in known]
