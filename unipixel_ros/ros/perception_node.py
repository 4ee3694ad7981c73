"""The unipixel perception node: cameras and clicks in; masks, answers, overlays, markers out.

Topics, services, the action and parameters are listed in docs/node.md. Without a model
(parameter `model_path` empty) every request is answered with an error that says so; the node
never invents an answer.

Threads: image, camera_info, depth and click callbacks run in one mutually exclusive group and
only convert messages and hand the newest frame of each camera over (`camera_inputs`). Two
lanes (unipixel_ros.tracking.worker, unipixel_ros.perception.lanes): the tracking lane owns the
trackers and tracks every frame, with the short SAM-only requests in between; the reasoning
lane runs the language requests on snapshots, so tracking never waits for the language model.
Services and the Ask action run in a reentrant group on the multi-threaded executor and wait
for their request's future (`request_handlers`); each lane queues up to `max_pending_requests`.
"""

from __future__ import annotations

from typing import Any

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node

from unipixel_ros.errors import ConfigError, UnipixelError
from unipixel_ros.perception.factory import build_perception
from unipixel_ros.perception.live import LivePerception, PerceptionConfig
from unipixel_ros.ros.camera_inputs import CameraFrame, CameraInput
from unipixel_ros.ros.click_handling import ClickHandler
from unipixel_ros.ros.frame_outputs import FrameOutputs
from unipixel_ros.ros.image_conversion import uses_cv_bridge
from unipixel_ros.ros.input_monitor import InputMonitor
from unipixel_ros.ros.node_status import NO_MODEL, ModelStatus, perception_status
from unipixel_ros.ros.parameters import NodeParameters, declare_and_read
from unipixel_ros.ros.request_handlers import RequestHandlers
from unipixel_ros.ros.throttled_log import ThrottledLog
from unipixel_ros.stamps import stamp_to_ns
from unipixel_ros.tracking.config import TrackerConfig
from unipixel_ros.tracking.worker import InferenceWorker

__all__ = ["PerceptionNode", "main"]

NODE_NAME = "unipixel"
SPARE_EXECUTOR_THREADS = 4  # image callbacks, timers and busy answers while requests wait


def _perception_config(params: NodeParameters) -> PerceptionConfig:
    tracker = TrackerConfig(
        max_objects=params.max_objects,
        ring_capacity=params.ring_capacity,
        ring_stride=params.ring_stride,
    )
    return PerceptionConfig(
        cameras=params.camera_names,
        tracker=tracker,
        query_frames=params.query_frames,
        max_query_chars=params.max_query_chars,
    )


