"""The unipixel perception node: cameras and clicks in; masks, answers, overlays, markers out.

Topics, services, the action and parameters are listed in docs/node.md. Without a model
(parameter `model_path` empty) every request is answered with an error that says so; the node
never invents an answer.

Threads: image, camera_info, depth and click callbacks run in one mutually exclusive group and
only convert messages and hand the newest frame of each camera over. One inference worker
thread owns the model: it tracks the newest frames and runs queued requests in between (see
unipixel_ros.tracking.worker). Services and the Ask action run in a reentrant group on the
multi-threaded executor and wait for their request's future, so a long query never stalls
image intake and several requests can wait at once (up to `max_pending_requests`).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import rclpy
import torch
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Point, PointStamped
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header
from unipixel_ros_interfaces.action import Ask
from unipixel_ros_interfaces.msg import Answer, ObjectMaskArray, ObjectPrompt
from unipixel_ros_interfaces.srv import AddObjects, Describe, Query, RemoveObjects, ResetMemory
from visualization_msgs.msg import MarkerArray

from unipixel_ros.accel.parts.frame_encoder import resolve_frame_encoder
from unipixel_ros.accel.parts.llm_decode import resolve_llm_decoder
from unipixel_ros.errors import BadInputError, CancelledError, ConfigError, UnipixelError
from unipixel_ros.model import TINY_RANDOM_MODEL, UniPixelPredictor
from unipixel_ros.perception import (
    FrameOutput,
    LivePerception,
    ObjectPromptSpec,
    PerceptionConfig,
    QueryOutput,
)
from unipixel_ros.ros.camera_geometry import intrinsics_from_k
from unipixel_ros.ros.click_projection import ClickProjector
from unipixel_ros.ros.frame_sync import FrameSynchronizer
from unipixel_ros.ros.image_conversion import (
    compressed_to_rgb,
    depth_to_metres,
    image_to_rgb,
    labels_to_mono16,
    rgb_to_image,
    uses_cv_bridge,
)
from unipixel_ros.ros.input_monitor import STALE_AFTER_S, InputMonitor
from unipixel_ros.ros.parameters import (
    REQUEST_QOS,
    ImageTransport,
    NodeParameters,
    declare_and_read,
    image_qos,
)
from unipixel_ros.ros.result_messages import answer_message, marker_array, object_mask_message
from unipixel_ros.stamps import ns_to_sec_nanosec, stamp_to_ns
from unipixel_ros.tracking import InferenceWorker, TrackerConfig
from unipixel_ros.visualization.overlay import label_image, overlay_instances

__all__ = ["PerceptionNode", "main"]

NODE_NAME = "unipixel"
ERROR_LOG_PERIOD_S = 5.0
LATENCY_WINDOW = 200
SPARE_EXECUTOR_THREADS = 4  # image callbacks, timers and busy answers while requests wait
LLM_CACHE_POSITIONS = 8192  # static KV cache of the compiled decode loop; longer prompts: eager
T = TypeVar("T")


@dataclass(frozen=True)
class _Frame:
    """A converted camera frame waiting for the worker."""

    camera: str
    rgb: np.ndarray
    header: Header
    k: np.ndarray | None
    depth_m: np.ndarray | None
    received: float


@dataclass
class _CameraIO:
    """The ROS side of one camera: its publishers and latest metadata."""

    name: str
    overlay: Any
    labels: Any
    markers: Any
    sync: FrameSynchronizer | None = None
    frame_id: str = ""
    info: CameraInfo | None = None
    image_size: tuple[int, int] = (0, 0)  # (width, height)


def _header(stamp_ns: int, frame_id: str) -> Header:
    header = Header(frame_id=frame_id)
    header.stamp.sec, header.stamp.nanosec = ns_to_sec_nanosec(stamp_ns)
    return header


def _prompt_spec(prompt: ObjectPrompt) -> ObjectPromptSpec:
    box = None
    if prompt.has_box:
        roi = prompt.box
        box = (
            float(roi.x_offset),
            float(roi.y_offset),
            float(roi.x_offset + roi.width),
            float(roi.y_offset + roi.height),
        )
    return ObjectPromptSpec(
        label=prompt.label,
        points=tuple((float(p.x), float(p.y)) for p in prompt.points),
        point_labels=tuple(int(v) for v in prompt.point_labels),
        box=box,
    )


class PerceptionNode(Node):
    """ROS glue around `LivePerception`: converts messages, queues work, publishes results."""

    def __init__(self, **node_kwargs: Any) -> None:
        # Set first: rclpy destroys the node at shutdown even when __init__ failed half-way.
        self._worker: InferenceWorker[str, None] | None = None
        try:
            super().__init__(NODE_NAME, **node_kwargs)
        except ParameterException as err:  # rclpy's own parameters, such as use_sim_time
            raise ConfigError(f"parameter {err}") from err
        self.params: NodeParameters = declare_and_read(self)
        self._input = InputMonitor()
        self._last_logged: dict[str, float] = {}
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._pending: dict[str, _Frame] = {}
        self._pending_lock = threading.Lock()
        self._dropped = 0
        self._query_ids = itertools.count(1)
        self._last_answer = ""
        self._objects_tracked = 0
        self._input_group = MutuallyExclusiveCallbackGroup()
        self._request_group = ReentrantCallbackGroup()

        self._perception: LivePerception | None = None
        self._model_description = "none"
        self._backend = "none"
        if self.params.model_path:
            self._perception = self._load_perception()
            self._worker = InferenceWorker(
                process_frame=self._process_pending,
                max_pending_requests=self.params.max_pending_requests,
            )
            self._worker.start()

        self._masks = self.create_publisher(ObjectMaskArray, "~/masks", 10)
        self._answers = self.create_publisher(Answer, "~/answers", 10)
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._cameras = {name: self._setup_camera(name) for name in self.params.camera_names}
        self._clicks = ClickProjector(self)
        self.create_subscription(
            PointStamped,
            self.params.clicked_point_topic,
            self._on_clicked_point,
            10,
            callback_group=self._input_group,
        )
        self._setup_requests()
        self.create_timer(self.params.diagnostics_period_s, self._publish_diagnostics)
        self.get_logger().info(
            f"cameras {list(self._cameras)}; cv_bridge: {'yes' if uses_cv_bridge() else 'no'}; "
            f"tf2: {'yes' if self._clicks.uses_tf else 'no (clicks must be in the camera frame)'}"
            f"; model: {self._model_description}"
        )

    # --- set-up -------------------------------------------------------------------------------

    def _load_perception(self) -> LivePerception:
        params = self.params
        if params.model_path == TINY_RANDOM_MODEL:
            self.get_logger().warning(
                "model_path is 'tiny-random': a tiny model with RANDOM weights; answers and masks "
                "are meaningless (for tests and dry runs only)"
            )
            predictor = UniPixelPredictor.tiny(seed=0)
            self._model_description = "tiny model with RANDOM weights"
        else:
            device = params.device
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            predictor = UniPixelPredictor.from_pretrained(params.model_path, device=device)
            self._model_description = f"{params.model_path} on {device}"
        # The LLM decode loop and SAM 2.1's image encoder follow `backend` (with fallback);
        # the rest of SAM 2.1 tracking runs eager.
        choice = resolve_llm_decoder(
            params.backend, model=predictor.model, max_length=LLM_CACHE_POSITIONS
        )
        predictor.use_decoder(choice.decoder)
        encoder = resolve_frame_encoder(params.backend, model=predictor.model.sam2)
        self._backend = (
            f"llm {choice.backend.value}, sam2 image encoder {encoder.backend.value}, "
            "sam2 tracking eager"
        )
        self.get_logger().info(
            f"backend: {choice.reason}; {encoder.reason}; SAM 2.1 memory attention, decoder "
            "and memory encoder run eager"
        )
        tracker = TrackerConfig(
            max_objects=params.max_objects,
            ring_capacity=params.ring_capacity,
            ring_stride=params.ring_stride,
        )
        config = PerceptionConfig(
            cameras=params.camera_names,
            tracker=tracker,
            query_frames=params.query_frames,
            max_query_chars=params.max_query_chars,
        )
        return LivePerception(predictor=predictor, config=config, frame_encoder=encoder.encoder)

    def _setup_camera(self, name: str) -> _CameraIO:
        params = self.params
        prefix = f"{name}/" if name else ""
        image_topic = f"{prefix}image" if name else params.image_topic
        info_topic = f"{prefix}camera_info" if name else params.camera_info_topic
        depth_topic = f"{prefix}depth" if name else params.depth_topic
        io = _CameraIO(
            name=name,
            overlay=self.create_publisher(Image, f"~/{prefix}overlay", 2),
            labels=self.create_publisher(Image, f"~/{prefix}label_image", 2),
            markers=self.create_publisher(MarkerArray, f"~/{prefix}markers", 2),
        )
        qos = image_qos(params)
        if params.image_transport == ImageTransport.COMPRESSED.value:
            image_type: type = CompressedImage
            image_topic = f"{image_topic}/compressed"
        else:
            image_type = Image
        streams: list[tuple[type, str]] = [(image_type, image_topic), (CameraInfo, info_topic)]
        if params.use_depth:
            streams.append((Image, depth_topic))
        io.sync = FrameSynchronizer(
            self,
            streams=streams,
            qos=qos,
            slop_s=params.sync_slop_s,
            queue_size=params.sync_queue_size,
            callback=lambda image, info, depth=None: self._on_frame(io, image, info, depth),
            callback_group=self._input_group,
        )
        # rqt_image_view publishes its clicks next to the image topic it shows.
        mouse_topic = (
            f"{self.resolve_topic_name(image_topic.removesuffix('/compressed'))}_mouse_left"
        )
        self.create_subscription(
            Point,
            mouse_topic,
            lambda msg: self._on_pixel_click(io, msg),
            10,
            callback_group=self._input_group,
        )
        self.get_logger().info(
            f"camera {name or '(default)'}: {self.resolve_topic_name(image_topic)} + "
            f"{self.resolve_topic_name(info_topic)}"
            + (f" + {self.resolve_topic_name(depth_topic)}" if params.use_depth else "")
            + f" ({params.qos_reliability}, sync: {io.sync.implementation}); clicks on "
            f"{mouse_topic}"
        )
        return io

    def _setup_requests(self) -> None:
        group = self._request_group
        self.create_service(
            Query, "~/query", self._on_query, qos_profile=REQUEST_QOS, callback_group=group
        )
        self.create_service(
            AddObjects,
            "~/add_objects",
            self._on_add_objects,
            qos_profile=REQUEST_QOS,
            callback_group=group,
        )
        self.create_service(
            RemoveObjects,
            "~/remove_objects",
            self._on_remove_objects,
            qos_profile=REQUEST_QOS,
            callback_group=group,
        )
        self.create_service(
            ResetMemory,
            "~/reset_memory",
            self._on_reset_memory,
            qos_profile=REQUEST_QOS,
            callback_group=group,
        )
        self.create_service(
            Describe, "~/describe", self._on_describe, qos_profile=REQUEST_QOS, callback_group=group
        )
        self._ask_server = ActionServer(
            self,
            Ask,
            "~/ask",
            execute_callback=self._execute_ask,
            goal_callback=lambda _goal: GoalResponse.ACCEPT,
            cancel_callback=lambda _goal: CancelResponse.ACCEPT,
            goal_service_qos_profile=REQUEST_QOS,
            result_service_qos_profile=REQUEST_QOS,
            callback_group=group,
        )

    # --- inputs -------------------------------------------------------------------------------

    def _on_frame(
        self, io: _CameraIO, image: Image | CompressedImage, info: CameraInfo, depth: Image | None
    ) -> None:
        received = time.monotonic()
        try:
            if isinstance(image, CompressedImage):
                rgb, encoding = compressed_to_rgb(image), f"compressed/{image.format}"
            else:
                rgb, encoding = image_to_rgb(image), image.encoding
        except BadInputError as err:
            self._input.frame_rejected(str(err))
            self._throttled_error(
                "image", f"dropped an image from camera {io.name or '(default)'}: {err}"
            )
            return
        self._input.frame_accepted(width=rgb.shape[1], height=rgb.shape[0], encoding=encoding)
        io.frame_id, io.info = image.header.frame_id, info
        io.image_size = (rgb.shape[1], rgb.shape[0])
        k = depth_m = None
        try:
            k = intrinsics_from_k(info.k)
            if depth is not None:
                depth_m = depth_to_metres(depth)
                if depth_m.shape != rgb.shape[:2]:
                    raise BadInputError(
                        f"depth is {depth_m.shape[1]}x{depth_m.shape[0]} but the image is "
                        f"{rgb.shape[1]}x{rgb.shape[0]}: depth must be aligned to colour"
                    )
        except BadInputError as err:
            self._throttled_error("depth", f"no 3-D output for this frame: {err}")
            depth_m = None
        if self._worker is None:
            return
        frame = _Frame(io.name, rgb, image.header, k, depth_m, received)
        with self._pending_lock:
            self._dropped += io.name in self._pending
            self._pending[io.name] = frame
        self._worker.submit_frame(io.name)

    def _on_pixel_click(self, io: _CameraIO, msg: Point) -> None:
        self._add_clicked(io, float(msg.x), float(msg.y), source="rqt_image_view")

    def _on_clicked_point(self, msg: PointStamped) -> None:
        io = next(iter(self._cameras.values()))
        if io.info is None or not io.frame_id:
            self.get_logger().warning("click ignored: no camera image and camera_info yet")
            return
        try:
            u, v = self._clicks.to_pixel(
                msg,
                camera_frame=io.frame_id,
                k=intrinsics_from_k(io.info.k),
                width=io.image_size[0],
                height=io.image_size[1],
            )
        except UnipixelError as err:
            self.get_logger().warning(f"click ignored: {err}")
            return
        self._add_clicked(io, u, v, source="RViz")

    def _add_clicked(self, io: _CameraIO, u: float, v: float, *, source: str) -> None:
        if self._perception is None or self._worker is None:
            self.get_logger().warning(f"click ignored: {self._no_model()}")
            return
        perception = self._perception
        prompt = ObjectPromptSpec(label=f"{source} click", points=((u, v),), point_labels=(1,))
        try:
            future = self._worker.submit(lambda: perception.add_objects([prompt], camera=io.name))
        except UnipixelError as err:
            self.get_logger().warning(f"{source} click at ({u:.0f}, {v:.0f}) ignored: {err}")
            return
        future.add_done_callback(lambda f: self._report_click(f, source, u, v))

    def _report_click(self, future: Future[Any], source: str, u: float, v: float) -> None:
        error = future.exception()
        if error is not None:
            self.get_logger().warning(f"{source} click at ({u:.0f}, {v:.0f}) not added: {error}")
            return
        (view,) = future.result()
        self.get_logger().info(f"{source} click at ({u:.0f}, {v:.0f}) -> object {view.object_id}")

    # --- the worker's frame step ------------------------------------------------------------

    def _process_pending(self, _camera: str) -> None:
        with self._pending_lock:
            frames, self._pending = list(self._pending.values()), {}
        for frame in frames:
            try:
                output = self._perception.push_frame(  # type: ignore[union-attr]
                    frame.camera, frame.rgb, stamp_to_ns(frame.header.stamp)
                )
                self._publish_frame(frame, output)
            except Exception as err:
                self._throttled_error(
                    "frame", f"frame of camera {frame.camera or '(default)'} failed: {err}"
                )
                continue
            self._latencies.append(time.monotonic() - frame.received)

    def _publish_frame(self, frame: _Frame, output: FrameOutput) -> None:
        io = self._cameras[frame.camera]
        objects = [
            object_mask_message(view, frame.header, depth_m=frame.depth_m, k=frame.k)
            for view in output.objects
        ]
        self._objects_tracked = len(objects)
        self._masks.publish(ObjectMaskArray(header=frame.header, objects=objects))
        wants_labels = io.labels.get_subscription_count() > 0
        wants_overlay = io.overlay.get_subscription_count() > 0
        if wants_labels or wants_overlay:
            labels = label_image({v.object_id: v.mask for v in output.objects}, frame.rgb.shape[:2])
            if wants_labels:
                io.labels.publish(labels_to_mono16(labels, frame.header))
            if wants_overlay:
                names = {v.object_id: v.label for v in output.objects}
                pixels = overlay_instances(
                    frame.rgb,
                    labels,
                    alpha=self.params.overlay_alpha,
                    names=names,
                    caption=self._last_answer,
                )
                io.overlay.publish(rgb_to_image(pixels, frame.header))
        if frame.depth_m is not None:
            io.markers.publish(marker_array(objects, frame.header))

    # --- requests -----------------------------------------------------------------------------

    def _no_model(self) -> str:
        return (
            "no model is loaded: set the parameter model_path to a UniPixel checkpoint "
            "directory or hub id (see docs/node.md)"
        )

    def _run(self, work: Callable[[], T], response: Any, request_name: str) -> T | None:
        """Run ``work`` on the inference worker; on failure fill ``response`` and return None."""
        response.success = False
        if self._perception is None or self._worker is None:
            response.message = self._no_model()
            self._throttled_warn("refused", f"{request_name} refused: {response.message}")
            return None
        try:
            result = self._worker.submit(work).result(timeout=self.params.request_timeout_s)
        except FutureTimeout:
            response.message = (
                f"{request_name} timed out after {self.params.request_timeout_s} s; it may "
                "still finish and change the tracked objects"
            )
            return None
        except UnipixelError as err:
            response.message = str(err)
            return None
        except Exception as err:
            response.message = f"internal error in {request_name}: {type(err).__name__}: {err}"
            self.get_logger().error(response.message)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            return None
        response.success = True
        return result

    def _fill_answer(
        self, response: Any, output: QueryOutput, *, query: str, started: float
    ) -> None:
        camera = output.cameras[0]
        header = _header(output.stamp_ns, self._cameras[camera].frame_id)
        response.answer = answer_message(
            output,
            header=header,
            query_id=f"q{next(self._query_ids)}",
            query=query,
            total_ms=(time.monotonic() - started) * 1000.0,
        )
        if hasattr(response, "objects"):
            response.objects = [
                object_mask_message(
                    view, _header(output.stamp_ns, self._cameras[view.camera].frame_id)
                )
                for view in output.objects
            ]
        response.message = f"{len(output.objects)} object(s)"
        self._last_answer = output.text
        self._answers.publish(response.answer)

    def _on_query(self, request: Query.Request, response: Query.Response) -> Query.Response:
        started = time.monotonic()
        perception = self._perception
        output = self._run(
            lambda: perception.query(  # type: ignore[union-attr]
                request.text,
                cameras=tuple(request.cameras),
                num_frames=request.num_frames,
                track=request.track,
            ),
            response,
            "query",
        )
        if output is not None:
            self._fill_answer(response, output, query=request.text, started=started)
        return response

    def _on_add_objects(
        self, request: AddObjects.Request, response: AddObjects.Response
    ) -> AddObjects.Response:
        stamp = stamp_to_ns(request.stamp) or None
        perception = self._perception

        def add() -> tuple[list[int], list[int]]:
            prompts = [_prompt_spec(p) for p in request.objects]
            views = perception.add_objects(  # type: ignore[union-attr]
                prompts, camera=request.camera, stamp_ns=stamp
            )
            channels = perception.tracked_ids()  # type: ignore[union-attr]
            ids = [v.object_id for v in views]
            return ids, [channels.index(i) for i in ids]

        added = self._run(add, response, "add_objects")
        if added is not None:
            response.object_ids, response.channel_indices = added
            response.message = f"added {len(added[0])} object(s)"
        return response

    def _on_remove_objects(
        self, request: RemoveObjects.Request, response: RemoveObjects.Response
    ) -> RemoveObjects.Response:
        ids = [int(i) for i in request.object_ids]
        perception = self._perception
        removed = self._run(
            lambda: perception.remove_objects(ids),  # type: ignore[union-attr]
            response,
            "remove_objects",
        )
        if removed is not None:
            response.removed_ids = list(removed)
            response.message = f"removed {len(removed)} object(s)"
        return response

    def _on_reset_memory(
        self, _request: ResetMemory.Request, response: ResetMemory.Response
    ) -> ResetMemory.Response:
        perception = self._perception
        done = self._run(
            lambda: perception.reset() or True,  # type: ignore[union-attr]
            response,
            "reset_memory",
        )
        if done:
            response.message = "memory reset"
        return response

    def _on_describe(
        self, request: Describe.Request, response: Describe.Response
    ) -> Describe.Response:
        started = time.monotonic()
        stamp = stamp_to_ns(request.stamp) or None
        perception = self._perception
        output = self._run(
            lambda: perception.describe(  # type: ignore[union-attr]
                request.question,
                camera=request.camera,
                prompt=None if request.use_object_id else _prompt_spec(request.prompt),
                object_id=int(request.object_id) if request.use_object_id else None,
                stamp_ns=stamp,
            ),
            response,
            "describe",
        )
        if output is not None:
            self._fill_answer(response, output, query=request.question, started=started)
        return response

    def _execute_ask(self, goal_handle: Any) -> Ask.Result:
        started = time.monotonic()
        goal = goal_handle.request
        result = Ask.Result()
        perception = self._perception
        tokens = itertools.count(1)

        def stream(text: str) -> bool:
            goal_handle.publish_feedback(
                Ask.Feedback(partial_answer=text, tokens_generated=next(tokens))
            )
            return not goal_handle.is_cancel_requested

        def ask() -> QueryOutput:
            if goal_handle.is_cancel_requested:
                raise CancelledError("the goal was cancelled before it started")
            return perception.query(  # type: ignore[union-attr]
                goal.text,
                cameras=tuple(goal.cameras),
                num_frames=goal.num_frames,
                track=goal.track,
                on_text=stream,
            )

        output = self._run(ask, result, "ask")
        if output is not None:
            self._fill_answer(result, output, query=goal.text, started=started)
            goal_handle.succeed()
        elif goal_handle.is_cancel_requested:
            goal_handle.canceled()
        else:
            goal_handle.abort()
        return result

    # --- status -------------------------------------------------------------------------------

    def _due(self, kind: str) -> bool:
        """True at most once per ERROR_LOG_PERIOD_S for each kind of repeated problem."""
        now = time.monotonic()
        if now - self._last_logged.get(kind, -ERROR_LOG_PERIOD_S) < ERROR_LOG_PERIOD_S:
            return False
        self._last_logged[kind] = now
        return True

    def _throttled_error(self, kind: str, text: str) -> None:
        if self._due(kind):
            self.get_logger().error(text)

    def _throttled_warn(self, kind: str, text: str) -> None:
        if self._due(kind):
            self.get_logger().warning(text)

    def _publish_diagnostics(self) -> None:
        seen = self._input.snapshot()
        latencies = np.array(self._latencies, dtype=np.float64) * 1000.0
        p50, p95 = np.percentile(latencies, [50, 95]) if latencies.size else (0.0, 0.0)
        stats = self._worker.stats() if self._worker is not None else None
        status = DiagnosticStatus(name=f"{self.get_name()}: perception")
        status.hardware_id = self._model_description
        if self._perception is None:
            status.level, status.message = DiagnosticStatus.WARN, "no model loaded"
        elif seen.frames_received == 0:
            status.level, status.message = DiagnosticStatus.WARN, "waiting for images"
        elif seen.rate_hz == 0.0 and seen.seconds_since_last_frame > STALE_AFTER_S:
            status.level = DiagnosticStatus.WARN
            status.message = f"no image for {seen.seconds_since_last_frame:.0f} s"
        else:
            status.level, status.message = DiagnosticStatus.OK, "running"
        pairs = {
            "frames_received": seen.frames_received,
            "frames_rejected": seen.frames_rejected,
            "frames_processed": stats.frames_processed if stats else 0,
            "frames_dropped": self._dropped,
            "input_rate_hz": f"{seen.rate_hz:.2f}",
            "seconds_since_last_frame": f"{seen.seconds_since_last_frame:.1f}",
            "latency_p50_ms": f"{p50:.1f}",
            "latency_p95_ms": f"{p95:.1f}",
            "objects_tracked": self._objects_tracked,
            "requests_done": stats.requests_done if stats else 0,
            "requests_rejected_busy": stats.requests_rejected if stats else 0,
            "last_size": f"{seen.last_width}x{seen.last_height}",
            "last_encoding": seen.last_encoding,
            "last_error": seen.last_error,
            "camera_info_received": all(io.info is not None for io in self._cameras.values()),
            "backend": self._backend,
            "model_loaded": self._perception is not None,
        }
        status.values = [KeyValue(key=k, value=str(v)) for k, v in pairs.items()]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diagnostics.publish(array)

    def destroy_node(self) -> None:
        if self._worker is not None:
            self._worker.stop()
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
        threads = node.params.max_pending_requests + SPARE_EXECUTOR_THREADS
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
