"""``httptool scenario validate|run --dry-run|convert`` as a user runs them.

Most tests call the click app in-process (fast); a few run the real entry point in a
subprocess to prove exit codes and that no traceback reaches the user.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from httptool.cli.app import cli

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / ".." / "shared" / "examples" / "original"
DEMO = REPO / "examples" / "scenarios" / "demo.httpx"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def httptool(*args: str) -> Result:
    r = CliRunner().invoke(cli, list(args))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return Result(r.exit_code, r.stdout, r.stderr)


def httptool_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "httptool", *args], capture_output=True,
                          text=True, timeout=50, cwd=REPO)


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(CORPUS.glob("*.httpx"))


needs_corpus = pytest.mark.skipif(
    not corpus_files(), reason=f"corpus folder {CORPUS} (../shared/examples/original) missing")


@needs_corpus
def test_every_corpus_file_validates_and_dry_runs() -> None:
    for f in corpus_files():
        v = httptool("scenario", "validate", str(f))
        assert v.returncode == 0, (f.name, v.stderr)
        assert v.stdout.startswith("✓ Scenario file is valid\n  Variables: "), f.name
        assert "Traceback" not in v.stderr
        d = httptool("scenario", "run", str(f), "--dry-run")
        assert d.returncode == 0, (f.name, d.stderr)
        assert "Dry run: nothing was sent." in d.stdout


@needs_corpus
def test_validate_summary_shape_and_warning_on_stderr() -> None:
    r = httptool("scenario", "validate", str(CORPUS / "voter_outreach_user.httpx"))
    assert r.returncode == 0
    assert r.stdout == (
        "✓ Scenario file is valid\n  Variables: 1\n  Requests: 1\n  Scenarios: 1\n\n"
        "Scenarios:\n  - with_retry\n")
    assert ":25:17: warning: single '=' in a comparison; use '=='" in r.stderr
    assert r.stderr.rstrip().endswith("1 warning")


@needs_corpus
def test_dry_run_masks_secrets_and_names_other_scenarios() -> None:
    r = httptool("scenario", "run", str(CORPUS / "voter_outreach_user.httpx"), "--dry-run")
    assert "REDACTED-SESSION-TOKEN" not in r.stdout
    assert "Cookie: _ga=****; session_id=****" in r.stdout
    r = httptool("scenario", "run", str(CORPUS / "parallel-dashboard.httpx"), "--dry-run")
    assert r.stdout.splitlines()[0] == "Scenario: dashboard_load"
    assert "others: spike_test" in r.stdout.splitlines()[1]
    r = httptool("scenario", "run", str(CORPUS / "parallel-dashboard.httpx"), "--dry-run",
                 "--scenario", "spike_test")
    assert r.stdout.splitlines()[0] == "Scenario: spike_test"
    assert "others" not in r.stdout
    assert "stages (closed model): 1m → 10 VUs, 10s → 100 VUs, 1m → 10 VUs" in r.stdout


def test_dry_run_masks_authorization_and_user_password(tmp_path: Path) -> None:
    f = tmp_path / "s.httpx"
    f.write_text(
        "request a {\n  curl http://127.0.0.1:1/x -u alice:hunter2 "
        "-H 'Authorization: Bearer sekrit' -H 'Proxy-Authorization: Basic c2Vr' "
        "-b 'sid=abc'\n}\n"
        "scenario s: load 1 vus for 1s | run a\n")
    r = httptool("scenario", "run", str(f), "--dry-run")
    assert r.returncode == 0, r.stderr
    for secret in ("hunter2", "sekrit", "c2Vr", "abc"):
        assert secret not in r.stdout
    assert "Authorization: Bearer ****" in r.stdout
    assert "Authorization: Basic **** (user alice)" in r.stdout


def test_unknown_scenario_is_an_error() -> None:
    r = httptool("scenario", "run", str(DEMO), "--dry-run", "--scenario", "nope")
    assert r.returncode == 2
    assert "error: unknown scenario 'nope' (scenarios in this file: demo)" in r.stderr


def test_invalid_file_exit_2_with_diagnostics(tmp_path: Path) -> None:
    f = tmp_path / "bad.httpx"
    f.write_text("request a {\n  curl http://h/a --nope\n}\nscenario s {\n  run b\n}\n")
    r = httptool_process("scenario", "validate", str(f))
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0] == f"{f}:2:19: error: unknown curl option '--nope'"
    assert lines[1] == "    curl http://h/a --nope"
    assert lines[2] == "  " + " " * 18 + "^"
    assert f"{f}:5:7: error: unknown request 'b'" in r.stderr
    assert lines[-1] == "2 errors"
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("cmd", ["validate", "convert", "run"])
def test_missing_file_one_line(cmd: str, tmp_path: Path) -> None:
    r = httptool_process("scenario", cmd, str(tmp_path / "none.httpx"))
    assert r.returncode == 2
    assert r.stderr == f"httptool: {tmp_path / 'none.httpx'}: no such file\n"
    r = httptool("scenario", cmd, str(tmp_path))
    assert r.returncode == 2 and "is a directory" in r.stderr


def test_convert_prints_plan_json(tmp_path: Path) -> None:
    r = httptool("scenario", "convert", str(DEMO))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [q["name"] for q in doc["requests"]] == ["login", "get_user"]
    assert doc["scenarios"][0]["load"]["vus"] == 5
    assert doc["scenarios"][0]["flow"][0]["type"] == "Run"
    out = tmp_path / "plan.json"
    r = httptool("scenario", "convert", str(DEMO), "-o", str(out))
    assert r.returncode == 0 and json.loads(out.read_text()) == doc


def test_demo_dry_run_shows_load_flow_requests() -> None:
    r = httptool("scenario", "run", str(DEMO), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "Load: 5 VUs for 10s (closed model)" in r.stdout
    assert "Thresholds: p95 < 500ms, error_rate < 1%, checks > 99%" in r.stdout
    assert "  login: POST ${base_url}/login" in r.stdout
    assert "Authorization: Bearer ****" in r.stdout


def test_run_against_a_closed_port_fails_thresholds_with_refused_counted() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on once this socket closes
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    r = httptool("scenario", "run", str(DEMO), "--iterations", "3", "--vus", "1",
                 "--workers", "1", "--base-url-map", f"http://127.0.0.1:8080={closed}")
    assert r.returncode == 99, r.stderr
    assert "refused" in r.stdout
    assert "requests .......: 3 " in r.stdout  # three logins refused, get_user skipped
    assert "✗ error_rate < 1%" in r.stdout


def closed_url() -> str:
    import socket

    with socket.socket() as s:  # a port nobody listens on once this socket closes
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize(("flags", "dropped"), [
    (["-q", "-v"], "--verbose"),
    (["--quiet", "--progress"], "--progress"),
    (["-q", "--progress", "--verbose"], "--progress and --verbose"),
])
def test_quiet_with_verbose_or_progress_warns(flags: list[str], dropped: str) -> None:
    """docs/progress-tracking.md: --quiet overrides --progress and --verbose. The run
    still happens and prints only the verdict, but the dropped flag is named on stderr
    instead of being ignored silently."""
    r = httptool("scenario", "run", str(DEMO), "--iterations", "1", "--vus", "1",
                 "--workers", "1", "--base-url-map", f"http://127.0.0.1:8080={closed_url()}",
                 *flags)
    assert r.returncode == 99, r.stderr
    assert r.stdout.startswith("✗ ")  # the verdict only: no log, no progress, no summary
    assert "VU 1" not in r.stdout and "Progress" not in r.stdout
    assert (f"httptool: warning: --quiet overrides {dropped}: nothing is printed while "
            "running, only the thresholds' verdict at the end") in r.stderr


def test_quiet_alone_or_verbose_alone_no_warning() -> None:
    for flags in (["-q"], ["-v"]):
        r = httptool("scenario", "run", str(DEMO), "--iterations", "1", "--vus", "1",
                     "--workers", "1",
                     "--base-url-map", f"http://127.0.0.1:8080={closed_url()}", *flags)
        assert r.returncode == 99, r.stderr
        assert "warning" not in r.stderr


@pytest.mark.parametrize(("cmd", "words"), [
    ("validate", "Check a scenario file"),
    ("run", "send nothing"),
    ("convert", "as JSON"),
])
def test_help(cmd: str, words: str) -> None:
    r = httptool("scenario", cmd, "--help")
    assert r.returncode == 0
    assert words in " ".join(r.stdout.split())
