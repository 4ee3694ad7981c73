from __future__ import annotations

import math

from unipixel_ros.evaluation.reports.cells import json_number, markdown_cell


def test_json_numbers_are_rounded_and_nan_becomes_null() -> None:
    assert json_number(0.123456789, digits=3) == 0.123
    assert json_number(math.nan, digits=3) is None
    assert json_number(None, digits=6) is None


def test_cells_say_n_a_yes_no_and_escape_pipes() -> None:
    assert markdown_cell(None, digits=3) == "n/a"
    assert markdown_cell(True, digits=3) == "yes" and markdown_cell(False, digits=3) == "no"
    assert markdown_cell(0.5, digits=1) == "0.5"
    assert markdown_cell("a|b\nc", digits=3) == "a\\|b\nc"


def test_a_cell_with_a_width_is_one_line_cut_to_that_width() -> None:
    assert markdown_cell("a  b\nc", digits=1, width=80) == "a b c"
    cut = markdown_cell("x" * 100, digits=1, width=80)
    assert len(cut) == 80 and cut.endswith("...")
