from __future__ import annotations

import numpy as np
import pytest

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.tracking import FrameRing


def _frame(value: int) -> np.ndarray:
    return np.full((2, 3, 3), value, dtype=np.uint8)


def test_ring_keeps_every_stride_th_frame_and_evicts_the_oldest_when_full():
    ring = FrameRing(capacity=3, stride=2)
    kept = [ring.push(i, _frame(i)) for i in range(10)]
    assert kept == [i % 2 == 0 for i in range(10)]
    assert ring.indices() == (4, 6, 8)
    assert int(ring.get(6).image[0, 0, 0]) == 6


def test_ring_stores_a_private_copy_of_each_frame():
    ring = FrameRing(capacity=2)
    image = _frame(1)
    ring.push(0, image)
    image[:] = 9
    assert int(ring.get(0).image.max()) == 1


def test_ring_rejects_indices_that_do_not_increase():
    ring = FrameRing(capacity=2)
    ring.push(5, _frame(0))
    with pytest.raises(BadInputError, match="must increase: got 5 after 5"):
        ring.push(5, _frame(0))


def test_ring_reports_frames_it_no_longer_holds():
    ring = FrameRing(capacity=1)
    ring.push(0, _frame(0))
    ring.push(1, _frame(1))
    with pytest.raises(BadInputError, match=r"frame 0 is not in the ring \(retained: \(1,\)\)"):
        ring.get(0)


def test_ring_rejects_non_rgb_frames_and_bad_capacity():
    with pytest.raises(BadInputError, match=r"\(H, W, 3\) uint8"):
        FrameRing(capacity=1).push(0, np.zeros((2, 2), np.uint8))
    with pytest.raises(ConfigError, match="capacity >= 1"):
        FrameRing(capacity=0)


def test_clear_restarts_the_stride_phase():
    ring = FrameRing(capacity=4, stride=3)
    ring.push(0, _frame(0))
    ring.clear()
    assert ring.push(7, _frame(7)) and len(ring) == 1
