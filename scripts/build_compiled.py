"""Builds the compiled hot path in place: the modules of httptool.implementation.COMPILED,
compiled by Cython from their own ``.py`` sources (an extension next to each ``.py``).

Run by ``make`` (``make compiled``; ``make test`` and ``make demo`` depend on it).
``--sources`` prints the files it compiles, for the Makefile's dependencies. Without a C
compiler, the Python headers or Cython, or when a module fails to build, it prints one
warning line and exits 0: the modules not built run as pure Python, with the same
behaviour, and ``httptool --version`` says which runs. The generated C stays in a
temporary directory; only the ``.so`` files land next to the sources.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

# one module per child process, so one failure costs only that module
CHILD = """
import sys
from Cython.Build import cythonize
from setuptools import setup
tmp, path = sys.argv[1], sys.argv[2]
setup(name="httptool-compiled", ext_modules=cythonize(
          [path], build_dir=tmp, quiet=True, language_level=3),
      script_args=["-q", "build_ext", "--inplace", "--build-temp", tmp])
"""


def build(path: str, tmp: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD, tmp, path], cwd=SRC, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def main() -> int:
    sys.path.insert(0, str(SRC))
    from httptool.implementation import COMPILED, INFO, source_path

    files = {m: str(Path(source_path(m)).relative_to(SRC)) for m in COMPILED}
    if sys.argv[1:] == ["--sources"]:  # for the Makefile: rebuild when one changes
        print(" ".join(f"src/{f}" for f in files.values()))
        return 0
    try:
        import Cython
    except ImportError:
        print("warning: the compiled hot path was not built (Cython is not installed); "
              "httptool runs as pure Python, with the same behaviour", file=sys.stderr)
        return 0
    t0 = time.monotonic()
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="httptool-cython-") as tmp:
        pending = list(files.items())
        while pending:  # two at a time: the machine has two cores
            batch, pending = pending[:2], pending[2:]
            procs = [(m, build(f, f"{tmp}/{m}")) for m, f in batch]
            for m, proc in procs:
                out, _ = proc.communicate()
                if proc.returncode != 0:
                    last = (out.strip().splitlines() or ["(no output)"])[-1]
                    failed.append(f"{m} ({last.strip()})")
    (SRC / INFO).write_text(f"Cython {Cython.__version__}\n")
    if failed:
        print(f"warning: not compiled, runs as pure Python: {'; '.join(failed)}",
              file=sys.stderr)
    print(f"compiled {len(files) - len(failed)} of {len(files)} hot-path modules with "
          f"Cython {Cython.__version__} in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
