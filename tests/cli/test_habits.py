"""k6 habits (issue 23 items 6-8) through the command line, over real loopback sockets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from httptool.cli.app import cli

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]


def httptool_process(*args: str, env: dict[str, str] | None = None
                     ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "httptool", *args], capture_output=True,
                          text=True, timeout=50, cwd=REPO, env=env)


def scenario_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.httpx"
    path.write_text(text, encoding="utf-8")
    return path


def test_run_is_scenario_run_with_the_same_flags(target: Any, tmp_path: Path) -> None:
    """``httptool run FILE`` (k6's ``k6 run``) sends what ``scenario run FILE`` sends."""
    f = scenario_file(tmp_path, f"request get {{ curl {target.url}/get }}\n"
                                "scenario s: load 1 vus for 10s | run get\n")
    counts = []
    for cmd in (["run"], ["scenario", "run"]):
        target.reset()
        out = tmp_path / "summary.json"
        r = httptool_process(*cmd, str(f), "--iterations", "3", "--vus", "1",
                             "--workers", "1", "--summary-json", str(out))
        assert r.returncode == 0, r.stderr
        assert "Summary" in r.stdout
        summary = json.loads(out.read_text(encoding="utf-8"))
        assert summary["requests"] == 3 == target.counts()["total"]
        counts.append(target.counts()["paths"])
    assert counts[0] == counts[1]
    options = [CliRunner().invoke(cli, [*cmd, "--help"]).stdout.split("Options:")[1]
               for cmd in (["run"], ["scenario", "run"])]
    assert options[0] == options[1]
    top = CliRunner().invoke(cli, ["--help"]).stdout
    assert "httptool run FILE" in " ".join(top.split())
