"""Compiled copies of the hot-path modules, to measure compiling against pure Python.

Not a test. Issue 20 asks whether compiling the same ``.py`` sources (no ``.pxd``, no
source change) buys CPU per request. This builds two copies of ``src/`` with the hot
path's synchronous modules compiled — one by Cython (``cythonize -i``, Cython installed
with pip into the bench venv, /tmp/benchvenv), one by mypyc (the project's dev mypy) —
and prints their paths for ``_common.run_scenario``'s ``src=`` knob, so both run in the
same rounds as the checkout's pure-Python sources::

    .venv/bin/python bench/compiled_copies.py [--modules engine/http,...] [--all]
    .venv/bin/python bench/vu_static_vs_wrk.py --rounds 4 --duration 3 \\
        --variant src=/tmp/httptool-compiled/cython/src \\
        --variant src=/tmp/httptool-compiled/mypyc/src

``--all`` adds the coroutine modules (vu, client, executors, checks, cookies) to the
Cython copy only (mypyc's native classes cannot have methods replaced, and tests/vu
replaces ``ConnectionPool.send``). Results: docs/benchmarks.md, "Compiling the hot path".
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from _common import PYSPY_VENV, ROOT

OUT = Path("/tmp/httptool-compiled")
SYNC = ["engine/http", "engine/interpolate", "metrics/recorder", "metrics/histogram"]
ASYNC = ["engine/vu", "engine/client", "engine/executors", "engine/checks", "engine/cookies"]


def fresh_copy(name: str) -> Path:
    src = OUT / name / "src"
    if src.parent.exists():
        shutil.rmtree(src.parent)
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns(
        "__pycache__", "*.so", "*.egg-info"))
    return src


def cythonize(modules: list[str]) -> Path:
    exe = PYSPY_VENV / "bin" / "cythonize"
    if not exe.exists():
        if not (PYSPY_VENV / "bin" / "pip").exists():
            subprocess.run([sys.executable, "-m", "venv", str(PYSPY_VENV)], check=True)
        subprocess.run([str(PYSPY_VENV / "bin" / "pip"), "install", "-q", "cython",
                        "setuptools"], check=True)
    src = fresh_copy("cython")
    files = [f"httptool/{m}.py" for m in modules]
    subprocess.run([str(exe), "-i", "-q", "-3", "-j", "2", *files], cwd=src, check=True)
    return src


def mypycify(modules: list[str]) -> Path:
    src = fresh_copy("mypyc")
    files = [f"httptool/{m}.py" for m in modules]
    subprocess.run([str(Path(sys.executable).parent / "mypyc"), "--follow-imports=silent",
                    *files], cwd=src, check=True, stdout=subprocess.DEVNULL)
    return src


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modules", default=",".join(SYNC),
                    help="comma-separated, relative to src/httptool, without .py")
    ap.add_argument("--all", action="store_true", help="Cython copy: the coroutine modules too")
    args = ap.parse_args()
    modules = args.modules.split(",")
    print(cythonize(modules + (ASYNC if args.all else [])))
    print(mypycify(modules))


if __name__ == "__main__":
    main()
