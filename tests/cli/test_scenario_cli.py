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


def refused(r: Result | subprocess.CompletedProcess[str]) -> list[str]:
    """A command refused as bad input: exit 2, nothing on stdout; its stderr lines."""
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    return r.stderr.splitlines()


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
    lines = refused(r)
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
    assert r.stdout.startswith("✗ ")  # the verdict first: no log, no progress, no summary
    # then one line that says requests failed (issue 24: -q never looks clean)
    assert r.stdout.splitlines()[1] == ("  1 request, 1 failed (100.00% errors), checks: none "
                                        "evaluated (their requests failed first)")
    assert "VU 1" not in r.stdout and "Progress" not in r.stdout
    assert (f"httptool: warning: --quiet overrides {dropped}: nothing is printed while "
            "running, only the verdict and one line of numbers at the end") in r.stderr


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


TWO_LOADS = ("request a { curl http://h/a }\n"
             "scenario s: load 2 vus for 1s | run a\n"
             "scenario it: load 3 iterations with 1 vus | run a\n")


@pytest.mark.parametrize("load", ["load 1 vus for 0s", "load 5 rps for 0s"])
@pytest.mark.parametrize("cmd", ["validate", "run"])
def test_zero_duration_is_an_impossible_load_at_the_0s(cmd: str, load: str,
                                                       tmp_path: Path) -> None:
    f = tmp_path / "z.httpx"
    f.write_text(f"request a {{ curl http://h/a }}\nscenario s {{ {load}\n run a }}\n")
    r = httptool("scenario", cmd, str(f), *(["--dry-run"] if cmd == "run" else []))
    assert refused(r) == [
        f"{f}:2:29: error: impossible load: a duration of 0s runs nothing",
        f"  scenario s {{ {load}",
        "  " + " " * 28 + "^",
        "1 error"]


def test_cli_duration_0s_must_be_greater_than_0(tmp_path: Path) -> None:
    f = tmp_path / "s.httpx"
    f.write_text(TWO_LOADS)
    r = httptool("scenario", "run", str(f), "--dry-run", "--duration", "0s")
    assert r.returncode == 2
    assert r.stderr.splitlines()[-1] == \
        "Error: Invalid value for --duration: must be greater than 0"


def test_rps_on_an_iterations_load_asks_for_a_duration(tmp_path: Path) -> None:
    f = tmp_path / "s.httpx"
    f.write_text(TWO_LOADS)
    r = httptool("scenario", "run", str(f), "--dry-run", "--scenario", "it", "--rps", "5")
    assert r.returncode == 2
    assert r.stderr.splitlines()[-1] == (
        "Error: Invalid value for --rps: a rate needs a duration, and this scenario's load "
        "(iterations) has none; add --duration (e.g. --duration 30s)")
    r = httptool("scenario", "run", str(f), "--dry-run", "--scenario", "it", "--rps", "5",
                 "--duration", "2s")
    assert r.returncode == 0, r.stderr
    assert "Load: 5 iterations/s for 2s (open model)" in r.stdout


@pytest.mark.parametrize(("flag", "value", "hint"), [
    ("--duration", "2", "2s or 2ms"),
    ("--duration", "30", "30s or 30ms"),
    ("--graceful-stop", "1.5", "1.5s or 1.5ms"),
])
def test_cli_duration_needs_a_unit(flag: str, value: str, hint: str, tmp_path: Path) -> None:
    f = tmp_path / "s.httpx"
    f.write_text(TWO_LOADS)
    r = httptool("scenario", "run", str(f), "--dry-run", flag, value)
    assert refused(r)[-1] == \
        f"Error: Invalid value for {flag}: a duration needs a unit: {hint}"


def test_cli_durations_with_units_override_the_load(tmp_path: Path) -> None:
    f = tmp_path / "s.httpx"
    f.write_text(TWO_LOADS)
    r = httptool("scenario", "run", str(f), "--dry-run", "--duration", "1m30s",
                 "--graceful-stop", "500ms")
    assert r.returncode == 0, r.stderr
    assert "Load: 2 VUs for 1m30s (closed model)" in r.stdout


@pytest.mark.parametrize("cmd", ["validate", "run", "convert"])
def test_not_utf8_is_a_located_error_with_line_and_caret(cmd: str, tmp_path: Path) -> None:
    f = tmp_path / "latin1.httpx"
    f.write_bytes(b"request a { curl http://h/a }\r\n"
                  b"scenario s { run a }\n"
                  b'var x = "caf\xe9 \xff"\n')
    r = httptool_process("scenario", cmd, str(f))
    assert refused(r) == [
        f"{f}:3:13: error: not UTF-8 text (invalid continuation byte 0xe9); "
        "save the file as UTF-8",
        '  var x = "caf\ufffd \ufffd"',
        "  " + " " * 12 + "^",
        "1 error"]


def test_bom_and_crlf_still_read(tmp_path: Path) -> None:
    f = tmp_path / "win.httpx"
    f.write_bytes(b"\xef\xbb\xbfrequest a { curl http://h/a }\r\nscenario s {\r\n  run b\r\n}\r\n")
    r = httptool("scenario", "validate", str(f))
    assert r.returncode == 2
    assert r.stderr.splitlines()[:3] == [f"{f}:3:7: error: unknown request 'b'", "    run b",
                                         "  " + " " * 6 + "^"]


NO_SCENARIO = "error: no scenario in this file; add one, e.g. " \
              "'scenario main: load 1 vus for 10s | run REQUEST'"


