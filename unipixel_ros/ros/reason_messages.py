"""Reason action messages <-> the core's reasoning records (`unipixel_ros.perception.reasoning`).

The tracker side turns a `ReasoningRequest` into a goal (`goal_from_request`) and the result
back into the `PixelAnswer` or `MemoryAnswer` the predictor would have returned
(`answer_from_result`); the reasoner side does the reverse (`request_from_goal`,
`result_from_answer`). Everything but JPEG frames crosses unchanged.
"""

from __future__ import annotations

import numpy as np
from std_msgs.msg import Header
from unipixel_ros_interfaces.action import Reason
from unipixel_ros_interfaces.msg import ReasonedObject
from unipixel_ros_interfaces.msg import VisualPrompt as VisualPromptMsg

from unipixel_ros.errors import BadInputError
from unipixel_ros.model.outputs import MemoryAnswer, ObjectTrack, PixelAnswer, VisualPrompt
from unipixel_ros.perception.reasoning import ReasoningFlow, ReasoningRequest
from unipixel_ros.ros.reason_encoding import (
    FrameTransport,
    MaskEncoding,
    decode_mask,
    encode_mask,
    frame_to_jpeg,
    frame_to_raw,
    frames_from_goal,
)

__all__ = ["answer_from_result", "goal_from_request", "request_from_goal", "result_from_answer"]


def goal_from_request(
    request: ReasoningRequest,
    *,
    transport: FrameTransport,
    jpeg_quality: int,
    mask_encoding: MaskEncoding,
) -> Reason.Goal:
    """The Reason goal of ``request``, frames sent as ``transport``."""
    goal = Reason.Goal(
        flow=request.flow.value, text=request.text, mask_encoding=mask_encoding.value
    )
    if transport is FrameTransport.JPEG:
        goal.jpeg_frames = [
            frame_to_jpeg(f, Header(), quality=jpeg_quality) for f in request.frames
        ]
    else:
        goal.raw_frames = [frame_to_raw(f, Header()) for f in request.frames]
    goal.prompts = [
        VisualPromptMsg(
            frame_index=p.frame_index,
            point=list(p.point) if p.point is not None else [],
            box=list(p.box) if p.box is not None else [],
        )
        for p in request.prompts
    ]
    goal.memory_object_ids = list(request.object_masks)
    goal.memory_masks = [
        encode_mask(mask, mask_encoding)
        for masks in request.object_masks.values()
        for mask in masks
    ]
    return goal


def request_from_goal(goal: Reason.Goal) -> ReasoningRequest:
    """The `ReasoningRequest` a goal carries.

    Raises:
        BadInputError: an unknown flow or mask encoding, frames that do not decode, prompts or
            masks that do not fit the frames.
    """
    try:
        flow = ReasoningFlow(goal.flow)
    except ValueError as err:
        allowed = [f.value for f in ReasoningFlow]
        raise BadInputError(f"flow {goal.flow} is not one of {allowed}") from err
    frames = frames_from_goal(list(goal.jpeg_frames), list(goal.raw_frames))
    prompts = tuple(_visual_prompt(p) for p in goal.prompts)
    ids = [int(i) for i in goal.memory_object_ids]
    if len(goal.memory_masks) != len(ids) * len(frames):
        raise BadInputError(
            f"{len(goal.memory_masks)} memory masks for {len(ids)} objects on {len(frames)} "
            f"frames; expected {len(ids) * len(frames)} (one per object and frame)"
        )
    masks = [decode_mask(m) for m in goal.memory_masks]
    count = len(frames)
    object_masks = {i: np.stack(masks[k * count : (k + 1) * count]) for k, i in enumerate(ids)}
    return ReasoningRequest(
        flow=flow, text=goal.text, frames=frames, prompts=prompts, object_masks=object_masks
    )


