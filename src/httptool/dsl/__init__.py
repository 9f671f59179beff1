"""The .httpx language: text -> :class:`~httptool.plan.Plan` with located diagnostics.

Public API::

    compile_source(text, path="<string>", scenario=None, base_dir=None)
        -> tuple[Plan | None, Diagnostics]
    load_plan(path, scenario=None) -> tuple[Plan | None, Diagnostics, str]

The Plan is None when any error was found (warnings alone still give a Plan). Nothing here
raises for bad input; :class:`ScenarioFileError` is raised only when the file cannot be
read at all.
"""

from __future__ import annotations

import gc
import os

from httptool.dsl.compiler import compile_file
from httptool.dsl.diagnostics import Diagnostic, Diagnostics
from httptool.dsl.parser import parse
from httptool.plan import Plan

__all__ = ["Diagnostic", "Diagnostics", "ScenarioFileError", "compile_source", "load_plan"]


class ScenarioFileError(Exception):
    """The scenario file cannot be read (missing, a directory, not UTF-8)."""


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
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except FileNotFoundError:
        raise ScenarioFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScenarioFileError(f"{path}: is a directory, not a scenario file") from None
    except UnicodeDecodeError as e:
        raise ScenarioFileError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise ScenarioFileError(f"{path}: cannot read: {e.strerror or e}") from None
    plan, diags = compile_source(text, path, scenario)
    return plan, diags, text
