"""Live perception: camera streams, a tracker per camera, and UniPixel queries over them.

This is the predictor-level core the ROS node drives (ROS-free), in two lanes
(`unipixel_ros.perception.lanes`): `push_frame`, `add_objects`, `remove_objects` and `reset`
run on the tracking lane; `query` and `describe` run on the reasoning lane and reach the
trackers only through the tracking lane (a snapshot, then placing the answer's objects).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import torch

from unipixel_ros.errors import BadInputError, ConfigError, NotReadyError
from unipixel_ros.model import UniPixelPredictor
from unipixel_ros.model.outputs import ObjectTrack
from unipixel_ros.perception.cameras import CameraStream
from unipixel_ros.perception.config import PerceptionConfig
from unipixel_ros.perception.lanes import (
    CameraSnapshot,
    InlineTrackingLane,
    TrackingLane,
    frame_features,
)
from unipixel_ros.perception.object_registry import ObjectRegistry
from unipixel_ros.perception.prompt_conversion import sam_prompt, visual_prompt
from unipixel_ros.perception.reasoning import ReasoningModel
from unipixel_ros.perception.records import FrameOutput, ObjectPromptSpec, ObjectView, QueryOutput
from unipixel_ros.sam import MaskPrompt, Sam2Model
from unipixel_ros.tracking import FrameEncoder, StreamingTracker
from unipixel_ros.tracking.batched_step import TrackingStepRunner

__all__ = ["FORBIDDEN_QUERY_TOKENS", "LivePerception"]

# Chat-template and vision tokens a request must not smuggle into the prompt.
FORBIDDEN_QUERY_TOKENS = (
    "<|im_start|>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|video_pad|>",
    "<|image_pad|>",
    "<|ref|>",
    "<|mem|>",
)
DEFAULT_DESCRIBE_QUESTION = "Please describe [0] briefly."


class LivePerception:
    """Camera frames in; tracked objects, answers and new objects out.

    Args:
        predictor: the language model: the UniPixel predictor (its SAM 2.1 model also runs
            every tracker unless ``sam2`` is given), or a remote reasoner (split deployment).
        config: cameras and capacities.
        sam2: SAM 2.1 of the trackers; None takes the predictor's (a `UniPixelPredictor`).
        frame_encoder: the image-encoder pass every camera's tracker runs per frame (shared);
            eager by default.
        tracking_step: the batched tracking step every camera's tracker runs per frame
            (shared; each tracker keeps its own preallocated memory); None: the package's
            ``track_step`` per memory layout.
        tracking_lane: where the trackers live; the reasoning methods take their snapshots and
            place their objects through it. Inline (the caller's thread) by default.
    """

    def __init__(
        self,
        *,
        predictor: UniPixelPredictor | ReasoningModel,
        config: PerceptionConfig,
        sam2: Sam2Model | None = None,
        frame_encoder: FrameEncoder | None = None,
        tracking_lane: TrackingLane | None = None,
        tracking_step: TrackingStepRunner | None = None,
    ) -> None:
        if sam2 is None:
            if not isinstance(predictor, UniPixelPredictor):
                raise ConfigError(
                    f"LivePerception needs sam2 with a {type(predictor).__name__} predictor"
                )
            sam2 = predictor.model.sam2
        self.predictor = predictor
        self.sam2 = sam2
        self.config = config
        self.tracking_lane: TrackingLane = tracking_lane or InlineTrackingLane()
        self.frame_encoder = frame_encoder or FrameEncoder(model=sam2)
        self._cameras = {
            name: CameraStream(
                name=name,
                tracker=StreamingTracker(
                    model=sam2,
                    config=config.tracker,
                    encoder=self.frame_encoder,
                    step=tracking_step,
                ),
                stamp_capacity=config.stamp_capacity,
            )
            for name in config.cameras
        }
        self._objects = ObjectRegistry()

    def set_request_limits(self, *, query_frames: int, max_query_chars: int) -> None:
        """The default frame count and the longest text of the requests that start from now on.

        Any thread: the new `PerceptionConfig` is checked, then swapped in whole.

        Raises:
            ConfigError: ``query_frames`` is not in 1..ring_capacity, or ``max_query_chars`` < 1.
        """
        self.config = replace(
            self.config, query_frames=query_frames, max_query_chars=max_query_chars
        )

    # ------------------------------------------------------------------ frames

    def push_frame(self, camera: str, rgb: np.ndarray, stamp_ns: int) -> FrameOutput:
        """Track every object of ``camera`` onto a new frame.

        Args:
            camera: a configured camera name.
            rgb (`np.ndarray` of shape `(H, W, 3)`, uint8).
            stamp_ns: the frame's stamp, kept so prompts can name the frame.
        """
        cam = self._camera(camera)
        result = cam.tracker.push_frame(rgb)
        cam.remember(stamp_ns, result.frame_index, rgb)
        return FrameOutput(
            camera=camera,
            frame_index=result.frame_index,
            stamp_ns=stamp_ns,
            objects=self._objects.views(camera, result, rgb.shape[:2]),
        )

    # ------------------------------------------------------------------ requests

    def query(
        self,
        text: str,
        *,
        cameras: Sequence[str] = (),
        num_frames: int = 0,
        track: bool = True,
        on_text: Callable[[str], bool] | None = None,
    ) -> QueryOutput:
        """Answer ``text`` over recent frames and name the objects it refers to.

        One camera: the last ``num_frames`` ring frames (0: ``query_frames``) as a video.
        Several cameras: the latest frame of each as one multi-image query (PRIMA); each
        object is reported on every camera where its mask is not empty.

        Raises:
            BadInputError: empty, oversized or unsafe text; unknown or repeated camera; bad
                frame count.
            NotReadyError: a camera has no frame yet.
            CancelledError: ``on_text`` returned False.
        """
        self._check_text(text)
        names = tuple(cameras) or (self.config.cameras[0],)
        if len(set(names)) != len(names):
            raise BadInputError(f"cameras must not repeat: {list(names)}")
        count = num_frames or self.config.query_frames
        capacity = self.config.tracker.ring_capacity
        if not 1 <= count <= capacity:
            raise BadInputError(f"num_frames is {num_frames}; use 0 (default) or 1..{capacity}")
        per_camera = count if len(names) == 1 else 1
        snapshots = self.tracking_lane.run(
            lambda: tuple(self._snapshot(self._camera(n), per_camera) for n in names)
        )
        tokens = _TokenCounter(on_text)
        started = time.perf_counter()
        if len(snapshots) == 1:
            (only,) = snapshots
            answer = self.predictor.segment(
                only.images(), text, on_text=tokens, features=frame_features(only.frames)
            )
            placements = [
                (only, track_.masks[-1], float(track_.object_scores[-1]))
                for track_ in answer.tracks
            ]
        else:
            latest = [s.last for s in snapshots]
            answer = self.predictor.multi_image(
                [f.image for f in latest], text, on_text=tokens, features=frame_features(latest)
            )
            placements = [
                (snapshot, track_.masks[i], float(track_.object_scores[i]))
                for track_ in answer.tracks
                for i, snapshot in enumerate(snapshots)
                if _present(track_, i)
            ]
        model_ms = _ms_since(started)
        started = time.perf_counter()
        label = text.strip()
        objects = self.tracking_lane.run(
            lambda: tuple(
                self._place(snapshot, mask, score, label=label, track=track)
                for snapshot, mask, score in placements
            )
        )
        return QueryOutput(
            text=answer.text,
            objects=objects,
            referenced_ids=(),
            cameras=names,
            stamp_ns=snapshots[0].stamp_ns,
            num_frames=sum(len(s.frames) for s in snapshots),
            tokens_generated=tokens.count,
            model_ms=model_ms,
            tracking_ms=_ms_since(started),
        )

    def add_objects(
        self, prompts: Sequence[ObjectPromptSpec], *, camera: str = "", stamp_ns: int | None = None
    ) -> tuple[ObjectView, ...]:
        """Start tracking one object per prompt, prompted on a recent frame.

        Args:
            prompts: one per object, in frame pixels.
            camera: camera name ("" is the default camera when it is configured so).
            stamp_ns: the prompted frame's stamp; None for the latest frame.

        Returns:
            The new objects, with their masks on the prompted frame.
        """
        if not prompts:
            raise BadInputError("add_objects needs at least one object prompt")
        cam = self._camera(camera or self.config.cameras[0])
        if cam.latest is None:
            raise NotReadyError(f"no frame from camera {cam.name!r} has arrived yet")
        frame_index = cam.frame_at(stamp_ns)
        index = cam.tracker.latest_frame_index if frame_index is None else frame_index
        image = cam.latest[1] if frame_index is None else cam.tracker.ring.get(frame_index).image
        height, width = image.shape[:2]
        for prompt in prompts:
            prompt.check_inside(width, height)
        size = self.sam2.image_size
        cam.tracker.bank.check_room(len(prompts))
        views = []
        for prompt in prompts:
            result = cam.tracker.add_objects(
                sam_prompt(prompt, height=height, width=width, image_size=size),
                frame_index=index,
            )
            views.append(
                self._objects.register(cam.name, result, (height, width), label=prompt.label)
            )
        return tuple(views)

    def remove_objects(self, object_ids: Sequence[int]) -> tuple[int, ...]:
        """Forget objects; unknown ids fail the whole request and nothing is removed."""
        object_ids = list(dict.fromkeys(object_ids))
        for known in self._objects.remove(object_ids):
            if known.local_id is not None:
                self._cameras[known.camera].tracker.remove_object(known.local_id)
        return tuple(object_ids)

    def reset(self) -> None:
        """Forget every object and frame of every camera; ids keep counting up."""
        for cam in self._cameras.values():
            cam.tracker.reset()
            cam.stamps.clear()
            cam.latest = None
        self._objects.clear()

    def describe(
        self,
        question: str,
        *,
        camera: str = "",
        prompt: ObjectPromptSpec | None = None,
        object_id: int | None = None,
        stamp_ns: int | None = None,
        on_text: Callable[[str], bool] | None = None,
    ) -> QueryOutput:
        """Answer a question about one object, called ``[0]`` in the question.

        With ``prompt`` the object is given by a point or box (a ``<|ref|>`` prompt on the
        frame at ``stamp_ns``); with ``object_id`` it is a tracked object, and its tracked
        masks over the ring become ``<|mem|>`` memory. An empty question asks for a short
        description.
        """
        question = question.strip() or DEFAULT_DESCRIBE_QUESTION
        self._check_text(question)
        if (prompt is None) == (object_id is None):
            raise BadInputError("describe needs exactly one of a prompt and an object id")
        if "[0]" not in question:
            question = f"About [0]: {question}"
        tokens = _TokenCounter(on_text)
        described: tuple[int, ...] = ()
        if prompt is not None:
            snapshot, position = self.tracking_lane.run(
                lambda: self._prompt_snapshot(camera, prompt, stamp_ns)
            )
            started = time.perf_counter()
            answer = self.predictor.describe(
                snapshot.images(),
                question.replace("[0]", "[0] <|ref|>", 1),
                [visual_prompt(prompt, position)],
                on_text=tokens,
                features=frame_features(snapshot.frames),
            )
            text = answer.text
        else:
            assert object_id is not None  # exactly one of prompt and object_id, checked above
            tracked_id = int(object_id)
            snapshot = self.tracking_lane.run(lambda: self._object_snapshot(tracked_id))
            started = time.perf_counter()
            assert snapshot.masks is not None  # an object snapshot always has its masks
            memory = self.predictor.answer_with_memory(
                snapshot.images(), question, {0: snapshot.masks}, on_text=tokens
            )
            text, described = memory.text, (tracked_id,)
        return QueryOutput(
            text=text,
            objects=(),
            referenced_ids=described,
            cameras=(snapshot.camera,),
            stamp_ns=snapshot.stamp_ns,
            num_frames=len(snapshot.frames),
            tokens_generated=tokens.count,
            model_ms=_ms_since(started),
            tracking_ms=0.0,
        )

    # ------------------------------------------------------------------ state

    def tracked_ids(self) -> list[int]:
        """Ids of the objects being tracked, in channel order."""
        return self._objects.tracked_ids()

    # ------------------------------------------------------------------ internals

    def _camera(self, name: str) -> CameraStream:
        cam = self._cameras.get(name)
        if cam is None:
            raise BadInputError(f"unknown camera {name!r}; configured: {list(self._cameras)}")
        return cam

    def _check_text(self, text: str) -> None:
        if not text.strip():
            raise BadInputError("the query text is empty")
        limit = self.config.max_query_chars
        if len(text) > limit:
            raise BadInputError(f"the query has {len(text)} characters; the limit is {limit}")
        found = [token for token in FORBIDDEN_QUERY_TOKENS if token in text]
        if found:
            raise BadInputError(f"the query contains reserved tokens {found}")

    def _snapshot(self, cam: CameraStream, count: int) -> CameraSnapshot:
        """The last ``count`` ring frames of ``cam`` (tracking lane)."""
        frames = tuple(cam.recent_frames(count))
        return CameraSnapshot(
            camera=cam.name, frames=frames, stamp_ns=cam.stamp_of(frames[-1].frame_index)
        )

    def _prompt_snapshot(
        self, camera: str, prompt: ObjectPromptSpec, stamp_ns: int | None
    ) -> tuple[CameraSnapshot, int]:
        """The frames a Describe with a prompt reads, and the prompted one's position in them."""
        cam = self._camera(camera or self.config.cameras[0])
        snapshot = self._snapshot(cam, self.config.query_frames)
        wanted = cam.frame_at(stamp_ns)
        position = len(snapshot.frames) - 1
        if wanted is not None:
            indices = [f.frame_index for f in snapshot.frames]
            if wanted not in indices:
                raise BadInputError(
                    f"the frame with stamp {stamp_ns} ns is older than the last "
                    f"{len(indices)} frames that describe looks at; use a newer stamp or 0"
                )
            position = indices.index(wanted)
        height, width = snapshot.frames[position].image.shape[:2]
        prompt.check_inside(width, height)
        return snapshot, position

    def _object_snapshot(self, object_id: int) -> CameraSnapshot:
        """A tracked object's ring frames and its masks on them (tracking lane)."""
        known = self._objects.get(object_id)
        if known is None or known.local_id is None:
            raise BadInputError(f"object {object_id} is not tracked; tracked: {self.tracked_ids()}")
        cam = self._cameras[known.camera]
        ring = cam.tracker.ring_masks((known.local_id,))
        snapshot = self._snapshot(cam, len(ring.frame_indices))
        keep = [ring.frame_indices.index(f.frame_index) for f in snapshot.frames]
        return CameraSnapshot(
            camera=snapshot.camera,
            frames=snapshot.frames,
            stamp_ns=snapshot.stamp_ns,
            masks=ring.masks[0, keep].numpy(),
        )

    def _place(
        self,
        snapshot: CameraSnapshot,
        mask: np.ndarray,
        score: float,
        *,
        label: str,
        track: bool,
    ) -> ObjectView:
        """Register an object a query named on the snapshot's last frame (tracking lane); with
        ``track`` the tracker follows its mask, caught up to the newest frame from the cached
        features of the frames tracked since."""
        cam = self._cameras[snapshot.camera]
        if track and mask.any():
            result = cam.tracker.add_objects(
                MaskPrompt(masks=torch.from_numpy(mask[None].copy())),
                frame_index=snapshot.last.frame_index,
                features=snapshot.last.features,
            )
            return self._objects.register(cam.name, result, mask.shape, label=label)
        return self._objects.register_untracked(cam.name, mask, score, label=label)


class _TokenCounter:
    """Forwards streamed text to the caller's observer and counts the tokens."""

    def __init__(self, observer: Callable[[str], bool] | None) -> None:
        self._observer = observer
        self.count = 0

    def __call__(self, text: str) -> bool:
        self.count += 1
        return True if self._observer is None else self._observer(text)


def _present(track: ObjectTrack, index: int) -> bool:
    return bool(track.masks[index].any())


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
