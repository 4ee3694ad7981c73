"""Masks as the evaluation reads them back from the node's ObjectMaskArray messages."""

from __future__ import annotations

import numpy as np
import pytest
from unipixel_ros_interfaces.msg import ObjectMask

from unipixel_ros.errors import BadInputError
from unipixel_ros.ros.evaluation.result_recorder import FrameMasks, mask_from_message

pytestmark = pytest.mark.ros


def _object(mask: np.ndarray, *, step: int | None = None, encoding: str = "mono8") -> ObjectMask:
    height, width = mask.shape
    step = width if step is None else step
    rows = np.zeros((height, step), dtype=np.uint8)
    rows[:, :width] = mask.astype(np.uint8) * 255
    obj = ObjectMask(object_id=7)
    obj.mask.height, obj.mask.width, obj.mask.step = height, width, step
    obj.mask.encoding = encoding
    obj.mask.data = rows.tobytes()
    return obj


def test_a_padded_mono8_mask_decodes_to_its_pixels() -> None:
    mask = np.zeros((3, 5), dtype=bool)
    mask[1, 1:4] = True
    decoded = mask_from_message(_object(mask, step=8))
    assert decoded.dtype == bool and np.array_equal(decoded, mask)


def test_a_mask_that_is_not_mono8_is_refused() -> None:
    with pytest.raises(BadInputError, match="object 7: mask encoding is 'mono16', not mono8"):
        mask_from_message(_object(np.ones((2, 2), bool), encoding="mono16"))


def test_a_mask_with_too_little_data_is_refused() -> None:
    obj = _object(np.ones((4, 4), bool))
    obj.mask.data = bytes(obj.mask.data)[:10]
    with pytest.raises(BadInputError, match="needs 16 bytes, got 10"):
        mask_from_message(obj)


def test_frame_masks_unpack_each_object_and_unite_the_asked_ones() -> None:
    first = np.zeros((3, 4), dtype=bool)
    first[0, :2] = True
    second = np.zeros((3, 4), dtype=bool)
    second[2, 3] = True
    frame = FrameMasks(
        stamp_ns=1,
        received_s=0.0,
        shape=(3, 4),
        packed={1: np.packbits(first.reshape(-1)), 2: np.packbits(second.reshape(-1))},
        labels={1: "a", 2: "b"},
    )
    assert np.array_equal(frame.mask(2), second) and frame.mask(3) is None
    assert np.array_equal(frame.union([1, 2, 3], (3, 4)), first | second)
    assert not frame.union([], (3, 4)).any()
