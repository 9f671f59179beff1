"""k6 habits (issue 23 items 6-8) through the command line, over real loopback sockets."""

from __future__ import annotations

import json
import os
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


ENV_SCENARIO = """\
var who = "${env.WHO ?? 'nobody'}"
request get {
  curl ${env.BASE}/headers -H "X-Token: ${env.TOKEN}" -H "X-Who: ${who}"
  assert { body contains "tok-from-flag"  body contains "nobody" }
}
scenario s: load 1 vus for 10s | run get
"""


def test_env_flag_sets_env_over_the_process_environment(target: Any, tmp_path: Path) -> None:
    """``-e NAME=VALUE`` wins over the environment; ``?? 'x'`` is the default."""
    f = scenario_file(tmp_path, ENV_SCENARIO)
    env = {**os.environ, "TOKEN": "tok-from-process", "BASE": "http://127.0.0.1:1"}
    target.reset()
    r = httptool_process("run", str(f), "--iterations", "2", "--vus", "1", "--workers", "1",
                         "-e", f"BASE={target.url}", "--env", "TOKEN=tok-from-flag",
                         "--threshold", "checks == 100%", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert target.counts()["total"] == 2
    assert "checks" in r.stdout and "100.00%" in r.stdout


def test_env_set_nowhere_warns_in_validate_and_refuses_run(target: Any,
                                                            tmp_path: Path) -> None:
    f = scenario_file(tmp_path, ENV_SCENARIO)
    env = {k: v for k, v in os.environ.items() if k not in ("TOKEN", "BASE", "WHO")}
    v = httptool_process("scenario", "validate", str(f), env=env)
    assert v.returncode == 0, v.stderr
    assert (f"{f}:3:8: warning: env.BASE is set nowhere: give it with -e BASE=VALUE or "
            'export it, or write a default: ${env.BASE ?? "value"}') in v.stderr
    assert f"{f}:3:41: warning: env.TOKEN is set nowhere" in v.stderr
    assert "env.WHO" not in v.stderr  # it has a default
    assert v.stderr.rstrip().endswith("2 warnings")
    target.reset()
    r = httptool_process("run", str(f), "--iterations", "1", "--vus", "1", "--workers", "1",
                         env=env)
    assert r.returncode == 2
    assert f"{f}:3:8: error: env.BASE is set nowhere" in r.stderr
    assert r.stderr.rstrip().endswith("httptool: not run: env.BASE, env.TOKEN are set nowhere")
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert target.counts()["total"] == 0
    ok = httptool_process("scenario", "validate", str(f), "-e", "BASE=http://h",
                          "-e", "TOKEN=", env=env)
    assert ok.returncode == 0 and ok.stderr == ""


@pytest.mark.parametrize("bad", ["TOKEN", "=x", "A-B=1"])
def test_env_flag_must_be_name_equals_value(bad: str, tmp_path: Path) -> None:
    f = scenario_file(tmp_path, ENV_SCENARIO)
    r = CliRunner().invoke(cli, ["run", str(f), "-e", bad])
    assert r.exit_code == 2
    assert f"Invalid value for -e/--env: '{bad}' is not NAME=VALUE" in r.stderr


@pytest.mark.parametrize(("text", "message"), [
    ("${who ?? 'x'}", "only env.NAME takes a default ('??')"),
    ("${env.A ?? x}", "invalid default in '${env.A ?? x}'"),
])
def test_env_default_syntax_errors_are_located(text: str, message: str,
                                               tmp_path: Path) -> None:
    f = scenario_file(tmp_path, f'var who = "w"\nrequest get {{ curl http://h/{text} }}\n'
                                "scenario s: load 1 vus for 1s | run get\n")
    r = CliRunner().invoke(cli, ["scenario", "validate", str(f)])
    assert r.exit_code == 2
    assert f"{f}:2:" in r.stderr and message in r.stderr


def test_out_json_dash_streams_ndjson_alone_on_stdout(target: Any, tmp_path: Path) -> None:
    f = scenario_file(tmp_path, f"request get {{ curl {target.url}/get }}\n"
                                "scenario s: load 1 vus for 10s | run get\n")
    target.reset()
    summary = tmp_path / "summary.json"
    r = httptool_process("run", str(f), "--iterations", "5", "--vus", "1", "--workers", "1",
                         "--out", "json=-", "--summary-json", str(summary))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]  # nothing else on stdout
    assert len(rows) == 5 == target.counts()["total"]
    assert json.loads(summary.read_text(encoding="utf-8"))["requests"] == 5
    assert {row["status"] for row in rows} == {200}
    assert "Summary" in r.stderr and "requests" in r.stderr  # the console moved to stderr


def test_two_outs_on_stdout_are_refused(tmp_path: Path) -> None:
    f = scenario_file(tmp_path, "request get { curl http://127.0.0.1:1/get }\n"
                                "scenario s: load 1 vus for 1s | run get\n")
    r = httptool_process("run", str(f), "--out", "json=-", "--out", "csv=-")
    assert r.returncode == 2
    assert r.stderr == "httptool: only one --out can write to standard output ('-')\n"


MAPPED = """\
var base = "http://api.example.test"
request login {
  curl ${base}/get
  extract tok = $.url
}
request next { curl ${tok}/x }
scenario s: load 1 vus for 10s | run login
scenario two: load 1 vus for 10s | run login -> next
"""


def test_base_url_map_that_matched_nothing_warns_at_the_end(target: Any,
                                                             tmp_path: Path) -> None:
    f = scenario_file(tmp_path, MAPPED)
    target.reset()
    r = httptool_process("run", str(f), "--iterations", "1", "--vus", "1", "--workers", "1",
                         "--base-url-map", f"http://api.example.test={target.url}",
                         "--base-url-map", f"http://api.example.tes={target.url}",
                         "--base-url-map", f"https://api.example.test={target.url}")
    assert r.returncode == 0, r.stderr
    assert target.counts()["paths"] == {"/get": 1}  # the first map did its job
    assert r.stderr.splitlines() == [
        f"httptool: warning: --base-url-map https://api.example.test={target.url} matched "
        "no request: no URL of this run starts with https://api.example.test",
        f"httptool: warning: --base-url-map http://api.example.tes={target.url} matched "
        "no request: no URL of this run starts with http://api.example.tes",
    ]
    # a URL known only at run time (an extracted value) could match: no warning on a guess
    quiet = httptool_process("run", str(f), "--scenario", "two", "--dry-run",
                             "--base-url-map", f"https://other.test={target.url}")
    assert quiet.returncode == 0 and "warning" not in quiet.stderr
