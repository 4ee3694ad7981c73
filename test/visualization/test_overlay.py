from __future__ import annotations

import cv2
import numpy as np
import pytest

from unipixel_ros.errors import BadInputError
from unipixel_ros.visualization.overlay import (
    CONTOUR_PX,
    RANDOM_WEIGHTS_COLOUR,
    OverlayObject,
    draw_overlay,
    label_image,
    mask_box,
    mask_contour,
)
from unipixel_ros.visualization.overlay_style import CAPTION_FADE_S, CAPTION_HOLD_S, OverlayStyle
from unipixel_ros.visualization.palette import colour_distance
from unipixel_ros.visualization.text import font_size_for, text_width

HEIGHT, WIDTH = 240, 320
TABLE = (96, 96, 96)


def _frame(colour: tuple[int, int, int] = TABLE) -> np.ndarray:
    return np.full((HEIGHT, WIDTH, 3), colour, np.uint8)


def _disk(cx: int, cy: int, radius: int) -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.circle(mask, (cx, cy), radius, 1, thickness=-1)
    return mask.astype(bool)


def _paint(rgb: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    out = rgb.copy()
    out[mask] = colour
    return out


def _object(mask: np.ndarray, object_id: int = 1, **kwargs) -> OverlayObject:
    fields = {"label": "cup", "score": 4.0, "lost": False} | kwargs
    return OverlayObject(object_id=object_id, mask=mask, **fields)


def _pixels_of(image: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    return np.all(image == np.asarray(colour, np.uint8), axis=-1)


def test_the_contour_is_drawn_on_the_mask_boundary_two_pixels_wide():
    mask = _disk(160, 130, 40)
    rgb = _paint(_frame(), mask, (200, 30, 30))
    style = OverlayStyle()
    out = draw_overlay(rgb, [_object(mask, label="")], style=style, stamp_ns=0, alpha=0.5)
    colour = style.colours.get(1)
    assert colour is not None
    drawn = _pixels_of(out, colour) & mask  # the tag sits above the mask, outside it
    # Chessboard distance to the nearest pixel outside the mask (1 on the boundary).
    inside = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_C, 3)
    assert drawn.any()
    assert inside[drawn].max() <= CONTOUR_PX  # every contour pixel is at the boundary
    boundary = mask & ~cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert drawn[boundary].all()  # and the whole boundary is drawn
    assert not drawn[inside > CONTOUR_PX].any()  # the interior is only tinted
    np.testing.assert_array_equal(drawn, mask_contour(mask))


@pytest.mark.parametrize(
    "object_colour",
    [(200, 30, 30), (30, 160, 40), (20, 40, 200), (230, 210, 30), (250, 250, 250), (128, 128, 128)],
)
def test_the_colour_stands_out_from_the_object_it_marks(object_colour):
    mask = _disk(160, 130, 40)
    style = OverlayStyle()
    draw_overlay(_paint(_frame(), mask, object_colour), [_object(mask)], style=style, stamp_ns=0)
    chosen = style.colours.get(1)
    assert chosen is not None
    assert colour_distance(chosen, object_colour) > 90.0  # CIE76; 2.3 is just noticeable


def test_an_object_keeps_its_colour_across_frames_while_its_background_changes():
    style = OverlayStyle()
    first = _disk(100, 120, 30)
    draw_overlay(_paint(_frame(), first, (200, 30, 30)), [_object(first)], style=style, stamp_ns=0)
    chosen = style.colours.get(1)
    moved = _disk(220, 120, 30)
    # The same object, now over a background of its own colour's complement, beside a new one.
    later = _paint(_frame((70, 240, 240)), moved, (70, 240, 240))
    out = draw_overlay(
        later, [_object(moved), _object(first, object_id=2)], style=style, stamp_ns=10**8
    )
    assert style.colours.get(1) == chosen
    assert _pixels_of(out, chosen)[mask_contour(moved)].all()
    assert style.colours.get(2) != chosen  # a new object gets a colour nobody has


def test_the_tag_names_id_label_and_score_and_stays_inside_the_image_at_a_corner():
    mask = np.zeros((HEIGHT, WIDTH), bool)
    mask[0:30, WIDTH - 20 : WIDTH] = True  # touching the top and right edges
    style = OverlayStyle()
    out = draw_overlay(
        _frame(), [_object(mask, label="red cup", score=0.0)], style=style, stamp_ns=0
    )
    colour = style.colours.get(1)
    tag = _pixels_of(out, colour) & ~mask_contour(mask)  # the fill is a blend, not the colour
    box = mask_box(tag)
    assert box is not None
    expected = text_width("1 red cup 0.50", font_size_for(HEIGHT)) + 6
    # The whole tag is there: as wide as its text needs, not cut by the image border.
    assert abs((box.x1 - box.x0 + 1) - expected) <= 2
    assert box.x1 < WIDTH and box.y0 >= 0


def test_two_tags_of_neighbouring_objects_do_not_overlap():
    left, right = _disk(150, 120, 20), _disk(175, 125, 20)
    style = OverlayStyle()
    out = draw_overlay(
        _frame(),
        [_object(left, label="left cup"), _object(right, object_id=2, label="right cup")],
        style=style,
        stamp_ns=0,
    )
    boxes = [mask_box(_pixels_of(out, style.colours.get(i)) & ~left & ~right) for i in (1, 2)]
    a, b = boxes
    assert a is not None and b is not None
    assert a.y1 < b.y0 or b.y1 < a.y0 or a.x1 < b.x0 or b.x1 < a.x0


def test_a_lost_object_is_a_dashed_outline_of_its_last_box():
    mask = np.zeros((HEIGHT, WIDTH), bool)
    mask[100:160, 60:200] = True
    style = OverlayStyle()
    draw_overlay(_frame(), [_object(mask)], style=style, stamp_ns=0)
    lost = _object(np.zeros((HEIGHT, WIDTH), bool), lost=True, score=-3.0)
    out = draw_overlay(_frame(), [lost], style=style, stamp_ns=10**8)
    edge = _pixels_of(out, style.colours.get(1))[159, 60:200]  # the bottom edge, below any tag
    runs = np.flatnonzero(np.diff(edge.astype(np.int8)) == 1)
    assert edge.mean() > 0.3 and len(runs) >= 5  # dashes, with gaps between them
    assert not _pixels_of(out, style.colours.get(1))[110:150, 70:190].any()  # no fill
    assert (out[130, 130] == TABLE).all()


def test_a_lost_object_never_seen_draws_nothing():
    lost = _object(np.zeros((HEIGHT, WIDTH), bool), lost=True)
    out = draw_overlay(_frame(), [lost], style=OverlayStyle(), stamp_ns=0)
    np.testing.assert_array_equal(out, _frame())


def test_the_random_weights_stamp_is_there_only_when_flagged():
    style = OverlayStyle()
    stamped = draw_overlay(_frame(), [], style=style, stamp_ns=0, random_weights=True)
    plain = draw_overlay(_frame(), [], style=style, stamp_ns=0, random_weights=False)
    assert _pixels_of(stamped, RANDOM_WEIGHTS_COLOUR)[:40, :200].sum() > 500
    assert not _pixels_of(plain, RANDOM_WEIGHTS_COLOUR).any()
    np.testing.assert_array_equal(plain, _frame())


def _caption_rows(out: np.ndarray) -> np.ndarray:
    """Rows where the caption's white text is."""
    return np.flatnonzero(_pixels_of(out, (255, 255, 255)).any(axis=1))


def test_the_caption_is_wrapped_inside_the_image_with_its_query_id():
    style = OverlayStyle()
    style.show_answer("q7", "The red cup left of the bowl is graspable: its handle faces you. " * 3)
    out = draw_overlay(_frame(), [], style=style, stamp_ns=0)
    white = _pixels_of(out, (255, 255, 255))
    rows, cols = np.flatnonzero(white.any(axis=1)), np.flatnonzero(white.any(axis=0))
    size = font_size_for(HEIGHT)
    assert rows[-1] < HEIGHT and rows[-1] - rows[0] > 2 * size  # three lines, at the bottom
    assert rows[0] > HEIGHT // 2
    assert cols[0] >= 3 and cols[-1] <= WIDTH - 3
    assert (out[rows[0] - 4, WIDTH // 2] < TABLE).all()  # on the darkened band


def test_the_caption_fades_by_frame_stamps_and_then_goes():
    style = OverlayStyle()
    style.show_answer("q1", "red")
    start = 5 * 10**9
    shown = draw_overlay(_frame(), [], style=style, stamp_ns=start)
    held = draw_overlay(_frame(), [], style=style, stamp_ns=start + int(CAPTION_HOLD_S * 1e9))
    fading = draw_overlay(
        _frame(), [], style=style, stamp_ns=start + int((CAPTION_HOLD_S + CAPTION_FADE_S / 2) * 1e9)
    )
    gone = draw_overlay(
        _frame(), [], style=style, stamp_ns=start + int((CAPTION_HOLD_S + CAPTION_FADE_S) * 1e9)
    )
    np.testing.assert_array_equal(shown, held)
    assert _caption_rows(shown).size and not _caption_rows(fading).size  # text half faded
    assert (fading[-3, -10] > shown[-3, -10]).all()  # the band lighter, not gone
    np.testing.assert_array_equal(gone, _frame())


def test_draw_overlay_rejects_a_mask_of_another_size_and_alpha_out_of_range():
    with pytest.raises(BadInputError, match=r"mask of object 1 has shape \(4, 4\)"):
        draw_overlay(_frame(), [_object(np.ones((4, 4), bool))], style=OverlayStyle(), stamp_ns=0)
    with pytest.raises(BadInputError, match=r"alpha must be in \[0, 1\], got 1.5"):
        draw_overlay(_frame(), [], style=OverlayStyle(), stamp_ns=0, alpha=1.5)


def test_label_image_paints_higher_ids_over_lower_ones():
    first = np.zeros((4, 4), dtype=bool)
    first[0:3, 0:3] = True
    second = np.zeros((4, 4), dtype=bool)
    second[2:4, 2:4] = True
    labels = label_image({2: second, 1: first}, (4, 4))
    assert labels.dtype == np.uint16
    assert labels[0, 0] == 1 and labels[2, 2] == 2 and labels[3, 0] == 0


def test_label_image_rejects_a_mask_of_another_shape():
    with pytest.raises(BadInputError, match=r"mask of object 1 has shape \(2, 2\)"):
        label_image({1: np.zeros((2, 2), dtype=bool)}, (4, 4))
