"""The reasoner of a split deployment: the whole UniPixel, serving trackers over one action.

`unipixel_reasoner` (docs/deployment.md) offers ``~/reason`` (`unipixel_ros_interfaces/Reason`):
a flow, its text, the frames (JPEG or raw) and, for memory questions, the objects' masks. It
answers with the text and one mask per named object on the frames it was given, streaming the
partial answer as feedback; a cancelled goal stops generating. Any number of trackers may share
it: goals run one at a time on its reasoning lane, and beyond `max_pending_requests` waiting
goals are answered busy, as the single node answers requests.

Threads: goals are decoded in a reentrant group on the multi-threaded executor and wait there
for their turn on the reasoning lane (`InferenceWorker`), which alone runs the model.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import torch
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.exceptions import ParameterException
from rclpy.node import Node
from unipixel_ros_interfaces.action import Reason

from unipixel_ros.errors import (
    BadInputError,
    BusyError,
    CancelledError,
    ConfigError,
    NotReadyError,
    UnipixelError,
)
from unipixel_ros.model import UniPixelPredictor
from unipixel_ros.perception.config import PerceptionConfig
from unipixel_ros.perception.factory import build_perception
from unipixel_ros.perception.reasoning import serve_request
from unipixel_ros.ros.perception_node import spin_node
from unipixel_ros.ros.reason_messages import mask_encoding_of, request_from_goal, result_from_answer
from unipixel_ros.ros.remote_reasoner import FEEDBACK_QOS
from unipixel_ros.ros.request_handlers import (
    NO_MODEL_MESSAGE,
    accepting_action_server,
    end_goal,
)
from unipixel_ros.ros.split_parameters import (
    REASONER_NODE_NAME,
    ReasonerParameters,
    declare_and_read_dataclass,
)
from unipixel_ros.tracking.worker import InferenceWorker

__all__ = ["ReasonerNode", "main"]

SPARE_EXECUTOR_THREADS = 3  # the running goal, the timer, cancel requests


class ReasonerNode(Node):
    """Serves ``~/reason`` with the UniPixel named by `model_path`; /diagnostics shows its lane."""

    def __init__(self, **node_kwargs: Any) -> None:
        self._lane: InferenceWorker[None, None] | None = None
        try:
            super().__init__(REASONER_NODE_NAME, **node_kwargs)
        except ParameterException as err:
            raise ConfigError(f"parameter {err}") from err
        self.params = declare_and_read_dataclass(self, ReasonerParameters)
        params = self.params
        self._built = None
        if params.model_path:
            started = time.monotonic()
            self._built = build_perception(
                model_path=params.model_path,
                device=params.device,
                backend=params.backend,
                config=PerceptionConfig(),
            )
            for warning in self._built.warnings:
                self.get_logger().warning(warning)
            self.get_logger().info(
                f"{self._built.backend_report}; loaded {self._built.description} in "
                f"{time.monotonic() - started:.1f} s"
            )
            # The one thread that runs the model; goals queue for it (back-pressure: busy).
            self._lane = InferenceWorker(
                process_frame=None,
                max_pending_requests=params.max_pending_requests,
                name="unipixel-reasoning",
            )
            self._lane.use_device(self._built.perception.sam2.device)
            self._lane.start()
        group = ReentrantCallbackGroup()
        self._server = accepting_action_server(
            self, Reason, "~/reason", self._execute, callback_group=group, feedback_qos=FEEDBACK_QOS
        )
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(params.diagnostics_period_s, self._publish_diagnostics)
        self.get_logger().info(
            f"serving {self.resolve_action_name()}; model: "
            f"{self._built.description if self._built else 'none'}"
        )

    def resolve_action_name(self) -> str:
        return f"{self.get_fully_qualified_name()}/reason"

    @property
    def executor_threads(self) -> int:
        return self.params.max_pending_requests + SPARE_EXECUTOR_THREADS

    def destroy_node(self) -> None:
        if self._lane is not None:
            self._lane.stop()
        super().destroy_node()

    def _execute(self, goal_handle: Any) -> Reason.Result:
        started = time.perf_counter()
        goal = goal_handle.request
        tokens = itertools.count(1)
        generated = 0

        def stream(text: str) -> bool:
            nonlocal generated
            generated = next(tokens)
            goal_handle.publish_feedback(
                Reason.Feedback(partial_answer=text, tokens_generated=generated)
            )
            return not goal_handle.is_cancel_requested

        try:
            if self._built is None or self._lane is None:
                raise NotReadyError(NO_MODEL_MESSAGE)
            request = request_from_goal(goal)
            encoding = mask_encoding_of(goal)
            predictor = self._built.perception.predictor
            assert isinstance(predictor, UniPixelPredictor)  # build_perception loads one
            encoder = self._built.perception.frame_encoder

            def work() -> Reason.Result:
                if goal_handle.is_cancel_requested:
                    raise CancelledError("the goal was cancelled before it started")
                answer = serve_request(predictor, encoder, request, on_text=stream)
                return result_from_answer(
                    answer,
                    mask_encoding=encoding,
                    tokens_generated=generated,
                    model_ms=(time.perf_counter() - started) * 1000.0,
                )

            result = self._lane.submit(work, name=request.flow.name.lower()).result()
        except BadInputError as err:
            result = _failure(Reason.Result.ERROR_BAD_INPUT, str(err))
        except BusyError as err:
            result = _failure(Reason.Result.ERROR_BUSY, f"busy: {err}")
        except CancelledError as err:
            result = _failure(Reason.Result.ERROR_CANCELLED, str(err))
        except UnipixelError as err:
            result = _failure(Reason.Result.ERROR_NOT_READY, str(err))
        except Exception as err:  # e.g. CUDA out of memory: this goal fails, the node serves on
            message = f"internal error: {type(err).__name__}: {err}"
            self.get_logger().error(message)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            result = _failure(Reason.Result.ERROR_INTERNAL, message)
        end_goal(goal_handle, succeeded=result.success)
        return result

    def _publish_diagnostics(self) -> None:
        stats = self._lane.stats() if self._lane is not None else None
        status = DiagnosticStatus(name=f"{self.get_name()}: reasoning")
        status.hardware_id = self._built.description if self._built else "none"
        if self._built is None:
            status.level, status.message = DiagnosticStatus.WARN, "no model loaded"
        else:
            status.level, status.message = DiagnosticStatus.OK, "serving"
        running = "idle"
        if stats is not None and stats.running:
            running = f"{stats.running} ({stats.running_s:.1f} s)"
        pairs = {
            "requests_done": stats.requests_done if stats else 0,
            "requests_rejected_busy": stats.requests_rejected if stats else 0,
            "reasoning_requests_waiting": stats.requests_waiting if stats else 0,
            "reasoning_now": running,
            "backend": self._built.backend if self._built else "none",
            "model_loaded": self._built is not None,
            "random_weights": self._built.random_weights if self._built else False,
        }
        status.values = [KeyValue(key=k, value=str(v)) for k, v in pairs.items()]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diagnostics.publish(array)


def _failure(error: int, message: str) -> Reason.Result:
    return Reason.Result(success=False, error=error, message=message)


def main(args: list[str] | None = None) -> None:
    """Run the reasoner until Ctrl-C or an external shutdown."""
    spin_node(ReasonerNode, threads=lambda node: node.executor_threads, args=args)


if __name__ == "__main__":
    main()