def mask_encoding_of(goal: Reason.Goal) -> MaskEncoding:
    """The mask encoding a goal asks for (PNG when it names none)."""
    try:
        return MaskEncoding(goal.mask_encoding or MaskEncoding.PNG.value)
    except ValueError as err:
        allowed = [e.value for e in MaskEncoding]
        raise BadInputError(
            f"mask_encoding {goal.mask_encoding!r} is not one of {allowed}"
        ) from err


def result_from_answer(
    answer: PixelAnswer | MemoryAnswer,
    *,
    mask_encoding: MaskEncoding,
    tokens_generated: int,
    model_ms: float,
) -> Reason.Result:
    """A successful Reason result holding ``answer``."""
    result = Reason.Result(
        success=True,
        message="",
        answer=answer.text,
        tokens_generated=tokens_generated,
        model_ms=model_ms,
    )
    if isinstance(answer, MemoryAnswer):
        result.memory_prompt = answer.prompt
        slots = answer.slots_per_object
        result.memory_slot_object_ids = list(slots)
        result.memory_slot_counts = [len(s) for s in slots.values()]
        result.memory_slots = [slot for s in slots.values() for slot in s]
        return result
    result.frame_indices = list(answer.frame_indices)
    result.mask_frame_indices = list(answer.mask_frame_indices)
    result.objects = [
        ReasonedObject(
            object_id=-1 if track.object_id is None else track.object_id,
            from_prompt=track.from_prompt,
            object_scores=track.object_scores.astype(np.float32).tolist(),
            masks=[encode_mask(m, mask_encoding) for m in track.masks],
        )
        for track in answer.tracks
    ]
    return result


def answer_from_result(result: Reason.Result, flow: ReasoningFlow) -> PixelAnswer | MemoryAnswer:
    """The predictor's answer a successful result carries (`MemoryAnswer` for MEMORY).

    Raises:
        BadInputError: the result's masks or slots are inconsistent.
    """
    if flow is ReasoningFlow.MEMORY:
        counts = [int(c) for c in result.memory_slot_counts]
        if sum(counts) != len(result.memory_slots) or len(counts) != len(
            result.memory_slot_object_ids
        ):
            raise BadInputError("the reasoner's memory slots do not match their counts")
        slots: dict[int, tuple[int, ...]] = {}
        start = 0
        for object_id, count in zip(result.memory_slot_object_ids, counts, strict=True):
            slots[int(object_id)] = tuple(
                int(s) for s in result.memory_slots[start : start + count]
            )
            start += count
        return MemoryAnswer(
            text=result.answer,
            localization=None,
            slots_per_object=slots,
            prompt=result.memory_prompt,
        )
    mask_frames = tuple(int(i) for i in result.mask_frame_indices)
    tracks = []
    for obj in result.objects:
        if len(obj.masks) != len(mask_frames) or len(obj.object_scores) != len(mask_frames):
            raise BadInputError(
                f"the reasoner sent {len(obj.masks)} masks and {len(obj.object_scores)} scores "
                f"for an object on {len(mask_frames)} mask frames"
            )
        tracks.append(
            ObjectTrack(
                object_id=None if obj.object_id < 0 else int(obj.object_id),
                from_prompt=bool(obj.from_prompt),
                masks=tuple(decode_mask(m) for m in obj.masks),
                object_scores=np.asarray(obj.object_scores, dtype=np.float32),
            )
        )
    return PixelAnswer(
        text=result.answer,
        tracks=tuple(tracks),
        frame_indices=tuple(int(i) for i in result.frame_indices),
        mask_frame_indices=mask_frames,
    )


def _visual_prompt(message: VisualPromptMsg) -> VisualPrompt:
    point = tuple(float(v) for v in message.point)
    box = tuple(float(v) for v in message.box)
    if len(point) not in (0, 2) or len(box) not in (0, 4):
        raise BadInputError(
            f"a visual prompt has a point of {len(point)} and a box of {len(box)} values; "
            "expected (x, y) or (x0, y0, x1, y1)"
        )
    return VisualPrompt(
        frame_index=int(message.frame_index),
        point=point or None,  # type: ignore[arg-type]
        box=box or None,  # type: ignore[arg-type]
    )
