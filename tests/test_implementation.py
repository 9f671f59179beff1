"""The compiled hot path and its pure-Python fallback (httptool/implementation.py): the
extensions run when built and current, the ``.py`` files when ``HTTPTOOL_PURE`` is set,
when the build is missing, and for a module whose source is newer than its extension;
``--version`` says which. Each case runs in a fresh interpreter, the stale and missing
cases on a copy of src/ (modification times kept)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from httptool.implementation import COMPILED, built_path, compiler, source_path

SRC = Path(__file__).resolve().parents[1] / "src"
BUILT = all(built_path(m) for m in COMPILED)
needs_build = pytest.mark.skipif(
    not BUILT, reason="compiled hot path not built (make compiled; needs Cython, gcc and "
    "the Python headers, Debian packages gcc and python3-dev)")

PROBE = f"""
import json, sys
from httptool.cli import main
import {", ".join(COMPILED)}
files = [sys.modules[m].__file__ for m in {COMPILED!r}]
try:
    main(["--version"])
except SystemExit:
    pass
print(json.dumps(files))
"""


def _probe(src: Path, pure: bool = False) -> tuple[list[str], str]:
    """The compiled modules' ``__file__`` and what ``--version`` says, under ``src``."""
    env = {k: v for k, v in os.environ.items() if k != "HTTPTOOL_PURE"}
    env["PYTHONPATH"] = str(src)
    if pure:
        env["HTTPTOOL_PURE"] = "1"
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout.splitlines()
    assert out[0].startswith("httptool, version 0.1.0 ("), out
    return json.loads(out[-1]), out[0].removeprefix("httptool, version 0.1.0 (")[:-1]


def _copy(tmp_path: Path, with_build: bool = True) -> Path:
    dst = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", *([] if with_build else ["*.so"]))
    shutil.copytree(SRC, dst, ignore=ignore)  # copy2: modification times kept
    return dst


@needs_build
def test_the_built_modules_run_and_version_says_so() -> None:
    files, says = _probe(SRC)
    assert all(f.startswith(str(SRC)) and f.endswith(".so") for f in files), files
    assert compiler().startswith("Cython 3.")
    assert says == f"compiled: {len(COMPILED)} modules by {compiler()}"


@needs_build
def test_httptool_pure_runs_the_sources() -> None:
    files, says = _probe(SRC, pure=True)
    assert all(f.endswith(".py") for f in files), files
    assert says == "pure Python: HTTPTOOL_PURE=1"


@needs_build
def test_a_source_newer_than_its_build_runs_as_py(tmp_path: Path) -> None:
    src = _copy(tmp_path)
    edited = src / Path(source_path(COMPILED[0])).relative_to(SRC)
    later = time.time() + 60
    os.utime(edited, (later, later))
    files, says = _probe(src)
    assert files[0] == str(edited), files
    assert all(f.endswith(".so") for f in files[1:]), files
    name = COMPILED[0].removeprefix("httptool.")
    assert says == (f"compiled: {len(COMPILED) - 1} modules by {compiler()}; older than its "
                    f"source, run as .py: {name} (make compiled)")


@needs_build
def test_a_build_older_than_every_source_runs_as_pure_python(tmp_path: Path) -> None:
    src = _copy(tmp_path)
    later = time.time() + 60
    for m in COMPILED:
        os.utime(src / Path(source_path(m)).relative_to(SRC), (later, later))
    files, says = _probe(src)
    assert all(f.endswith(".py") for f in files), files
    assert says == "pure Python: the build is older than its sources (make compiled)"


def test_without_a_build_the_sources_run(tmp_path: Path) -> None:
    files, says = _probe(_copy(tmp_path, with_build=False))
    assert all(f.endswith(".py") for f in files), files
    assert says == "pure Python: not built"


@needs_build
def test_a_stale_module_and_an_unbuilt_one_are_each_named(tmp_path: Path) -> None:
    src = _copy(tmp_path)
    later = time.time() + 60
    os.utime(src / Path(source_path(COMPILED[0])).relative_to(SRC), (later, later))
    so = built_path(COMPILED[1])
    assert so is not None
    (src / Path(so).relative_to(SRC)).unlink()
    files, says = _probe(src)
    assert files[0].endswith(".py") and files[1].endswith(".py"), files
    assert all(f.endswith(".so") for f in files[2:]), files
    stale, unbuilt = (m.removeprefix("httptool.") for m in COMPILED[:2])
    assert says == (f"compiled: {len(COMPILED) - 2} modules by {compiler()}; older than its "
                    f"source, run as .py: {stale} (make compiled); not built: {unbuilt}")
