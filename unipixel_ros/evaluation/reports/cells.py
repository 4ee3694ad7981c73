"""Numbers and table cells as the reports write them: JSON-safe floats, Markdown cells."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["json_number", "markdown_cell"]


def json_number(value: float | None, *, digits: int) -> float | None:
    """JSON-safe float rounded to ``digits`` decimals: NaN and None become null."""
    if value is None or math.isnan(value):
        return None
    return round(float(value), digits)


def markdown_cell(value: Any, *, digits: int, width: int | None = None) -> str:
    """``value`` for a Markdown table cell.

    Args:
        value: None ("n/a"), a bool ("yes"/"no"), a float (``digits`` decimals) or anything
            else (its text, with ``|`` escaped).
        digits: Decimals of a float.
        width: When given, text is put on one line and cut to this many characters.
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if width is None:
        return str(value).replace("|", "\\|")
    text = " ".join(str(value).split()).replace("|", "\\|")
    return text if len(text) <= width else text[: width - 3] + "..."