@pytest.mark.parametrize("cmd", ["validate", "run", "convert"])
def test_empty_file_has_no_scenario_exit_2(cmd: str, tmp_path: Path) -> None:
    f = tmp_path / "empty.httpx"
    f.write_text("")
    r = httptool("scenario", cmd, str(f))
    assert refused(r) == [f"{f}:1:1: {NO_SCENARIO}", "  ", "  ^", "1 error"]


def test_requests_without_a_scenario_point_at_the_end(tmp_path: Path) -> None:
    f = tmp_path / "lib.httpx"
    f.write_text("request a { curl http://h/a }\n\n# more to come\n\n")
    r = httptool("scenario", "validate", str(f))
    assert refused(r) == [f"{f}:3:15: {NO_SCENARIO.replace('REQUEST', 'a')}",
                          "  # more to come",
                          "  " + " " * 14 + "^", "1 error"]


RAMPED = """\
request a { curl http://127.0.0.1:9/ }
scenario s {
  load { vus = 10  duration = 1m  ramp_up = 30s }
  run a
}
"""


@pytest.mark.parametrize(("duration", "warning"), [
    ("3s", "httptool: warning: ramp_up 30s is longer than the duration 3s: "
           "only 1 of the 10 VUs will start"),
    ("15s", "httptool: warning: ramp_up 30s is longer than the duration 15s: "
            "only 5 of the 10 VUs will start"),
    ("30s", None),
    (None, None),
])
def test_duration_shorter_than_ramp_up_warns(duration: str | None, warning: str | None,
                                             tmp_path: Path) -> None:
    """VU rank r starts at r/N of the ramp: a run shorter than its ramp starts only some
    (QA: --duration 3s on a 30 s ramp ran 1 of 10 VUs without a word)."""
    f = tmp_path / "s.httpx"
    f.write_text(RAMPED)
    extra = ["--duration", duration] if duration else []
    r = httptool("scenario", "run", str(f), "--dry-run", *extra)
    assert r.returncode == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if "ramp_up" in ln]
    assert warnings == ([warning] if warning else [])


def test_dry_run_masks_a_url_password_and_counts_in_the_singular(tmp_path: Path) -> None:
    """QA: the dry run printed ``admin:URLPASS@`` (every other output masks it) and
    ``1 VUs`` / ``1 iterations``."""
    f = tmp_path / "s.httpx"
    f.write_text('request c { curl "http://admin:URLPASS@127.0.0.1:9/x" }\n'
                 "scenario s { load 1 iterations with 1 vus\n  run c }\n"
                 "scenario d { load 1 vus for 1s\n  run c }\n")
    r = httptool("scenario", "run", str(f), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "  c: GET http://admin:****@127.0.0.1:9/x" in r.stdout.splitlines()
    assert "URLPASS" not in r.stdout
    assert "Load: 1 iteration shared by 1 VU" in r.stdout
    r = httptool("scenario", "run", str(f), "--scenario", "d", "--dry-run")
    assert "Load: 1 VU for 1s (closed model)" in r.stdout


def test_validate_checks_a_scenario_name() -> None:
    """DSL.md (Validation) lists an unknown scenario name among validate's checks."""
    r = httptool("scenario", "validate", str(DEMO), "--scenario", "nope")
    assert r.returncode == 2
    assert "error: unknown scenario 'nope' (scenarios in this file: demo)" in r.stderr
    assert httptool("scenario", "validate", str(DEMO), "--scenario", "demo").returncode == 0


def test_shared_state_runs_in_one_worker_unless_told() -> None:
    from httptool.cli.run_options import choose_workers, default_workers, shared_state

    assert shared_state(None, "vu", ()) == ""
    assert shared_state("shared", "vu", ()) == "the shared cookie jar"
    assert shared_state(None, "shared", ("a", "b")) == (
        "the shared cookie jar and shared pools a, b")
    assert shared_state("vu", "shared", ()) == ""  # --cookies vu overrides the file
    assert choose_workers(None, "") == (default_workers(), None)
    assert choose_workers(None, "the shared cookie jar") == (1, None)
    assert choose_workers(1, "the shared cookie jar") == (1, None)
    n, warning = choose_workers(2, "the shared cookie jar")
    assert n == 2 and warning == ("the shared cookie jar is shared by the VUs of each of the "
                                  "2 worker processes, not between them (--workers 1 shares "
                                  "it between all)")


def test_pre_allocated_vus_above_max_vus_is_an_error(tmp_path: Path) -> None:
    """QA: `--vus 5` with `max_vus = 2` printed "max 2 VUs, 5 VUs pre-allocated" and ran 2."""
    f = tmp_path / "s.httpx"
    f.write_text("request a { curl http://127.0.0.1:9/ }\nscenario s {\n"
                 "  load { rps = 10  duration = 1s  vus = 5  max_vus = 2 }\n  run a\n}\n")
    r = httptool("scenario", "validate", str(f))
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == (
        f"{f}:3:41: error: impossible load: 5 pre-allocated VUs but max_vus = 2")
    f.write_text("request a { curl http://127.0.0.1:9/ }\nscenario s {\n"
                 "  load { rps = 10  duration = 1s  max_vus = 2 }\n  run a\n}\n")
    r = httptool("scenario", "run", str(f), "--vus", "5", "--dry-run")
    assert r.returncode == 2
    assert ("Invalid value for --vus: 5 pre-allocated VUs but at most 2 (max_vus); raise "
            "--max-vus or lower --vus") in r.stderr
    assert httptool("scenario", "run", str(f), "--vus", "5", "--max-vus", "5",
                    "--dry-run").returncode == 0
