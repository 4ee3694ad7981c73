from __future__ import annotations

from unipixel_ros.visualization.text import font_size_for, readable_on, text_width, wrap_text

SIZE = 16


def test_wrapped_lines_fit_the_width_and_keep_every_word():
    text = "The red cup left of the bowl is the graspable one, its handle faces the robot."
    lines = wrap_text(text, size_px=SIZE, width_px=150, max_lines=10)
    assert len(lines) > 1
    assert all(text_width(line, SIZE) <= 150 for line in lines)
    assert " ".join(lines).split() == text.split()


def test_text_beyond_the_last_line_ends_it_with_an_ellipsis():
    lines = wrap_text("word " * 100, size_px=SIZE, width_px=120, max_lines=2)
    assert len(lines) == 2 and lines[-1].endswith("...")
    assert all(text_width(line, SIZE) <= 120 for line in lines)


def test_a_word_longer_than_a_line_is_cut():
    lines = wrap_text("x" * 200, size_px=SIZE, width_px=100, max_lines=20)
    assert all(text_width(line, SIZE) <= 100 for line in lines)
    assert "".join(lines) == "x" * 200


def test_text_size_follows_the_image_height_within_bounds():
    assert font_size_for(480) == 18
    assert font_size_for(20) == 11 and font_size_for(4000) == 40


def test_text_is_black_on_light_colours_and_white_on_dark_ones():
    assert readable_on((255, 225, 25)) == (0, 0, 0)
    assert readable_on((0, 0, 128)) == (255, 255, 255)
