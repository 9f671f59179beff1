"""Ctrl-C before a run has its own signal handling: exit 130, one line, no traceback.

A real SIGINT lands at a random point of the ~0.5 s start-up, so the test makes it land
deterministically instead: an import hook raises ``KeyboardInterrupt`` (what Python's
SIGINT handler raises) when the named module is imported, then runs ``python -m
httptool`` as the launcher does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

HOOK = """
import runpy, sys
class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            raise KeyboardInterrupt
        return None
sys.meta_path.insert(0, CtrlC())
sys.argv = ["httptool", *{args!r}]
runpy.run_module("httptool", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("module", [
    "httptool.cli",        # python -m httptool loading the command line
    "httptool.cli.app",    # loading click's commands
    "httptool.dsl",        # loading the language, before the file is compiled
    "numpy",               # loading the metrics layer, before the run starts
])
def test_ctrl_c_while_loading_exits_130_without_traceback(module: str, tmp_path: Path) -> None:
    f = tmp_path / "s.httpx"
    f.write_text("request a { curl http://127.0.0.1:9/ }\n"
                 "scenario s {\n  load 1 vus for 1s\n  run a\n}\n")
    code = HOOK.format(module=module, args=["scenario", "run", str(f), "--workers", "1"])
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=REPO, timeout=60)
    assert r.returncode == 130, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip().splitlines()[-1] == "httptool: interrupted (Ctrl-C)", r.stderr
