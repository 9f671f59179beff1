"""The .httpx language: text -> :class:`~httptool.plan.Plan` with located diagnostics.

Public API::

    compile_source(text, path="<string>", scenario=None, base_dir=None)
        -> tuple[Plan | None, Diagnostics]
    load_plan(path, scenario=None) -> tuple[Plan | None, Diagnostics, str]

The Plan is None when any error was found (warnings alone still give a Plan). Nothing here
raises for bad input; :class:`ScenarioFileError` is raised only when the file cannot be
read at all. Bytes that are not UTF-8 are bad input: a located error at the first one.
A file (``load_plan``) must define a scenario; a string (``compile_source``) need not.
"""

from __future__ import annotations

import codecs
import gc
import os

from httptool.dsl.compiler import compile_file
from httptool.dsl.diagnostics import Diagnostic, Diagnostics
from httptool.dsl.lexer import Lexer
from httptool.dsl.parser import parse
from httptool.errors import HttptoolError
from httptool.inputs import read_input
from httptool.plan import Plan

__all__ = ["Diagnostic", "Diagnostics", "ScenarioFileError", "compile_source", "load_plan"]


class ScenarioFileError(HttptoolError):
    """The scenario file cannot be read (missing, a directory, no permission)."""


def compile_source(
    text: str, path: str = "<string>", scenario: str | None = None, base_dir: str | None = None
) -> tuple[Plan | None, Diagnostics]:
    """Parse and compile ``text``; ``base_dir`` (default: the folder of ``path``) is where
    data files and ``-F @file`` arguments are looked up."""
    diags = Diagnostics(path)
    if base_dir is None:
        base_dir = os.path.dirname(os.path.abspath(path)) if path != "<string>" else "."
    # The tree and the Plan hold no reference cycles; pausing the cyclic GC while they are
    # built saves ~20% on large files (refcounting still frees everything).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        tree = parse(text, diags)
        plan = compile_file(tree, diags, base_dir, path, scenario)
    finally:
        if gc_was_enabled:
            gc.enable()
    return (None if diags.has_errors else plan), diags


def load_plan(path: str, scenario: str | None = None) -> tuple[Plan | None, Diagnostics, str]:
    """Read, parse and compile a scenario file; returns (plan or None, diagnostics, text)."""
    raw = read_input(path, "scenario file", ScenarioFileError)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # as text mode reads it
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, _not_utf8(path, raw, e), raw.decode("utf-8", "replace")
    plan, diags = compile_source(text, path, scenario)
    if plan is not None and not plan.scenarios:
        _no_scenario(diags, text, plan.requests[0].name if plan.requests else "REQUEST")
        plan = None
    return plan, diags, text


#: the no-scenario hint: a line that parses as it is (tests/cli/test_messages.py pastes it)
NO_SCENARIO_HINT = "scenario main: load 1 vus for 10s | run {request}"


def _no_scenario(diags: Diagnostics, text: str, request: str) -> None:
    """A file is run, validated and converted for its scenarios (the language has no
    imports, so a file of requests alone is of no use): one with none is an error, located
    at the end of the file, where one would be added, with a line to paste that runs the
    file's first request."""
    line, col = Lexer(text, diags).end_where()
    diags.error("no scenario in this file; add one, e.g. "
                f"'{NO_SCENARIO_HINT.format(request=request)}'", line, col)


def _not_utf8(path: str, raw: bytes, e: UnicodeDecodeError) -> Diagnostics:
    """One error at the first byte that is not UTF-8, located like any other (the line is
    shown decoded with U+FFFD for the bad bytes, the caret under the first of them)."""
    line_start = raw.rfind(b"\n", 0, e.start) + 1
    line = raw.count(b"\n", 0, e.start) + 1
    col = len(raw[line_start:e.start].decode("utf-8", "replace")) + 1
    diags = Diagnostics(path)
    diags.error(f"not UTF-8 text ({e.reason} 0x{raw[e.start]:02x}); save the file as UTF-8",
                line, col)
    return diags
