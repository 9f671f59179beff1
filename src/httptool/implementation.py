"""Which implementation of the hot path runs: modules compiled by Cython, or pure Python.

The compiled path is the same ``.py`` sources compiled by Cython (scripts/build_compiled.py,
run by ``make``), one source of behaviour: an extension module sits next to each ``.py``
of :data:`COMPILED`. Python's importer prefers the extension, so ``httptool/__init__``
calls :func:`install`, which puts a finder in front that takes the ``.py`` instead

* of every compiled module when ``HTTPTOOL_PURE`` is set (to anything but ``0`` or empty):
  the tests of the pure path, and a way to rule the compiled code out of a bug report;
* of a module whose extension is older than its ``.py`` (an edit or a checkout after the
  build): old behaviour must never run.

Only synchronous modules are listed: Cython's coroutines made the VU path slower
(docs/benchmarks.md, "Compiling the hot path"). The modules are plain Python to each
other, so a module not built (or stale) can run as ``.py`` next to compiled ones. Only
``os`` and the import system are used, so ``--version`` and ``--help`` stay cheap
(tests/cli/test_startup.py); the engine is never imported here.
"""

from __future__ import annotations

import os
import sys
from _imp import extension_suffixes  # what importlib.machinery re-exports, cheaper
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

#: the modules the build compiles, the one list (scripts/build_compiled.py reads it);
#: each measured not slower compiled (docs/benchmarks.md, "Compiling the hot path")
COMPILED = (
    "httptool.engine.interpolate",
    "httptool.metrics.recorder",
    "httptool.metrics.histogram",
    "httptool.engine.h2frames",
    "httptool.engine.h2hpack",
)
PURE_ENV = "HTTPTOOL_PURE"
#: the compiler's name and version, written by the build (relative to src/)
INFO = os.path.join("httptool", ".compiled-by")
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../src
_decided: tuple[tuple[str, ...], tuple[str, ...], str] | None = None


def source_path(module: str) -> str:
    """The ``.py`` file of ``module`` (one of :data:`COMPILED`)."""
    return os.path.join(_ROOT, *module.split(".")) + ".py"


def built_path(module: str) -> str | None:
    """The compiled extension of ``module`` next to its ``.py``, if there is one."""
    stem = source_path(module)[:-3]
    for suffix in extension_suffixes():
        if os.path.exists(stem + suffix):
            return stem + suffix
    return None


def decide() -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """``(compiled, stale, why)``: the modules that run compiled, the built ones that
    must not (older than their ``.py``), and why nothing runs compiled if so."""
    global _decided
    if _decided is None:
        _decided = _decide()
    return _decided


def _decide() -> tuple[tuple[str, ...], tuple[str, ...], str]:
    built = {m: so for m in COMPILED if (so := built_path(m))}
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return (), tuple(built), f"{PURE_ENV}={os.environ[PURE_ENV]}"
    if not built:
        return (), (), "not built"
    stale = tuple(m for m, so in built.items()
                  if os.path.getmtime(so) < os.path.getmtime(source_path(m)))
    fresh = tuple(m for m in built if m not in stale)
    why = "" if fresh else "the build is older than its sources (make compiled)"
    return fresh, stale, why


def compiler() -> str:
    """``Cython 3.x`` as the build recorded it."""
    try:
        with open(os.path.join(_ROOT, INFO), encoding="utf-8") as f:
            return f.read().strip() or "Cython"
    except OSError:
        return "Cython"


def hot_path() -> str:
    """What ``httptool --version`` says runs, e.g. ``compiled: 5 modules by Cython 3.3.1``."""
    compiled, stale, why = decide()
    if not compiled:
        return f"pure Python: {why}"
    text = f"compiled: {len(compiled)} modules by {compiler()}"
    unbuilt = [m for m in COMPILED if m not in compiled and m not in stale]
    if stale:
        text += f"; older than its source, run as .py: {_names(stale)} (make compiled)"
    if unbuilt:
        text += f"; not built: {_names(unbuilt)}"
    return text


def _names(modules: tuple[str, ...] | list[str]) -> str:
    return ", ".join(m.removeprefix("httptool.") for m in modules)


class _PureFinder:
    """Finds the ``.py`` of a compiled module before the importer finds its extension."""

    def __init__(self, modules: tuple[str, ...]) -> None:
        self.modules = frozenset(modules)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> ModuleSpec | None:
        if fullname not in self.modules:
            return None
        from importlib.machinery import SourceFileLoader  # only on this (rare) path
        from importlib.util import spec_from_file_location

        source = source_path(fullname)
        return spec_from_file_location(fullname, source,
                                       loader=SourceFileLoader(fullname, source))


def install() -> None:
    """Called when ``httptool`` is imported: the ``.py`` wins where it must."""
    _, stale, _ = decide()
    if stale and not any(isinstance(f, _PureFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PureFinder(stale))
