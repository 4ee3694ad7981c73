"""The tracker's language model: a `ReasoningModel` whose flows run on a reasoner elsewhere.

Each flow becomes one goal of the reasoner's Reason action (`reason_messages`); its feedback
streams the partial answer to the caller's observer, and an observer that returns False
cancels the goal. The result comes back as the `PixelAnswer` or `MemoryAnswer` the predictor
would have returned, so `LivePerception` places the objects exactly as in the single node.

Calls block the calling thread (the tracker's reasoning lane), never the tracking lane; the
action client's callbacks run on the node's executor in a group of their own (mutually
exclusive, so feedback reaches the observer in order). Faults end a call with a
`NotReadyError` that names the reasoner: not on the graph within ``connect_timeout_s``, gone
from the graph during the call, or no result within ``timeout_s``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from rclpy.action import ActionClient
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from unipixel_ros_interfaces.action import Reason

from unipixel_ros.errors import (
    BadInputError,
    BusyError,
    CancelledError,
    NotReadyError,
    UnipixelError,
)
from unipixel_ros.model.outputs import MemoryAnswer, PixelAnswer, VisualPrompt
from unipixel_ros.perception.reasoning import ReasoningFlow, ReasoningRequest
from unipixel_ros.ros.parameters import REQUEST_QOS
from unipixel_ros.ros.reason_messages import answer_from_result, goal_from_request
from unipixel_ros.ros.split_parameters import TrackerLinkParameters
from unipixel_ros.sam import FrameFeatures

__all__ = ["RemoteReasoner"]

TextObserver = Callable[[str], bool]
POLL_S = 0.05  # how often a waiting call looks at the graph and for a cancel
# Feedback is one message per token and reliable; a deep queue keeps a fast answer whole.
FEEDBACK_QOS = QoSProfile(depth=1024, reliability=ReliabilityPolicy.RELIABLE)
FEEDBACK_GRACE_S = 1.0  # feedback travels apart from the result and may arrive after it
_ERRORS: dict[int, type[UnipixelError]] = {
    Reason.Result.ERROR_BAD_INPUT: BadInputError,
    Reason.Result.ERROR_BUSY: BusyError,
    Reason.Result.ERROR_CANCELLED: CancelledError,
}


class RemoteReasoner:
    """Runs the language flows on the reasoner behind ``link.reasoner_action``.

    Args:
        node: the tracker node that owns the action client.
        link: frames, masks and the action name.
        timeout_s: longest wait for one result (the tracker's `request_timeout_s`).
    """

    def __init__(self, *, node: Node, link: TrackerLinkParameters, timeout_s: float) -> None:
        self.name = link.reasoner_action
        self._link = link
        self._timeout_s = timeout_s
        self._client: Any = ActionClient(
            node,
            Reason,
            link.reasoner_action,
            goal_service_qos_profile=REQUEST_QOS,
            result_service_qos_profile=REQUEST_QOS,
            cancel_service_qos_profile=REQUEST_QOS,
            feedback_sub_qos_profile=FEEDBACK_QOS,
            callback_group=MutuallyExclusiveCallbackGroup(),
        )

    def destroy(self) -> None:
        self._client.destroy()

    # ------------------------------------------------------------ ReasoningModel

    def segment(
        self,
        frames: np.ndarray,
        question: str,
        *,
        on_text: TextObserver | None = None,
        features: Sequence[FrameFeatures] | None = None,
    ) -> PixelAnswer:
        """Flow 1 on the reasoner (``features`` stay here: the reasoner encodes the frames)."""
        request = ReasoningRequest(flow=ReasoningFlow.SEGMENT, text=question, frames=tuple(frames))
        return self._pixel_answer(request, on_text)

    def multi_image(
        self,
        images: Sequence[np.ndarray],
        question: str,
        *,
        on_text: TextObserver | None = None,
        features: Sequence[FrameFeatures] | None = None,
    ) -> PixelAnswer:
        """Flow 4 on the reasoner."""
        request = ReasoningRequest(
            flow=ReasoningFlow.MULTI_IMAGE, text=question, frames=tuple(images)
        )
        return self._pixel_answer(request, on_text)

    def describe(
        self,
        frames: np.ndarray,
        question: str,
        prompts: Sequence[VisualPrompt],
        *,
        on_text: TextObserver | None = None,
        features: Sequence[FrameFeatures] | None = None,
    ) -> PixelAnswer:
        """Flow 2 on the reasoner."""
        request = ReasoningRequest(
            flow=ReasoningFlow.DESCRIBE, text=question, frames=tuple(frames), prompts=tuple(prompts)
        )
        return self._pixel_answer(request, on_text)

    def answer_with_memory(
        self,
        frames: np.ndarray,
        question: str,
        object_masks: Mapping[int, np.ndarray],
        *,
        on_text: TextObserver | None = None,
    ) -> MemoryAnswer:
        """Memory pass 2 on the reasoner, with the tracked objects' masks sent along."""
        request = ReasoningRequest(
            flow=ReasoningFlow.MEMORY,
            text=question,
            frames=tuple(frames),
            object_masks=dict(object_masks),
        )
        answer = self.reason(request, on_text)
        assert isinstance(answer, MemoryAnswer)  # answer_from_result's contract for MEMORY
        return answer

    # ------------------------------------------------------------ the call

    def _pixel_answer(self, request: ReasoningRequest, on_text: TextObserver | None) -> PixelAnswer:
        answer = self.reason(request, on_text)
        assert isinstance(answer, PixelAnswer)  # answer_from_result's contract for these flows
        return answer

    def reason(
        self, request: ReasoningRequest, on_text: TextObserver | None = None
    ) -> PixelAnswer | MemoryAnswer:
        """Send ``request`` as one goal and wait for its answer.

        Raises:
            NotReadyError: the reasoner is not reachable, went away, or did not answer in time.
            BusyError, BadInputError, CancelledError: the reasoner said so (or ``on_text``
                returned False, which cancels the goal).
        """
        deadline = time.monotonic() + self._timeout_s
        self._wait_for_server(deadline)
        link = self._link
        goal = goal_from_request(
            request,
            transport=link.frame_transport,
            jpeg_quality=link.reasoner_jpeg_quality,
            mask_encoding=link.mask_encoding,
        )
        stream = _Feedback(on_text)
        sent = self._client.send_goal_async(goal, feedback_callback=stream)
        handle = self._wait(sent, deadline, "accepted the goal")
        if not handle.accepted:
            raise NotReadyError(f"the reasoner {self.name} rejected the goal")
        finished = handle.get_result_async()
        try:
            response = self._wait(finished, deadline, "answered", stream=stream)
        except UnipixelError:
            handle.cancel_goal_async()  # the reasoner stops generating for nobody
            raise
        result = response.result
        if not result.success:
            kind = _ERRORS.get(result.error, NotReadyError)
            raise kind(f"the reasoner {self.name}: {result.message}")
        stream.wait_for(int(result.tokens_generated), timeout_s=FEEDBACK_GRACE_S)
        return answer_from_result(result, request.flow)

    def _wait_for_server(self, deadline: float) -> None:
        if self._client.server_is_ready():
            return
        wait_s = min(self._link.reasoner_connect_timeout_s, max(0.0, deadline - time.monotonic()))
        if not self._client.wait_for_server(timeout_sec=wait_s):
            raise NotReadyError(
                f"the reasoner {self.name} is not reachable: no action server appeared within "
                f"{wait_s:.1f} s (is unipixel_reasoner running, on the same ROS_DOMAIN_ID and "
                "discovery settings? see docs/deployment.md)"
            )

    def _wait(
        self, future: Any, deadline: float, what: str, *, stream: _Feedback | None = None
    ) -> Any:
        """``future``'s result, looking at the graph and the observer until ``deadline``."""
        done = threading.Event()
        future.add_done_callback(lambda _future: done.set())
        while not done.wait(POLL_S):
            if stream is not None and stream.cancelled.is_set():
                raise CancelledError("the request was cancelled while the reasoner generated")
            if not self._client.server_is_ready():
                raise NotReadyError(
                    f"the reasoner {self.name} went away before it {what} (its action server "
                    "left the graph)"
                )
            if time.monotonic() > deadline:
                raise NotReadyError(
                    f"the reasoner {self.name} has not {what} within {self._timeout_s:.1f} s"
                )
        return future.result()


class _Feedback:
    """The goal's feedback callback: forwards partial answers, counts them, notes a cancel."""

    def __init__(self, observer: TextObserver | None) -> None:
        self._observer = observer
        self._count = 0
        self._changed = threading.Condition()
        self.cancelled = threading.Event()

    def __call__(self, message: Any) -> None:
        keep_going = True
        if self._observer is not None and not self.cancelled.is_set():
            keep_going = self._observer(message.feedback.partial_answer)
        with self._changed:
            self._count += 1
            self._changed.notify_all()
        if not keep_going:
            self.cancelled.set()

    def wait_for(self, count: int, *, timeout_s: float) -> None:
        """Wait until ``count`` messages arrived (or ``timeout_s`` passed)."""
        with self._changed:
            self._changed.wait_for(lambda: self._count >= count, timeout=timeout_s)
