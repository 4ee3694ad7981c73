"""`MemorySlots`: the preallocated memory of the batched tracking step (layout, eviction, rows)."""

from __future__ import annotations

import pytest
import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.tracking.memory_bank import MemoryWindows
from unipixel_ros.tracking.memory_slots import MemorySlots, SelectionRules, layout_width

RULES = SelectionRules(num_maskmem=3, stride=1, max_pointers=4)
WINDOWS = MemoryWindows(mask=2, retention=3)
T, P = RULES.num_maskmem, RULES.max_pointers


def _slots(rows: int = 2) -> MemorySlots:
    return MemorySlots(
        rows=rows,
        windows=WINDOWS,
        rules=RULES,
        memory_shape=(2, 1, 1),
        pointer_width=3,
        memory_dtype=torch.float32,
        pointer_dtype=torch.float32,
        device=torch.device("cpu"),
    )


def _memory(value: float, count: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.full((count, 2, 1, 1), value), torch.full((count, 3), value)


def _track(slots: MemorySlots, ids: tuple[int, ...], frame: int, value: float) -> torch.Tensor:
    layout = slots.layout(ids, frame, bucket=len(ids))
    slots.write(ids, frame, layout, *_memory(value, len(ids)))
    return layout


def _columns(layout: torch.Tensor) -> dict[str, list[int]]:
    row = layout[0].tolist()
    spatial, pointers, meta = row[3 : 3 + T], row[3 + T : 3 + T + P], row[3 + T + P :]
    return {
        "spatial": spatial,
        "pointers": pointers,
        "time": meta[:T],
        "spatial_valid": meta[T : 2 * T],
        "distance": meta[2 * T : 2 * T + P],
        "pointer_valid": meta[2 * T + P :],
    }


def test_a_new_object_reads_only_its_conditioning_memory() -> None:
    slots = _slots()
    slots.start((7,), 5, *_memory(1.0))
    columns = _columns(slots.layout((7,), 6, bucket=1))
    assert columns["spatial_valid"] == [1, 0, 0]
    assert columns["time"][0] == T - 1  # the conditioning frame's temporal encoding
    assert columns["pointer_valid"] == [1, 0, 0, 0]
    assert columns["distance"][0] == 1


def test_the_ring_keeps_the_latest_frames_and_the_layout_reads_them_like_sam2() -> None:
    slots = _slots()
    slots.start((0,), 0, *_memory(0.0))
    for frame in range(1, 6):
        _track(slots, (0,), frame, float(frame))
    layout = slots.layout((0,), 6, bucket=1)
    columns = _columns(layout)
    # Spatial: conditioning, then frames 4 and 5 (oldest first, t_pos 1 and 2).
    assert columns["spatial_valid"] == [1, 1, 1]
    assert columns["time"] == [2, 1, 0]
    spatial, pointers = slots.gather(layout)
    assert spatial[0, :, 0, 0, 0].tolist() == [0.0, 4.0, 5.0]
    # Pointers: conditioning (6 frames back), then frames 5, 4, 3 (newest first).
    assert columns["distance"] == [6, 1, 2, 3]
    assert pointers[0, :, 0].tolist() == [0.0, 5.0, 4.0, 3.0]
    assert layout.shape == (1, layout_width(T, P))


def test_missing_frames_are_masked_and_padding_repeats_the_first_object() -> None:
    slots = _slots()
    slots.start((0, 1), 0, *_memory(0.0, 2))
    _track(slots, (0,), 2, 2.0)  # object 1 skips frame 2
    layout = slots.layout((0, 1), 4, bucket=4)
    first = _columns(layout)
    assert first["spatial_valid"] == [1, 1, 0]  # frames 2 and 3 wanted, only 2 held
    assert first["pointer_valid"] == [1, 1, 0, 0]  # frame 2 is 2 back; frame 3 missing
    assert first["distance"][:2] == [4, 2]
    assert torch.equal(layout[2], layout[0]) and torch.equal(layout[3], layout[0])


def test_rows_are_freed_on_release_and_refused_when_full() -> None:
    slots = _slots(rows=2)
    slots.start((0, 1), 0, *_memory(0.0, 2))
    with pytest.raises(BadInputError, match="1 objects: 0 memory rows free"):
        slots.start((2,), 0, *_memory(0.0))
    slots.release(0)
    slots.start((2,), 3, *_memory(9.0))
    assert 2 in slots and 0 not in slots
    assert _columns(slots.layout((2,), 4, bucket=1))["pointer_valid"] == [1, 0, 0, 0]
    with pytest.raises(BadInputError, match="object 0 has no memory row"):
        slots.layout((0,), 4, bucket=1)


def test_a_frame_not_after_the_last_one_is_refused() -> None:
    slots = _slots()
    slots.start((0,), 3, *_memory(0.0))
    with pytest.raises(BadInputError, match="frame 3 is not after its last frame"):
        slots.layout((0,), 3, bucket=1)
    with pytest.raises(BadInputError, match="2 objects do not fit a bucket of 1"):
        slots.layout((0, 0), 4, bucket=1)
