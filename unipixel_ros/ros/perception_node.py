"""The unipixel perception node: camera in; queries, prompts and status out.

Topics, services, the action and parameters are listed in docs/node.md. Until a model is
configured (parameter `model_path`), every request is answered with an error that says so;
the node never invents an answer.
"""

from __future__ import annotations

from typing import Any

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from unipixel_ros_interfaces.action import Ask
from unipixel_ros_interfaces.srv import AddObjects, Describe, Query, RemoveObjects, ResetMemory

from unipixel_ros.errors import BadInputError, UnipixelError
from unipixel_ros.ros.image_conversion import compressed_to_rgb, image_to_rgb, uses_cv_bridge
from unipixel_ros.ros.input_monitor import InputMonitor
from unipixel_ros.ros.parameters import ImageTransport, NodeParameters, declare_and_read, image_qos

__all__ = ["PerceptionNode", "main"]

NODE_NAME = "unipixel"
ERROR_LOG_PERIOD_S = 5.0


class PerceptionNode(Node):
    """ROS glue around the UniPixel predictor: converts messages, calls the core, publishes."""

    def __init__(self, **node_kwargs: Any) -> None:
        super().__init__(NODE_NAME, **node_kwargs)
        self.params: NodeParameters = declare_and_read(self)
        self._input = InputMonitor()
        self._camera_info: CameraInfo | None = None

        # Image callbacks only convert and hand over, so one exclusive group keeps them ordered.
        # Requests get a reentrant group of their own: a long query must not stall image intake,
        # and several requests may be answered at once by the multi-threaded executor.
        self._input_group = MutuallyExclusiveCallbackGroup()
        self._request_group = ReentrantCallbackGroup()

        qos = image_qos(self.params)
        if self.params.image_transport == ImageTransport.COMPRESSED.value:
            topic = f"{self.params.image_topic}/compressed"
            self.create_subscription(
                CompressedImage, topic, self._on_compressed, qos, callback_group=self._input_group
            )
        else:
            topic = self.params.image_topic
            self.create_subscription(
                Image, topic, self._on_image, qos, callback_group=self._input_group
            )
        self.create_subscription(
            CameraInfo,
            self.params.camera_info_topic,
            self._on_camera_info,
            qos,
            callback_group=self._input_group,
        )

        group = self._request_group
        self.create_service(Query, "~/query", self._on_query, callback_group=group)
        self.create_service(AddObjects, "~/add_objects", self._on_add_objects, callback_group=group)
        self.create_service(
            RemoveObjects, "~/remove_objects", self._on_remove_objects, callback_group=group
        )
        self.create_service(
            ResetMemory, "~/reset_memory", self._on_reset_memory, callback_group=group
        )
        self.create_service(Describe, "~/describe", self._on_describe, callback_group=group)
        self._ask_server = ActionServer(
            self,
            Ask,
            "~/ask",
            execute_callback=self._execute_ask,
            goal_callback=lambda _goal: GoalResponse.ACCEPT,
            cancel_callback=lambda _goal: CancelResponse.ACCEPT,
            callback_group=group,
        )

        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(self.params.diagnostics_period_s, self._publish_diagnostics)
        self.get_logger().info(
            f"listening on {self.resolve_topic_name(topic)} ({self.params.image_transport}, "
            f"{self.params.qos_reliability}); cv_bridge: {'yes' if uses_cv_bridge() else 'no'}; "
            f"model: {self.params.model_path or 'none'}"
        )

    # --- inputs -------------------------------------------------------------------------------

    def _on_image(self, msg: Image) -> None:
        self._accept(msg.encoding, lambda: image_to_rgb(msg))

    def _on_compressed(self, msg: CompressedImage) -> None:
        self._accept(f"compressed/{msg.format}", lambda: compressed_to_rgb(msg))

    def _on_camera_info(self, msg: CameraInfo) -> None:
        self._camera_info = msg

    def _accept(self, encoding: str, convert: Any) -> None:
        try:
            rgb = convert()
        except BadInputError as err:
            self._input.frame_rejected(str(err))
            self.get_logger().error(
                f"dropped an input image: {err}", throttle_duration_sec=ERROR_LOG_PERIOD_S
            )
            return
        self._input.frame_accepted(width=rgb.shape[1], height=rgb.shape[0], encoding=encoding)

    # --- requests -----------------------------------------------------------------------------

    def _no_model(self) -> str:
        return (
            "no model is loaded: set the parameter model_path to a UniPixel checkpoint "
            "directory or hub id (see docs/node.md)"
        )

    def _refuse(self, response: Any, request_name: str) -> Any:
        response.success = False
        response.message = self._no_model()
        self.get_logger().warn(
            f"{request_name} refused: {response.message}", throttle_duration_sec=ERROR_LOG_PERIOD_S
        )
        return response

    def _on_query(self, _request: Query.Request, response: Query.Response) -> Query.Response:
        return self._refuse(response, "query")

    def _on_add_objects(
        self, _request: AddObjects.Request, response: AddObjects.Response
    ) -> AddObjects.Response:
        return self._refuse(response, "add_objects")

    def _on_remove_objects(
        self, _request: RemoveObjects.Request, response: RemoveObjects.Response
    ) -> RemoveObjects.Response:
        return self._refuse(response, "remove_objects")

    def _on_reset_memory(
        self, _request: ResetMemory.Request, response: ResetMemory.Response
    ) -> ResetMemory.Response:
        return self._refuse(response, "reset_memory")

    def _on_describe(
        self, _request: Describe.Request, response: Describe.Response
    ) -> Describe.Response:
        return self._refuse(response, "describe")

    def _execute_ask(self, goal_handle: Any) -> Ask.Result:
        result = self._refuse(Ask.Result(), "ask")
        goal_handle.abort()
        return result

    # --- status -------------------------------------------------------------------------------

    def _publish_diagnostics(self) -> None:
        seen = self._input.snapshot()
        status = DiagnosticStatus()
        status.name = f"{self.get_name()}: perception"
        status.hardware_id = self.params.model_path or "no model"
        status.level, status.message = DiagnosticStatus.WARN, "no model loaded"
        pairs = {
            "frames_received": seen.frames_received,
            "frames_rejected": seen.frames_rejected,
            "input_rate_hz": f"{seen.rate_hz:.2f}",
            "last_size": f"{seen.last_width}x{seen.last_height}",
            "last_encoding": seen.last_encoding,
            "last_error": seen.last_error,
            "camera_info_received": self._camera_info is not None,
            "backend": self.params.backend,
            "model_loaded": False,
        }
        status.values = [KeyValue(key=k, value=str(v)) for k, v in pairs.items()]
        array = DiagnosticArray()
        array.header.stamp = self.get_clock().now().to_msg()
        array.status = [status]
        self._diagnostics.publish(array)


def main(args: list[str] | None = None) -> None:
    """Run the node until Ctrl-C or an external shutdown."""
    rclpy.init(args=args)
    node: PerceptionNode | None = None
    try:
        node = PerceptionNode()
        executor = MultiThreadedExecutor()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except UnipixelError as err:
        # A configuration error at start-up: say what is wrong, exit non-zero.
        rclpy.logging.get_logger(NODE_NAME).fatal(str(err))
        raise SystemExit(2) from err
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
