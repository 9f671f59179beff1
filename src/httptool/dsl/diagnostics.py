"""Located problems in a scenario file, and how they are printed.

Every layer that reads source text (lexer, parser, curl parser, compiler) reports through a
:class:`Diagnostics` collector so that one pass finds every problem. Printing follows the
compilers users know (``FILE:LINE:COL: error: MESSAGE``, the source line, a caret).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    message: str
    line: int  # 1-based
    col: int  # 1-based, in characters
    file: str = ""

    def format(self, source_lines: list[str] | None = None) -> str:
        """``FILE:LINE:COL: severity: message`` then the source line and a caret (an empty
        line for the one just past the last, e.g. in an empty file)."""
        head = f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"
        if source_lines is None or not (1 <= self.line <= len(source_lines) + 1):
            return head
        src = source_lines[self.line - 1] if self.line <= len(source_lines) else ""
        src = src.rstrip("\r\n").expandtabs(1)
        caret = " " * max(self.col - 1, 0) + "^"
        return f"{head}\n  {src}\n  {caret}"


class DiagnosticError(Exception):
    """Raised to abandon a construct after its diagnostic was recorded (parser recovery)."""


@dataclass
class Diagnostics:
    """Collects diagnostics for one source file."""

    file: str = ""
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, message: str, line: int, col: int) -> Diagnostic:
        d = Diagnostic("error", message, line, col, self.file)
        self.items.append(d)
        return d

    def warning(self, message: str, line: int, col: int) -> Diagnostic:
        d = Diagnostic("warning", message, line, col, self.file)
        self.items.append(d)
        return d

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.line, d.col))

    def render(self, source: str) -> str:
        """All diagnostics in source order, then a one-line count."""
        lines = source.splitlines()
        out = [d.format(lines) for d in self.sorted()]
        ne, nw = len(self.errors), len(self.warnings)
        parts = []
        if ne:
            parts.append(f"{ne} error{'s' if ne != 1 else ''}")
        if nw:
            parts.append(f"{nw} warning{'s' if nw != 1 else ''}")
        if parts:
            out.append(", ".join(parts))
        return "\n".join(out)
