"""The pieces of the language other layers read on their own: a threshold expression (the
``--threshold`` option) and a duration (``--duration``, ``--ramp``). One grammar each, the
scenario file's, so an option and the same text in a file mean exactly the same thing."""

from __future__ import annotations

from collections.abc import Iterable

from httptool.dsl.compiler import Compiler
from httptool.dsl.diagnostics import DiagnosticError, Diagnostics
from httptool.dsl.lexer import _DURATION, parse_duration
from httptool.dsl.parser import Parser
from httptool.plan import Threshold

__all__ = ["duration_seconds", "parse_threshold"]


def duration_seconds(text: str) -> float | None:
    """``1m30s`` -> 90.0; None unless the whole text is a duration as the language writes
    it (a unit is required: a bare ``2`` could mean 2 s or 2 ms)."""
    return parse_duration(text) if _DURATION.fullmatch(text) else None


def parse_threshold(text: str, request_names: Iterable[str] | None = None,
                    origin: str = "<threshold>") -> tuple[Threshold | None, Diagnostics]:
    """One threshold expression (``p95<500ms``, ``login.p95 < 300ms``, ``error_rate<1%``)
    compiled as a file's ``thresholds { }`` line would be; the Threshold is None when
    the diagnostics (located in ``origin``, column by column) hold an error.

    With ``request_names`` a scope must be one of them; without, any scope is accepted
    (a threshold on a request that never ran fails at evaluation, with a note)."""
    diags = Diagnostics(origin)
    parser = Parser(text, diags)
    item = None
    try:
        item = parser.threshold_item()
        t = parser.peek()
        while t.kind == "NL":
            parser.next()
            t = parser.peek()
        if t.kind != "EOF":
            what = f"one threshold per {origin} option" if t.text in (",", ";") \
                else f"unexpected {t.text!r} after the threshold"
            diags.error(what, t.line, t.col)
    except DiagnosticError as e:
        if not diags.items:
            diags.error(str(e), 1, 1)
    if item is None or diags.items:
        return None, diags
    names = set(request_names) if request_names is not None else \
        ({item.scope} if item.scope else set())
    threshold = Compiler(diags, ".").threshold(item, names)
    return (threshold if not diags.items else None), diags