class PerceptionNode(Node):
    """ROS glue around `LivePerception`: converts messages, queues work, publishes results."""

    def __init__(self, **node_kwargs: Any) -> None:
        # Set first: rclpy destroys the node at shutdown even when __init__ failed half-way.
        self._tracking: InferenceWorker[CameraFrame, None] | None = None
        self._reasoning: InferenceWorker[None, None] | None = None
        self._frames_while_reasoning = 0
        try:
            super().__init__(NODE_NAME, **node_kwargs)
        except ParameterException as err:  # rclpy's own parameters, such as use_sim_time
            raise ConfigError(f"parameter {err}") from err
        self.params: NodeParameters = declare_and_read(self)
        params = self.params
        self._log = ThrottledLog(logger=self.get_logger())
        self._input = InputMonitor()
        self._input_group = MutuallyExclusiveCallbackGroup()
        self._request_group = ReentrantCallbackGroup()

        self._perception: LivePerception | None = None
        self._model = NO_MODEL
        if params.model_path:
            # The tracking lane owns the trackers (frames, clicks, SAM-only requests); it is
            # the perception's tracking lane, so it exists before the perception does.
            tracking: InferenceWorker[CameraFrame, None] = InferenceWorker(
                process_frame=self._track,
                on_frame_error=self._on_frame_error,
                max_pending_requests=params.max_pending_requests,
                name="unipixel-tracking",
            )
            built = build_perception(
                model_path=params.model_path,
                device=params.device,
                backend=params.backend,
                config=_perception_config(params),
                tracking_lane=tracking,
            )
            for warning in built.warnings:
                self.get_logger().warning(warning)
            self.get_logger().info(built.backend_report)
            self._perception = built.perception
            self._model = ModelStatus(
                loaded=True,
                description=built.description,
                backend=built.backend,
                random_weights=built.random_weights,
            )
            device = built.perception.predictor.model.device
            tracking.use_device(device)
            self._tracking = tracking
            self._reasoning = InferenceWorker(
                process_frame=None,
                max_pending_requests=params.max_pending_requests,
                name="unipixel-reasoning",
            )
            self._reasoning.use_device(device)
            self._tracking.start()
            self._reasoning.start()

        self._outputs = FrameOutputs(
            node=self, cameras=params.camera_names, overlay_alpha=params.overlay_alpha
        )
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._clicks = ClickHandler(node=self, perception=self._perception, worker=self._tracking)
        worker = self._tracking
        self._cameras = {
            name: CameraInput(
                node=self,
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
        first_camera = next(iter(self._cameras.values()))
        self.create_subscription(
            PointStamped,
            params.clicked_point_topic,
            lambda msg: self._clicks.on_clicked_point(first_camera, msg),
            10,
            callback_group=self._input_group,
        )
        self._requests = RequestHandlers(
            node=self,
            perception=self._perception,
            tracking=self._tracking,
            reasoning=self._reasoning,
            cameras=self._cameras,
            request_timeout_s=params.request_timeout_s,
            callback_group=self._request_group,
            log=self._log,
            on_answer=self._outputs.set_caption,
        )
        self.create_timer(params.diagnostics_period_s, self._publish_diagnostics)
        self.get_logger().info(
            f"cameras {list(self._cameras)}; cv_bridge: {'yes' if uses_cv_bridge() else 'no'}; "
            f"tf2: {'yes' if self._clicks.uses_tf else 'no (clicks must be in the camera frame)'}"
            f"; model: {self._model.description}"
        )

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
            name=f"{self.get_name()}: perception",
            model=self._model,
            seen=self._input.snapshot(),
            stats=self._tracking.stats() if self._tracking is not None else None,
            reasoning=self._reasoning.stats() if self._reasoning is not None else None,
            frames_while_reasoning=self._frames_while_reasoning,
            latencies_s=self._outputs.latencies_s(),
            objects_tracked=self._outputs.objects_tracked(),
            camera_info_received=all(c.info is not None for c in self._cameras.values()),
        )
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diagnostics.publish(array)

    def destroy_node(self) -> None:
        # The tracking lane first: a reasoning request waiting on it then fails and returns.
        for lane in (self._tracking, self._reasoning):
            if lane is not None:
                lane.stop()
        super().destroy_node()


def main(args: list[str] | None = None) -> None:
    """Run the node until Ctrl-C or an external shutdown."""
    try:
        rclpy.init(args=args)
    except RuntimeError as err:  # rclpy's RCLError or UnknownROSArgsError: bad arguments or YAML
        rclpy.logging.get_logger(NODE_NAME).fatal(f"cannot parse the ROS arguments: {err}")
        raise SystemExit(2) from err
    node: PerceptionNode | None = None
    try:
        node = PerceptionNode()
        # A waiting service call holds an executor thread: room for both lanes' queues.
        threads = 2 * node.params.max_pending_requests + SPARE_EXECUTOR_THREADS
        executor = MultiThreadedExecutor(num_threads=threads)
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except UnipixelError as err:
        # A configuration or checkpoint error at start-up: say what is wrong, exit non-zero.
        rclpy.logging.get_logger(NODE_NAME).fatal(str(err))
        raise SystemExit(2) from err
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
