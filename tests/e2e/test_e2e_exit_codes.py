"""Exit codes (DESIGN.md): 0 every threshold held, 99 one failed, 2 bad command line or
invalid file (nothing sent), 130 interrupted (summary printed, every file complete)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from e2ecli import (
    PROGRESS_RE,
    httptool_run,
    output_args,
    read_outputs,
    send_sigint,
    write_scenario,
)

pytestmark = pytest.mark.timeout(120)

# login takes at least 3 ms (the target's /delay/3), so `p95 < 1ms` cannot hold for it
GATED = """\
request login {{
  curl -X POST {base}/delay/3 -d 'user=alice'
  assert {{ status == 200 }}
}}
request home {{
  curl {base}/get
  assert {{ status == 200 }}
}}
scenario gated {{
  load 6 iterations with 2 vus
  {thresholds}
  run login -> home
}}
"""


@pytest.mark.parametrize(("in_file", "options", "code", "verdict", "failed"), [
    ("p95 < 5s  error_rate < 1%", [], 0, "✓ all 2 thresholds passed", []),
    ("error_rate < 1%  p95 < 1ms", [], 99, "✗ 1 of 2 thresholds failed", ["p95 < 1ms"]),
    ("p95 < 5s", ["--threshold", "login.p95<1ms"], 99, "✗ 1 of 2 thresholds failed",
     ["login.p95 < 1ms"]),
    ("checks > 99%", ["--threshold", "login.p95<5s", "--threshold", "error_rate<=0%"], 0,
     "✓ all 3 thresholds passed", []),
    ("", ["--threshold", "rps>100000", "--threshold", "home.error_rate<1%"], 99,
     "✗ 1 of 2 thresholds failed", ["rps > 100000"]),
], ids=["file-pass", "file-fail", "option-per-request-fail", "options-pass", "option-fail"])
def test_thresholds_decide_the_exit_code(in_file: str, options: list[str], code: int,
                                         verdict: str, failed: list[str], tmp_path: Path,
                                         fresh_target: Any) -> None:
    thresholds = f"thresholds {{ {in_file} }}" if in_file else ""
    f = write_scenario(tmp_path, GATED.format(base=fresh_target.url, thresholds=thresholds))
    r = httptool_run(f, "--workers", "2", "--summary-json", str(tmp_path / "s.json"),
                     *options)
    assert r.returncode == code, r.stdout + r.stderr
    assert fresh_target.counts()["total"] == 12
    assert r.stdout.rstrip("\n").endswith("  " + verdict)
    shown_failed = re.findall(r"^    ✗ (.+?) \.+: ", r.stdout, re.M)
    assert shown_failed == failed
    doc = read_outputs_json(tmp_path / "s.json")
    assert doc["thresholds"]["passed"] is (code == 0)
    assert [o["threshold"] for o in doc["thresholds"]["outcomes"] if not o["passed"]] == failed


def read_outputs_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_invalid_file_exit_2_with_positions_and_nothing_sent(tmp_path: Path,
                                                             fresh_target: Any) -> None:
    f = write_scenario(tmp_path, f"""\
