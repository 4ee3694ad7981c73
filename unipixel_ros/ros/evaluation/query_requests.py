"""The requests an evaluation sends to the node, one kind per spec query, and their answers.

* ``segment``: the Query service with ``track: false``; its masks are the answer.
* ``track`` with text: the Query service with ``track: true``; its masks on that frame, then the
  named objects' masks on ``~/masks`` for every later frame.
* ``track`` with a click: AddObjects with the click point on that frame's stamp, then the new
  object's masks on ``~/masks`` for every later frame (AddObjects returns no mask).
* ``choice``: Describe with the click point as the object's prompt and ``<region>`` replaced
  by ``[0]``; or, with ``describe_tracked``, Describe by the id of the object a click track of
  the same run created (its tracked masks become memory).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point
from unipixel_ros_interfaces.msg import ObjectPrompt
from unipixel_ros_interfaces.srv import AddObjects, Describe, Query

from unipixel_ros.evaluation.reports.run_report import RequestRecord
from unipixel_ros.evaluation.scoring.evaluate import QueryPrediction
from unipixel_ros.evaluation.scoring.queries import Query as SpecQuery
from unipixel_ros.evaluation.scoring.queries import QueryKind, QuerySpec
from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.evaluation.frame_replay import PublishedFrame
from unipixel_ros.ros.evaluation.result_recorder import ResultRecorder, mask_from_message
from unipixel_ros.stamps import ns_to_sec_nanosec, stamp_to_ns
from unipixel_ros.synthetic.scene_queries import REGION_PLACEHOLDER

__all__ = ["QueryRequests", "TrackedQuery"]


@dataclass
class TrackedQuery:
    """Objects a track query created: their ids, and the first frame scored from ``~/masks``."""

    object_ids: tuple[int, ...]
    first_recorded_frame: int


class QueryRequests:
    """Asks the spec's queries through ``client`` and keeps what the node answered.

    Args:
        client: The client whose node calls the perception node's services.
        spec: The query spec of the replayed bag.
        describe_tracked: Ask choice questions about clicked objects by their tracked id.
        timeout_s: Longest wait for one request's answer.
    """

    def __init__(
        self,
        *,
        client: UnipixelClient,
        spec: QuerySpec,
        describe_tracked: bool,
        timeout_s: float,
    ) -> None:
        self._client = client
        self._spec = spec
        self._describe_tracked = describe_tracked
        self._timeout_s = timeout_s
        self._shape = (spec.height, spec.width)
        self._requests: list[RequestRecord] = []
        self._first_masks: dict[str, tuple[int, np.ndarray]] = {}
        self._tracked: dict[str, TrackedQuery] = {}
        self._answers: dict[str, str] = {}
        self._clicked_objects: dict[int, int] = {}
        self._frame_of_stamp = {stamp: index for index, stamp in enumerate(spec.stamps_ns)}

    @property
    def records(self) -> tuple[RequestRecord, ...]:
        """Every request sent so far, in order."""
        return tuple(self._requests)

    def ask(self, query: SpecQuery, frame: PublishedFrame) -> None:
        """Send ``query`` on ``frame`` (the frame the replay paused on)."""
        if query.kind is QueryKind.CHOICE:
            self._ask_choice(query, frame)
        elif query.text is not None:
            self._ask_text(query, frame, track=query.kind is QueryKind.TRACK)
        else:
            self._click(query, frame)

    def _call(self, service: str, request: Any) -> tuple[Any, float]:
        sent = time.monotonic()
        response = self._client.call(service, request, timeout_s=self._timeout_s)
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
            self._tracked[query.query_id] = TrackedQuery(ids, start + 1)
        self._answers[query.query_id] = answer.answer
        self._requests.append(
            _succeeded(query, "query", text, response, round_trip, index, ids, answer)
        )

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
        self._tracked[query.query_id] = TrackedQuery(ids, frame.index + 1)
        if len(query.expected_ids) == 1 and ids:
            self._clicked_objects[query.expected_ids[0]] = ids[0]
        self._requests.append(
            _succeeded(query, "add_objects", described, response, round_trip, frame.index, ids)
        )

    def _ask_choice(self, query: SpecQuery, frame: PublishedFrame) -> None:
        question = (query.text or "").replace(REGION_PLACEHOLDER, "[0]")
        tracked = self._clicked_objects.get(query.region_id) if query.region_id else None
        if self._describe_tracked and tracked is not None:
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
            _succeeded(query, "describe", described, response, round_trip, index, ids, answer)
        )

    def predictions(self, recorder: ResultRecorder) -> tuple[QueryPrediction, ...]:
        """Every spec query's masks per frame (from its answer, then from ``~/masks``) and
        answer text, once the replay is over."""
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
                    frame = recorder.frame(self._spec.stamps_ns[index])
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


def _succeeded(
    query: SpecQuery,
    service: str,
    request: str,
    response: Any,
    round_trip_ms: float,
    index: int | None,
    ids: tuple[int, ...],
    answer: Any = None,
) -> RequestRecord:
    """The record of a successful request; ``answer`` is its Answer message (AddObjects has
    none)."""
    return RequestRecord(
        query_id=query.query_id,
        service=service,
        request=request,
        success=True,
        message=response.message,
        answer="" if answer is None else answer.answer,
        frame_index=index,
        object_ids=ids,
        total_ms=None if answer is None else float(answer.total_ms),
        model_ms=None if answer is None else float(answer.model_ms),
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
