"""A run on a terminal without --progress is not silent until its summary (issue 23
item 11): one start line, a status line redrawn in place, cleared before the summary;
nothing of it on a pipe or with --quiet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from e2ecli import httptool_run, run_in_pty, write_scenario

pytestmark = pytest.mark.timeout(60)


def scenario(tmp_path: Path, url: str) -> Path:
    return write_scenario(tmp_path, f"request get {{ curl {url}/delay/50 }}\n"
                                    "scenario s: load 2 vus for 2s | run get\n")


def test_terminal_run_prints_a_start_line_and_a_live_status(fresh_target: Any,
                                                            tmp_path: Path) -> None:
    f = scenario(tmp_path, fresh_target.url)
    r = run_in_pty("run", str(f), "--workers", "1", "--no-color")
    assert r.returncode == 0, r.stderr
    out = r.output.decode("utf-8")
    first = out.splitlines()[0]
    assert first == f"Running scenario s of {f}: 2 VUs for 2s (closed model), 1 worker"
    statuses = re.findall(r"\r\x1b\[2K  (\S+) of 2\.0s · ([\d,]+) requests · ([\d,]+) failed "
                          r"· (\d+) VUs active", out)
    assert statuses, out
    assert any(st[3] == "2" for st in statuses)
    counts = [int(st[1].replace(",", "")) for st in statuses]
    assert counts == sorted(counts) and counts[-1] > 0
    before_summary = out.split("Summary")[0]
    assert before_summary.endswith("\r\x1b[2K\r\n")  # cleared, then the summary as ever
    quiet = run_in_pty("run", str(f), "--workers", "1", "--no-color", "-q")
    assert b"Running scenario" not in quiet.output and b"\x1b[2K" not in quiet.output


def test_a_pipe_gets_no_start_or_status_line(fresh_target: Any, tmp_path: Path) -> None:
    r = httptool_run(scenario(tmp_path, fresh_target.url), "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert r.console().stray == [] and "Running scenario" not in r.stdout