request a {{
  curl {fresh_target.url}/get --bogus
  assert {{ status === 200 }}
}}
scenario s {{
  load 2 vus for 1s
  run a -> missing
}}
""", name="broken.httpx")
    r = httptool_run(f, "--progress", "--verbose")
    assert r.returncode == 2
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    errors = re.findall(rf"^{re.escape(str(f))}:(\d+):(\d+): error: (.+)$", r.stderr, re.M)
    lines = {int(line) for line, _, _ in errors}
    assert {2, 7} <= lines, r.stderr  # the unknown curl option and the unknown request
    assert all(int(col) >= 1 for _, col, _ in errors)
    assert any("unknown request 'missing'" in msg for _, _, msg in errors)
    assert re.search(r"^\s*\^$", r.stderr, re.M)  # a caret under the column
    assert re.search(r"^\d+ errors?$", r.stderr.splitlines()[-1])
    assert fresh_target.counts()["total"] == 0


@pytest.mark.parametrize(("option", "says"), [
    (["--out", "foo"], "invalid --out 'foo'"),
    (["--out", "xml=report.xml"], "unknown output kind 'xml'"),
    (["--threshold", "p95<<1"], "invalid --threshold 'p95<<1'"),
    (["--threshold", "p96<3ms"], "unknown threshold metric 'p96'"),
    (["--threshold", "nope.p95<3ms"], "nope"),
    (["--duration", "x"], "--duration"),
    (["--duration", "2"], "Invalid value for --duration: a duration needs a unit: 2s or 2ms"),
    (["--duration", "0s"], "Invalid value for --duration: must be greater than 0"),
    (["--workers", "0"], "--workers"),
    (["--out", "json=/nonexistent-dir/out.ndjson"], "cannot write"),
    (["--out", "json={tmp}/ok.ndjson", "--out", "csv=/nonexistent-dir/out.csv"],
     "cannot write /nonexistent-dir/out.csv"),
    (["--summary-json", "/nonexistent-dir/s.json"], "--summary-json"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_bad_option_exit_2_nothing_sent(option: list[str], says: str, tmp_path: Path,
                                        fresh_target: Any) -> None:
    f = write_scenario(tmp_path, f"request a {{ curl {fresh_target.url}/get }}\n"
                                 "scenario s: load 1 vus for 1s | run a\n")
    reports = ["--junit", str(tmp_path / "junit.xml")]
    if "--summary-json" not in option:
        reports += ["--summary-json", str(tmp_path / "summary.json")]
    option = [o.replace("{tmp}", str(tmp_path)) for o in option]
    r = httptool_run(f, "--progress", *reports, *option)
    assert r.returncode == 2, r.stdout + r.stderr
    assert says in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout == ""
    assert fresh_target.counts()["total"] == 0
    # nothing ran, so no report file is left behind (not even an empty one)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.httpx"]


STEADY = """\
request hit {{
  curl {base}/get
  assert {{ status == 200 }}
}}
scenario steady {{
  load 2 vus for 30s
  thresholds {{ p95 < 10s }}
  run hit
}}
"""


@pytest.mark.parametrize(("workers", "group"), [(1, False), (2, False), (2, True)],
                         ids=["workers1", "workers2", "workers2-process-group"])
def test_ctrl_c_mid_run_exit_130_with_summary_and_complete_files(
        workers: int, group: bool, tmp_path: Path, fresh_target: Any) -> None:
    """SIGINT once the first progress line is out (~2 s into a 30 s run): exit 130 soon
    after, the partial summary printed, every file complete and parseable, and the
    reported total equal to what the server received. ``group``: the signal goes to
    the whole process group (shards included), as a terminal's Ctrl-C does."""
    f = write_scenario(tmp_path, STEADY.format(base=fresh_target.url))
    sent: list[float] = []

    def on_line(t: float, line: str, proc: subprocess.Popen[bytes]) -> None:
        if not sent and PROGRESS_RE.match(line):
            sent.append(t)
            send_sigint(proc, group=group)

    r = httptool_run(f, "--progress", "--workers", str(workers), *output_args(tmp_path),
                     on_line=on_line, new_session=group)
    assert sent, r.stdout + r.stderr
    assert r.returncode == 130, r.stderr
    assert r.wall - sent[0] < 8.0  # stopped soon, not after 30 s
    assert "Traceback" not in r.stderr
    assert "stopping: letting iterations in flight finish" in r.stderr
    c = r.console()
    assert c.stray == []
    assert "  status .........: interrupted (Ctrl-C): partial results" in c.summary
    # not "✓ Completed": the run was cut short, and the end line says so
    assert c.completed is None
    assert c.interrupted is not None
    assert re.search(r"^✗ Interrupted: \d+ requests \| \d+ errors$", r.stdout, re.M)
    assert "Completed" not in r.stdout
    total = c.interrupted[0]
    assert c.interrupted[1] == c.summary_failures
    out = read_outputs(tmp_path)  # NDJSON and CSV end in complete lines
    assert out.summary["run"]["interrupted"] is True
    assert out.summary["run"]["stopped_by"] == "Ctrl-C"
    assert total > 0
    assert total == c.summary_requests == out.summary["requests"] == len(out.ndjson) == len(
        out.csv) == fresh_target.counts()["total"]
    assert out.junit is not None
    props = {p.get("name"): p.get("value") for p in out.junit.iter("property")}
    assert props["interrupted"] == "true"
    assert [case.get("name") for case in out.junit.iter("testcase")] == [
        "hit status == 200", "p95 < 10000ms", "run finished"]
    assert out.junit.get("errors") == "1"
    err = out.junit.find(".//testcase[@name='run finished']/error")
    assert err is not None and err.get("message") == "interrupted (Ctrl-C): partial results"


