"""SAM 2.1 memory of every tracked object in preallocated tensors, for the batched tracking step.

Capacity: ``rows`` objects. Per row, a fixed window as SAM 2.1's:

- ``spatial`` `(rows, 1 + windows.mask, Cm, G, G)`: slot 0 the conditioning (prompted) frame,
  slots 1.. a ring of the latest ``windows.mask`` tracked frames;
- ``pointers`` `(rows, 1 + windows.retention, C)`: slot 0 the conditioning frame's object
  pointer, slots 1.. a ring of the latest ``windows.retention`` tracked frames.

Eviction: a new tracked frame overwrites the oldest ring slot. The windows are those of
`unipixel_ros.tracking.memory_windows`, so every frame SAM 2.1's selection can read is still
held (the same argument as for `ObjectMemoryBank`). The tensors never change address; which
frame a slot holds is host bookkeeping, and `layout` turns it into the index rows the step reads
(what the package's ``_prepare_memory_conditioned_features`` would select for the frame).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.tracking.memory_bank import MemoryWindows

__all__ = ["MemorySlots", "SelectionRules", "layout_width", "meta_width"]

_FIXED_COLUMNS = 3  # row, spatial slot to write, pointer slot to write


def meta_width(spatial: int, pointers: int) -> int:
    """Columns the step module reads: T time indices, T flags, P distances, P flags."""
    return 2 * spatial + 2 * pointers


def layout_width(spatial: int, pointers: int) -> int:
    """Columns of a `MemorySlots.layout` row for T spatial and P pointer reads."""
    return _FIXED_COLUMNS + spatial + pointers + meta_width(spatial, pointers)


@dataclass(frozen=True, kw_only=True)
class SelectionRules:
    """SAM 2.1's memory selection for a forward stream (eval mode, not reversed).

    Args:
        num_maskmem: T: the conditioning frame plus ``T - 1`` recent frames.
        stride: ``memory_temporal_stride_for_eval``.
        max_pointers: P: the conditioning pointer plus up to ``P - 1`` recent frames'
            (``max_obj_ptrs_in_encoder``; an endless stream never caps it by clip length).
    """

    num_maskmem: int
    stride: int
    max_pointers: int

    def spatial_frames(self, frame_index: int) -> list[tuple[int, int]]:
        """(frame, time index into ``maskmem_tpos_enc``) of the recent frames read, oldest
        first; the conditioning frame (time index T - 1) is not listed."""
        picked = []
        for t_pos in range(1, self.num_maskmem):
            t_rel = self.num_maskmem - t_pos
            if t_rel == 1:
                frame = frame_index - 1
            else:
                frame = ((frame_index - 2) // self.stride) * self.stride - (t_rel - 2) * self.stride
            picked.append((frame, self.num_maskmem - t_pos - 1))
        return picked

    def pointer_frames(self, frame_index: int) -> list[tuple[int, int]]:
        """(frame, distance) of the recent frames whose pointers are read, newest first."""
        return [
            (frame_index - t_diff, t_diff)
            for t_diff in range(1, self.max_pointers)
            if frame_index - t_diff >= 0
        ]


@dataclass
class _Row:
    object_id: int
    start_frame: int
    spatial: dict[int, int] = field(default_factory=dict)  # frame -> ring slot
    pointers: dict[int, int] = field(default_factory=dict)
    writes: int = 0


class MemorySlots:
    """Preallocated per-object SAM 2.1 memory (see the module docstring for the layout).

    Args:
        rows: most objects at once.
        windows: the frames SAM 2.1 reads back to (`memory_windows`).
        rules: the selection `layout` applies.
        memory_shape: `(Cm, G, G)` of one spatial memory.
        pointer_width: C.
        memory_dtype: dtype of stored spatial memories.
        pointer_dtype: dtype of stored pointers.
        device: where the tensors live.
    """

    def __init__(
        self,
        *,
        rows: int,
        windows: MemoryWindows,
        rules: SelectionRules,
        memory_shape: tuple[int, int, int],
        pointer_width: int,
        memory_dtype: torch.dtype,
        pointer_dtype: torch.dtype,
        device: torch.device,
    ) -> None:
        if rows < 1:
            raise ConfigError(f"MemorySlots needs rows >= 1, got {rows}")
        self._windows = windows
        self._rules = rules
        self.spatial = torch.zeros(
            rows, 1 + windows.mask, *memory_shape, dtype=memory_dtype, device=device
        )
        self.pointers = torch.zeros(
            rows, 1 + windows.retention, pointer_width, dtype=pointer_dtype, device=device
        )
        self._rows: dict[int, int] = {}  # object id -> row
        self._state: dict[int, _Row] = {}  # row -> bookkeeping
        self._free = list(range(rows))

    @property
    def rules(self) -> SelectionRules:
        return self._rules

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._rows

    def start(
        self,
        object_ids: tuple[int, ...],
        frame_index: int,
        maskmem: torch.Tensor,
        obj_ptr: torch.Tensor,
    ) -> None:
        """Give new objects a row and store their conditioning memory.

        Args:
            object_ids: the new objects, one per row of ``maskmem`` / ``obj_ptr``.
            frame_index: their prompted frame.
            maskmem (`torch.Tensor` of shape `(N, Cm, G, G)`).
            obj_ptr (`torch.Tensor` of shape `(N, C)`).
        """
        if len(object_ids) > len(self._free):
            raise BadInputError(
                f"cannot start {len(object_ids)} objects: {len(self._free)} memory rows free"
            )
        rows = []
        for object_id in object_ids:
            if object_id in self._rows:
                raise BadInputError(f"object {object_id} already has a memory row")
            row = self._free.pop(0)
            self._rows[object_id] = row
            self._state[row] = _Row(object_id=object_id, start_frame=frame_index)
            rows.append(row)
        index = torch.tensor(rows, device=self.spatial.device)
        self.spatial[index, 0] = maskmem.to(self.spatial.dtype)
        self.pointers[index, 0] = obj_ptr.to(self.pointers.dtype)

    def release(self, *object_ids: int) -> None:
        """Free the rows of removed objects (unknown ids are ignored)."""
        for object_id in object_ids:
            row = self._rows.pop(object_id, None)
            if row is not None:
                del self._state[row]
                self._free.append(row)
        self._free.sort()

    def clear(self) -> None:
        """Free every row."""
        self.release(*list(self._rows))

    def layout(self, object_ids: tuple[int, ...], frame_index: int, *, bucket: int) -> torch.Tensor:
        """What each object reads on ``frame_index`` and where its new memory goes, padded to
        ``bucket`` rows (padding repeats the first object; its results are dropped).

        Returns:
            `torch.Tensor` of shape `(bucket, layout_width(T, P))`, int64, on the CPU: per row
            the memory row, the ring slots to write, T spatial slots, P pointer slots, then
            (read by the step) T time indices, T valid flags, P signed distances, P flags.
        """
        if not 1 <= len(object_ids) <= bucket:
            raise BadInputError(f"{len(object_ids)} objects do not fit a bucket of {bucket}")
        rules = self._rules
        t_count, p_count = rules.num_maskmem, rules.max_pointers
        rows = []
        for object_id in object_ids:
            row = self._row(object_id)
            state = self._state[row]
            if frame_index <= max([state.start_frame, *state.pointers]):
                raise BadInputError(
                    f"object {object_id}: frame {frame_index} is not after its last frame"
                )
            spatial = [(0, t_count - 1)] + [
                (state.spatial[f], time)
                for f, time in rules.spatial_frames(frame_index)
                if f in state.spatial
            ]
            pointers = [(0, frame_index - state.start_frame)] + [
                (state.pointers[f], distance)
                for f, distance in rules.pointer_frames(frame_index)
                if f in state.pointers
            ]
            write_spatial = 1 + state.writes % self._windows.mask
            write_pointer = 1 + state.writes % self._windows.retention
            rows.append(
                [
                    row,
                    write_spatial,
                    write_pointer,
                    *_padded([s for s, _ in spatial], t_count),
                    *_padded([s for s, _ in pointers], p_count),
                    *_padded([t for _, t in spatial], t_count),
                    *_padded([1] * len(spatial), t_count),
                    *_padded([d for _, d in pointers], p_count),
                    *_padded([1] * len(pointers), p_count),
                ]
            )
        rows += [rows[0]] * (bucket - len(rows))
        return torch.tensor(rows, dtype=torch.int64)

    def gather(self, layout: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The spatial memories `(B, T, Cm, G, G)` and pointers `(B, P, C)` ``layout`` reads
        (``layout`` on the tensors' device)."""
        t_count, p_count = self._rules.num_maskmem, self._rules.max_pointers
        rows = layout[:, :1]
        spatial_slots = layout[:, _FIXED_COLUMNS : _FIXED_COLUMNS + t_count]
        pointer_slots = layout[:, _FIXED_COLUMNS + t_count : _FIXED_COLUMNS + t_count + p_count]
        return self.spatial[rows, spatial_slots], self.pointers[rows, pointer_slots]

    def write(
        self,
        object_ids: tuple[int, ...],
        frame_index: int,
        layout: torch.Tensor,
        maskmem: torch.Tensor,
        obj_ptr: torch.Tensor,
    ) -> None:
        """Store the step's new memories of the first ``len(object_ids)`` layout rows.

        Args:
            object_ids: as given to `layout`.
            frame_index: the tracked frame.
            layout: the rows `layout` returned, on the tensors' device.
            maskmem (`torch.Tensor` of shape `(B, Cm, G, G)`): the step's memory features.
            obj_ptr (`torch.Tensor` of shape `(B, C)`): the step's object pointers.
        """
        count = len(object_ids)
        rows, spatial_slot, pointer_slot = (layout[:count, i] for i in range(_FIXED_COLUMNS))
        self.spatial[rows, spatial_slot] = maskmem[:count].to(self.spatial.dtype)
        self.pointers[rows, pointer_slot] = obj_ptr[:count].to(self.pointers.dtype)
        for object_id in object_ids:
            state = self._state[self._row(object_id)]
            spatial_slot_id = 1 + state.writes % self._windows.mask
            pointer_slot_id = 1 + state.writes % self._windows.retention
            state.spatial = {f: s for f, s in state.spatial.items() if s != spatial_slot_id}
            state.pointers = {f: s for f, s in state.pointers.items() if s != pointer_slot_id}
            state.spatial[frame_index] = spatial_slot_id
            state.pointers[frame_index] = pointer_slot_id
            state.writes += 1

    def _row(self, object_id: int) -> int:
        try:
            return self._rows[object_id]
        except KeyError as err:
            raise BadInputError(
                f"object {object_id} has no memory row (rows: {sorted(self._rows)})"
            ) from err


def _padded(values: list[int], size: int) -> list[int]:
    return values + [0] * (size - len(values))
