"""Text on images: one scalable font from Pillow, sizes that follow the image, line wrapping.

The font is Pillow's own (``ImageFont.load_default(size=...)``, Aileron Regular since Pillow
10.1, shipped inside Pillow), so a drawing is the same on every machine, with no system font.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont

__all__ = ["font", "font_size_for", "readable_on", "text_width", "wrap_text"]

# Text height as a share of the image height, and its bounds in pixels.
_TEXT_SHARE = 1 / 26
_MIN_SIZE_PX = 11
_MAX_SIZE_PX = 40


@lru_cache(maxsize=16)
def font(size_px: int) -> ImageFont.FreeTypeFont:
    """Pillow's scalable default font at ``size_px`` pixels."""
    loaded = ImageFont.load_default(size=size_px)
    if not isinstance(loaded, ImageFont.FreeTypeFont):  # Pillow built without FreeType
        msg = "Pillow has no FreeType support here; the overlay needs its scalable font"
        raise ImportError(msg)
    return loaded


def font_size_for(image_height: int) -> int:
    """The text size for an image ``image_height`` pixels tall (18 px at 480)."""
    return max(_MIN_SIZE_PX, min(_MAX_SIZE_PX, round(image_height * _TEXT_SHARE)))


def text_width(text: str, size_px: int) -> int:
    """Width in pixels of ``text`` set in `font` (``size_px``)."""
    return round(font(size_px).getlength(text))


def readable_on(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``background`` (by its luminance)."""
    r, g, b = background
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


def wrap_text(text: str, *, size_px: int, width_px: int, max_lines: int) -> list[str]:
    """``text`` broken into lines no wider than ``width_px``, at most ``max_lines`` of them.

    Words longer than a line are cut; text beyond the last line ends it with "...".
    """
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        while len(word) > 1 and text_width(word, size_px) > width_px:
            cut = len(word) - 1
            while cut > 1 and text_width(word[:cut], size_px) > width_px:
                cut -= 1
            lines = [*_push(lines, current), word[:cut]]
            current, word = "", word[cut:]
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size_px) <= width_px:
            current = candidate
        else:
            lines = _push(lines, current)
            current = word
    lines = _push(lines, current)
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and text_width(last + "...", size_px) > width_px:
        last = last[:-1]
    kept[-1] = last.rstrip() + "..."
    return kept


def _push(lines: list[str], line: str) -> list[str]:
    return [*lines, line] if line else lines