def test_sigterm_mid_run_is_named_in_the_summary(tmp_path: Path, fresh_target: Any) -> None:
    """A SIGTERM (kill, a service manager, a CI timeout) stops a run as Ctrl-C does, and
    the summary says which it was (QA: it said "interrupted (Ctrl-C)")."""
    f = write_scenario(tmp_path, STEADY.format(base=fresh_target.url))
    sent: list[float] = []

    def on_line(t: float, line: str, proc: subprocess.Popen[bytes]) -> None:
        if not sent and PROGRESS_RE.match(line):
            sent.append(t)
            proc.send_signal(signal.SIGTERM)

    r = httptool_run(f, "--progress", "--workers", "2", *output_args(tmp_path),
                     on_line=on_line)
    assert sent, r.stdout + r.stderr
    assert r.returncode == 130, r.stderr
    assert "Traceback" not in r.stderr
    c = r.console()
    assert "  status .........: interrupted (SIGTERM): partial results" in c.summary
    out = read_outputs(tmp_path)
    assert out.summary["run"]["interrupted"] is True
    assert out.summary["run"]["stopped_by"] == "SIGTERM"
    assert c.summary_requests == out.summary["requests"] == fresh_target.counts()["total"]


def test_second_ctrl_c_cuts_the_grace_period(tmp_path: Path, fresh_target: Any) -> None:
    """In-flight requests of 8 s and a 20 s grace: the first SIGINT waits for them, the
    second stops at once; still exit 130 with the summary and complete files."""
    f = write_scenario(tmp_path, f"""\
request quick {{ curl {fresh_target.url}/get }}
request slow {{ curl {fresh_target.url}/delay/8000 }}
scenario s {{
  load 2 vus for 30s
  run quick -> slow
}}
""")
    sent: list[float] = []

    def on_line(t: float, line: str, proc: subprocess.Popen[bytes]) -> None:
        if not sent and PROGRESS_RE.match(line):
            sent.append(t)
            send_sigint(proc)
            try:  # still running a second later: the grace period is being given
                proc.wait(1.0)
            except subprocess.TimeoutExpired:
                sent.append(t + 1.0)
                send_sigint(proc)

    r = httptool_run(f, "--progress", "--workers", "2", "--graceful-stop", "20s",
                     *output_args(tmp_path), on_line=on_line)
    assert len(sent) == 2, (sent, r.stdout, r.stderr)
    assert r.returncode == 130, r.stderr
    assert r.wall - sent[1] < 5.0
    assert "stopping now: cutting the grace period short" in r.stderr
    c = r.console()
    # the two quick ones, and the two slow ones cut in flight: sent (the server counted
    # them) with no response, failures of kind "interrupted"
    assert c.completed is None
    assert c.interrupted == (4, 2)
    assert c.summary_iterations == (0, 0, 2)
    out = read_outputs(tmp_path)
    assert out.summary["iterations"]["interrupted"] == 2
    assert out.summary["total"]["failures_by_kind"] == {"interrupted": 2}
    assert len(out.ndjson) == len(out.csv) == out.summary["requests"] == 4
    assert fresh_target.counts()["total"] == 4
