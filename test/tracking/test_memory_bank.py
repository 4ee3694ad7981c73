from __future__ import annotations

import pytest
import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.tracking import MemoryEntry, MemoryWindows, ObjectMemoryBank, ObjectState


def _entry() -> MemoryEntry:
    return MemoryEntry(maskmem=torch.zeros(1, 4, 2, 2), obj_ptr=torch.zeros(1, 8))


def _bank(max_objects: int = 4) -> ObjectMemoryBank:
    return ObjectMemoryBank(
        max_objects=max_objects, windows=MemoryWindows(mask=2, retention=3), memory_dtype=None
    )


def test_ids_are_never_reused_after_remove_or_reset():
    bank = _bank()
    first = [bank.add(frame_index=0, entry=_entry(), score=1.0, mask=None) for _ in range(2)]
    bank.remove(first[0])
    bank.reset()
    later = bank.add(frame_index=5, entry=_entry(), score=1.0, mask=None)
    assert first == [0, 1] and later == 2 and bank.ids() == (2,)


def test_memory_bank_evicts_entries_outside_the_windows():
    bank = _bank()
    object_id = bank.add(frame_index=0, entry=_entry(), score=1.0, mask=None)
    for t in range(1, 20):
        bank.record(object_id, frame_index=t, entry=_entry(), score=1.0, mask=None)
    memory = bank.get(object_id)
    assert list(memory.recent) == [17, 18, 19]
    assert [t for t, e in memory.recent.items() if e.maskmem is not None] == [18, 19]
    assert list(memory.conditioning) == [0]
    assert memory.layout() == ((0,), (18, 19), (17,))


def test_object_is_lost_when_its_score_is_not_positive_and_recovers():
    bank = _bank()
    object_id = bank.add(frame_index=0, entry=_entry(), score=2.0, mask=None)
    states = []
    for t, score in enumerate([1.0, 0.0, -3.0, 0.5], start=1):
        bank.record(object_id, frame_index=t, entry=_entry(), score=score, mask=None)
        states.append(bank.get(object_id).state)
    assert states == [ObjectState.TRACKED, ObjectState.LOST, ObjectState.LOST, ObjectState.TRACKED]


def test_bank_refuses_objects_beyond_its_capacity():
    bank = _bank(max_objects=1)
    bank.add(frame_index=0, entry=_entry(), score=1.0, mask=None)
    with pytest.raises(BadInputError, match="holds at most 1"):
        bank.add(frame_index=0, entry=_entry(), score=1.0, mask=None)


def test_unknown_object_ids_are_reported():
    with pytest.raises(BadInputError, match=r"object 7 is not tracked \(tracked: \(\)\)"):
        _bank().remove(7)


def test_masks_are_kept_only_for_ring_frames():
    bank = _bank()
    object_id = bank.add(frame_index=0, entry=_entry(), score=1.0, mask=torch.ones(4, 4).bool())
    bank.record(object_id, frame_index=1, entry=_entry(), score=1.0, mask=torch.ones(4, 4).bool())
    bank.prune_masks([1])
    assert list(bank.get(object_id).masks) == [1]


def test_stored_spatial_memory_takes_the_configured_dtype():
    bank = ObjectMemoryBank(
        max_objects=1, windows=MemoryWindows(mask=1, retention=1), memory_dtype=torch.bfloat16
    )
    object_id = bank.add(frame_index=0, entry=_entry(), score=1.0, mask=None)
    stored = bank.get(object_id).conditioning[0]
    assert stored.maskmem is not None and stored.maskmem.dtype == torch.bfloat16
    assert stored.obj_ptr.dtype == torch.float32
