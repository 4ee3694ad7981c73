"""The node's services and its Ask action: each runs its work on its lane and waits.

Query, Ask and Describe run on the reasoning lane; AddObjects, RemoveObjects and ResetMemory
(SAM 2.1 only, short) on the tracking lane.

They run in a reentrant group on the multi-threaded executor and wait for their request's
future, so a long query never stalls image intake and several requests can wait at once (up to
`max_pending_requests`; more are answered "busy").
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

import torch
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import CallbackGroup
from rclpy.node import Node
from rclpy.qos import QoSProfile
from unipixel_ros_interfaces.action import Ask
from unipixel_ros_interfaces.msg import Answer
from unipixel_ros_interfaces.srv import AddObjects, Describe, Query, RemoveObjects, ResetMemory

from unipixel_ros.errors import CancelledError, UnipixelError
from unipixel_ros.perception.live import LivePerception
from unipixel_ros.perception.records import QueryOutput
from unipixel_ros.ros.camera_inputs import CameraInput
from unipixel_ros.ros.message_conversion import header_at, prompt_spec
from unipixel_ros.ros.parameters import REQUEST_QOS
from unipixel_ros.ros.result_messages import answer_message, object_mask_message
from unipixel_ros.ros.throttled_log import ThrottledLog
from unipixel_ros.stamps import stamp_to_ns
from unipixel_ros.tracking.worker import InferenceWorker

__all__ = [
    "NO_MODEL_MESSAGE",
    "SERVICE_TYPES",
    "RequestHandlers",
    "accepting_action_server",
    "end_goal",
]

NO_MODEL_MESSAGE = (
    "no model is loaded: set the parameter model_path to a UniPixel checkpoint "
    "directory or hub id (see docs/node.md)"
)
T = TypeVar("T")
#: The node's services, by name under its namespace (``~/<name>``), and their types.
SERVICE_TYPES: dict[str, Any] = {
    "query": Query,
    "add_objects": AddObjects,
    "remove_objects": RemoveObjects,
    "reset_memory": ResetMemory,
    "describe": Describe,
}
R = TypeVar("R")
#: rclpy's own default for an action server's feedback topic.
RCLPY_FEEDBACK_QOS = QoSProfile(depth=10)


def accepting_action_server(
    node: Node,
    action_type: Any,
    name: str,
    execute_callback: Callable[[Any], Any],
    *,
    callback_group: CallbackGroup,
    feedback_qos: QoSProfile = RCLPY_FEEDBACK_QOS,
) -> ActionServer:
    """An action server that accepts every goal and every cancel (a busy lane answers in the
    result), with goals and results on ``REQUEST_QOS`` and feedback on ``feedback_qos``."""
    return ActionServer(
        node,
        action_type,
        name,
        execute_callback=execute_callback,
        goal_callback=lambda _goal: GoalResponse.ACCEPT,
        cancel_callback=lambda _goal: CancelResponse.ACCEPT,
        goal_service_qos_profile=REQUEST_QOS,
        result_service_qos_profile=REQUEST_QOS,
        feedback_pub_qos_profile=feedback_qos,
        callback_group=callback_group,
    )


def end_goal(goal_handle: Any, *, succeeded: bool) -> None:
    """Mark an executed goal succeeded, else canceled when a cancel was asked for, else
    aborted."""
    if succeeded:
        goal_handle.succeed()
    elif goal_handle.is_cancel_requested:
        goal_handle.canceled()
    else:
        goal_handle.abort()


class RequestHandlers:
    """Serves ``~/query``, ``~/add_objects``, ``~/remove_objects``, ``~/reset_memory``,
    ``~/describe`` and the ``~/ask`` action, and publishes every answer on ``~/answers``.

    Args:
        node: the node that owns the services, the action and the answers publisher.
        perception: the live perception; None (no model) answers every request with an error.
        tracking: the tracking lane (SAM-only requests); None exactly when there is no model.
        reasoning: the reasoning lane (language requests); None exactly when there is no model.
        cameras: the cameras by name, for the frame id of answers and objects.
        request_timeout_s: how long a request waits for its answer, seconds.
        callback_group: group of the services and the action.
        log: throttled warning lines.
        on_answer: receives each answer's query id and text (e.g. the overlay caption).
        reasoner: the remote reasoner a tracker's language requests wait for (named in their
            timeout message); "" in the single node.
    """

    def __init__(
        self,
        *,
        node: Node,
        perception: LivePerception | None,
        tracking: InferenceWorker[Any, Any] | None,
        reasoning: InferenceWorker[Any, Any] | None,
        cameras: Mapping[str, CameraInput],
        request_timeout_s: float,
        callback_group: CallbackGroup,
        log: ThrottledLog,
        on_answer: Callable[[str, str], None],
        reasoner: str = "",
    ) -> None:
        self._logger = node.get_logger()
        self._reasoner = reasoner
        self._perception = perception
        self._tracking = tracking
        self._reasoning = reasoning
        self._cameras = cameras
        self._timeout_s = request_timeout_s
        self._log = log
        self._on_answer = on_answer
        self._query_ids = itertools.count(1)
        self._answers = node.create_publisher(Answer, "~/answers", 10)
        handlers: dict[str, Callable[[Any, Any], Any]] = {
            "query": self._on_query,
            "add_objects": self._on_add_objects,
            "remove_objects": self._on_remove_objects,
            "reset_memory": self._on_reset_memory,
            "describe": self._on_describe,
        }
        for name, handler in handlers.items():
            node.create_service(
                SERVICE_TYPES[name],
                f"~/{name}",
                handler,
                qos_profile=REQUEST_QOS,
                callback_group=callback_group,
            )
        self._ask_server = accepting_action_server(
            node, Ask, "~/ask", self._execute_ask, callback_group=callback_group
        )

    def set_request_timeout_s(self, timeout_s: float) -> None:
        """Wait ``timeout_s`` (> 0, checked by the caller) for the answers of the next requests;
        a request that already waits keeps its timeout."""
        self._timeout_s = timeout_s

    def _run(
        self, work: Callable[[], T], response: Any, request_name: str, *, reasoning: bool = False
    ) -> T | None:
        """Run ``work`` on the reasoning lane (``reasoning``) or the tracking lane; on failure
        fill ``response`` and return None."""
        response.success = False
        lane = self._reasoning if reasoning else self._tracking
        timeout_s = self._timeout_s  # read once: a live parameter
        if self._perception is None or lane is None:
            response.message = NO_MODEL_MESSAGE
            self._log.warning("refused", f"{request_name} refused: {response.message}")
            return None
        try:
            result = lane.submit(work, name=request_name).result(timeout=timeout_s)
        except FutureTimeout:
            waiting = (
                f" waiting for the reasoner {self._reasoner}"
                if reasoning and self._reasoner
                else ""
            )
            response.message = (
                f"{request_name} timed out after {timeout_s} s{waiting}; it may "
                "still finish and change the tracked objects"
            )
            return None
        except UnipixelError as err:
            response.message = str(err)
            return None
        except Exception as err:
            response.message = f"internal error in {request_name}: {type(err).__name__}: {err}"
            self._logger.error(response.message)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            return None
        response.success = True
        return result

    def _fill_answer(
        self, response: Any, output: QueryOutput, *, query: str, started: float
    ) -> None:
        camera = output.cameras[0]
        header = header_at(output.stamp_ns, self._cameras[camera].frame_id)
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
                    view, header_at(output.stamp_ns, self._cameras[view.camera].frame_id)
                )
                for view in output.objects
            ]
        response.message = f"{len(output.objects)} object(s)"
        self._on_answer(response.answer.query_id, output.text)
        self._answers.publish(response.answer)

    def _answer(
        self, response: R, request_name: str, ask: Callable[[], QueryOutput], *, query: str
    ) -> R:
        """Run ``ask`` on the reasoning lane and fill ``response`` with its answer, or with why
        it failed."""
        started = time.monotonic()
        output = self._run(ask, response, request_name, reasoning=True)
        if output is not None:
            self._fill_answer(response, output, query=query, started=started)
        return response

    def _on_query(self, request: Query.Request, response: Query.Response) -> Query.Response:
        perception = self._perception
        return self._answer(
            response,
            "query",
            lambda: perception.query(  # type: ignore[union-attr]
                request.text,
                cameras=tuple(request.cameras),
                num_frames=request.num_frames,
                track=request.track,
            ),
            query=request.text,
        )

    def _on_add_objects(
        self, request: AddObjects.Request, response: AddObjects.Response
    ) -> AddObjects.Response:
        stamp = stamp_to_ns(request.stamp) or None
        perception = self._perception

        def add() -> tuple[list[int], list[int]]:
            prompts = [prompt_spec(p) for p in request.objects]
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
        stamp = stamp_to_ns(request.stamp) or None
        perception = self._perception
        return self._answer(
            response,
            "describe",
            lambda: perception.describe(  # type: ignore[union-attr]
                request.question,
                camera=request.camera,
                prompt=None if request.use_object_id else prompt_spec(request.prompt),
                object_id=int(request.object_id) if request.use_object_id else None,
                stamp_ns=stamp,
            ),
            query=request.question,
        )

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

        output = self._run(ask, result, "ask", reasoning=True)
        if output is not None:
            self._fill_answer(result, output, query=goal.text, started=started)
        end_goal(goal_handle, succeeded=output is not None)
        return result
