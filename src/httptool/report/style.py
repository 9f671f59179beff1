"""Colour for console reports: plain ANSI SGR codes, or nothing at all.

Why not rich here: the summary is a fixed layout whose column widths are computed on the
plain text; wrapping finished cells in SGR codes keeps alignment exact and the output
byte-identical to the plain form once the codes are stripped. (The live panel uses rich.)
"""

from __future__ import annotations

import os
from typing import TextIO

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def color_enabled(stream: TextIO, no_color: bool = False) -> bool:
    """Whether to colour output to ``stream``: not when ``--no-color`` was given, not when
    ``NO_COLOR`` is set to anything non-empty (no-color.org), not when it is no terminal."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Style:
    """``Style(color).paint(text, "green", "bold")``: SGR-wrapped text, or ``text`` as is."""

    __slots__ = ("color",)

    def __init__(self, color: bool) -> None:
        self.color = color

    def paint(self, text: str, *styles: str) -> str:
        if not self.color or not text or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def mark(self, ok: bool) -> str:
        """``✓`` in green or ``✗`` in red."""
        return self.paint("✓", "green") if ok else self.paint("✗", "red")
