"""Per-object SAM 2.1 memory for a stream that never ends: typed, bounded, ids never reused.

Each object keeps what SAM 2.1's memory attention can read and nothing more:

- its conditioning memory: the frame where it was prompted (spatial memory + object pointer);
- its recent memories: one entry per tracked frame, kept for ``retention`` frames (the object
  pointer window); the spatial part is dropped once the frame leaves the mask window;
- its state (tracked / lost), last score, and its low-resolution masks on the frames the
  `FrameRing` holds (for `<|mem|>` pooling).

Eviction is exact for SAM 2.1: memory selection only reads frames inside those windows, so the
bank gives the same results as keeping everything.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

import torch

from unipixel_ros.errors import BadInputError, ConfigError

__all__ = ["MemoryEntry", "MemoryWindows", "ObjectMemory", "ObjectMemoryBank", "ObjectState"]


class ObjectState(Enum):
    """Tracking state of one object."""

    TRACKED = "tracked"
    """Object score > 0 on the latest frame."""
    LOST = "lost"
    """Object score <= 0 on the latest frame (occluded or out of view); memory continues and
    the object returns to TRACKED as soon as its score is positive again."""


class MemoryEntry(NamedTuple):
    """SAM 2.1 memory of one object on one frame.

    maskmem (`torch.Tensor` of shape `(1, mem_dim, G, G)` or None): spatial memory; None once
    the frame is outside the mask window.
    obj_ptr (`torch.Tensor` of shape `(1, C)`): object pointer.
    """

    maskmem: torch.Tensor | None
    obj_ptr: torch.Tensor


class MemoryWindows(NamedTuple):
    """How far back SAM 2.1 reads memory, in frames.

    mask: spatial memories are read from the last ``mask`` frames at most.
    retention: entries (object pointers) are read from the last ``retention`` frames at most.
    """

    mask: int
    retention: int


@dataclass
class ObjectMemory:
    """Everything the bank holds for one object.

    Args:
        object_id: stable id, never reused within a run.
        start_frame: frame index of the prompt.
        conditioning: the prompted frame's memory, keyed by frame index (one entry).
        recent: tracked frames' memories, ascending frame index, at most ``retention`` entries.
        state: tracked or lost.
        score: object score logit on the latest frame it was seen on.
        last_frame: latest frame index processed for this object.
        masks: low-resolution bool masks `(S/4, S/4)` on ring frames, ascending frame index.
    """

    object_id: int
    start_frame: int
    conditioning: dict[int, MemoryEntry]
    state: ObjectState
    score: float
    last_frame: int
    recent: OrderedDict[int, MemoryEntry] = field(default_factory=OrderedDict)
    masks: OrderedDict[int, torch.Tensor] = field(default_factory=OrderedDict)

    def layout(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """Frames of conditioning, spatial and pointer-only memories: objects with equal
        layouts read memory from the same frames and can be tracked in one batch."""
        spatial = tuple(t for t, e in self.recent.items() if e.maskmem is not None)
        pointers = tuple(t for t, e in self.recent.items() if e.maskmem is None)
        return tuple(self.conditioning), spatial, pointers


class ObjectMemoryBank:
    """All tracked objects of one stream.

    Capacity: at most ``max_objects`` objects; per object one conditioning entry,
    ``windows.retention`` recent entries (of which at most ``windows.mask`` hold spatial
    memory), and one mask per ring frame. Nothing grows with the stream length.

    Args:
        max_objects: most objects at once.
        windows: SAM 2.1's memory windows (see `MemoryWindows`).
        memory_dtype: dtype for stored spatial memories (None: as computed).
    """

    def __init__(
        self, *, max_objects: int, windows: MemoryWindows, memory_dtype: torch.dtype | None
    ) -> None:
        if max_objects < 1 or windows.mask < 1 or windows.retention < windows.mask:
            raise ConfigError(
                f"need max_objects >= 1 and 1 <= windows.mask <= windows.retention, got "
                f"{max_objects} and {windows}"
            )
        self._max_objects = max_objects
        self._windows = windows
        self._memory_dtype = memory_dtype
        self._objects: OrderedDict[int, ObjectMemory] = OrderedDict()
        self._ids = itertools.count()

    @property
    def max_objects(self) -> int:
        return self._max_objects

    @property
    def windows(self) -> MemoryWindows:
        return self._windows

    @property
    def memory_dtype(self) -> torch.dtype | None:
        return self._memory_dtype

    def ids(self) -> tuple[int, ...]:
        """Ids of the current objects, in the order they were added."""
        return tuple(self._objects)

    def get(self, object_id: int) -> ObjectMemory:
        """The object ``object_id``; `BadInputError` when it is not tracked."""
        try:
            return self._objects[object_id]
        except KeyError as err:
            raise BadInputError(
                f"object {object_id} is not tracked (tracked: {self.ids()})"
            ) from err

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._objects

    def __len__(self) -> int:
        return len(self._objects)

    def __iter__(self) -> Iterator[ObjectMemory]:
        return iter(list(self._objects.values()))

    def check_room(self, count: int) -> None:
        """`BadInputError` unless ``count`` more objects fit."""
        if len(self._objects) + count > self._max_objects:
            raise BadInputError(
                f"cannot track {len(self._objects) + count} objects: the bank holds at most "
                f"{self._max_objects}; remove objects first"
            )

    def add(
        self, *, frame_index: int, entry: MemoryEntry, score: float, mask: torch.Tensor | None
    ) -> int:
        """Add an object prompted on ``frame_index``; returns its new id (never reused).

        Args:
            frame_index: the prompted frame.
            entry: its conditioning memory.
            score: object score logit on that frame.
            mask (`torch.Tensor` of shape `(S/4, S/4)`, bool, or None): its mask, if that frame
                is a ring frame.
        """
        self.check_room(1)
        object_id = next(self._ids)
        memory = ObjectMemory(
            object_id=object_id,
            start_frame=frame_index,
            conditioning={frame_index: self._stored(entry)},
            state=ObjectState.TRACKED if score > 0 else ObjectState.LOST,
            score=score,
            last_frame=frame_index,
        )
        if mask is not None:
            memory.masks[frame_index] = mask
        self._objects[object_id] = memory
        return object_id

    def record(
        self,
        object_id: int,
        *,
        frame_index: int,
        entry: MemoryEntry | None,
        score: float,
        mask: torch.Tensor | None,
    ) -> None:
        """Store a tracked frame's memory for ``object_id`` and evict what falls out of the
        windows. Also updates the state: LOST when ``score <= 0``, TRACKED otherwise.

        ``entry`` is None when the tracked frames' memory lives in preallocated
        `unipixel_ros.tracking.memory_slots.MemorySlots` (the batched tracking step); the bank
        then keeps the conditioning entry, the state, the score and the masks."""
        memory = self.get(object_id)
        if frame_index <= memory.last_frame:
            raise BadInputError(
                f"object {object_id}: frame {frame_index} is not after {memory.last_frame}"
            )
        if entry is not None:
            memory.recent[frame_index] = self._stored(entry)
        memory.last_frame = frame_index
        memory.score = score
        memory.state = ObjectState.TRACKED if score > 0 else ObjectState.LOST
        if mask is not None:
            memory.masks[frame_index] = mask
        self._evict(memory)

    def prune_masks(self, keep: Iterable[int]) -> None:
        """Drop masks of frames not in ``keep`` (the ring's frames)."""
        kept = set(keep)
        for memory in self._objects.values():
            for frame in [t for t in memory.masks if t not in kept]:
                del memory.masks[frame]

    def remove(self, object_id: int) -> None:
        """Forget one object; its id is never given out again."""
        self.get(object_id)
        del self._objects[object_id]

    def reset(self) -> None:
        """Forget every object; ids keep counting (never reused within a run)."""
        self._objects.clear()

    def held_tensors(self) -> int:
        """Number of tensors the bank references (a bound check for tests and diagnostics)."""
        count = 0
        for memory in self._objects.values():
            for entry in itertools.chain(memory.conditioning.values(), memory.recent.values()):
                count += 1 + (entry.maskmem is not None)
            count += len(memory.masks)
        return count

    def _stored(self, entry: MemoryEntry) -> MemoryEntry:
        if entry.maskmem is None or self._memory_dtype is None:
            return entry
        return entry._replace(maskmem=entry.maskmem.to(self._memory_dtype))

    def _evict(self, memory: ObjectMemory) -> None:
        latest = memory.last_frame
        for frame in [t for t in memory.recent if t <= latest - self._windows.retention]:
            del memory.recent[frame]
        for frame, entry in memory.recent.items():
            if entry.maskmem is not None and frame <= latest - self._windows.mask:
                memory.recent[frame] = entry._replace(maskmem=None)
