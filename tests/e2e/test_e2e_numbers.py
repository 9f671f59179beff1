"""The same numbers everywhere (DESIGN.md "What counts as a failure"): the progress
line, the summary, the per-VU table, the verbose log, NDJSON, CSV, summary JSON, JUnit
and the server's own count, for runs with failures, on one and on two workers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from e2ecli import httptool_run, output_args, read_outputs, write_scenario

pytestmark = pytest.mark.timeout(120)

MIXED = """\
var base = "{base}"
request login {{
  curl -X POST ${{base}}/login -H 'Content-Type: application/json' \\
    -d '{{"username":"user-${{VU}}","password":"secret"}}'
  extract {{ token = $.token }}
  assert {{
    status == 200
    $.token exists
  }}
}}
request me {{
  curl ${{base}}/me -H "Authorization: Bearer ${{token}}"
  assert {{ status == 200 }}
}}
request broken {{
  curl ${{base}}/status/500
  assert {{ status == 200 }}
}}
request gone {{ curl ${{base}}/posts/9999 }}
request down {{ curl {closed}/health }}
scenario mixed {{
  load 40 iterations with 4 vus
  thresholds {{ p95 < 5s  error_rate < 1% }}
  run login {{ run me }}
  run broken
  run gone
  run down
}}
"""
PATHS = {"login": "/login", "me": "/me", "broken": "/status/500", "gone": "/posts/9999"}


@pytest.mark.parametrize("workers", [1, 2])
def test_every_count_agrees_in_a_run_with_failures(
        workers: int, tmp_path: Path, fresh_target: Any, closed_url: str) -> None:
    f = write_scenario(tmp_path, MIXED.format(base=fresh_target.url, closed=closed_url))
    r = httptool_run(f, "--progress", "--verbose", "--workers", str(workers),
                     "--threshold", "login.p95<5s", *output_args(tmp_path))
    assert r.returncode == 99, r.stderr
    c = r.console()
    assert c.stray == []
    out = read_outputs(tmp_path)
    s = out.summary
    n = 40 * 5  # every request runs once per iteration (login never fails here)

    # totals
    assert c.completed == (n, 40 * 3)  # broken (assertion), gone (404), down (refused)
    assert c.summary_requests == s["requests"] == len(c.requests) == n
    assert c.summary_failures == s["failures"] == 40 * 3
    assert len(out.ndjson) == len(out.csv) == n
    assert sum(not row["ok"] for row in out.ndjson) == 40 * 3
    assert [row["ok"] for row in out.csv] == [
        "true" if row["ok"] else "false" for row in out.ndjson]
    assert s["iterations"] == {"completed": 40, "dropped": 0, "dropped_saturated": 0,
                               "dropped_connecting": 0, "dropped_late": 0,
                               "interrupted": 0}
    assert s["run"]["workers"] == workers and s["final"] is True
    assert s["total"]["failures_by_kind"] == {"assertion": 40, "status": 40, "refused": 40}
    assert s["error_rate"] == pytest.approx(0.6)

    # per request, against the server's own per-path counts
    server = fresh_target.counts()
    assert server["total"] == n - 40  # the refused ones never reached it
    by_name = Counter(row["name"] for row in out.ndjson)
    assert by_name == Counter(row["name"] for row in out.csv)
    for name, path in PATHS.items():
        assert s["per_request"][name]["requests"] == by_name[name] == server["paths"][path]
    assert s["per_request"]["down"]["transport_errors"] == by_name["down"] == 40
    assert server["statuses"] == {"200": 80, "500": 40, "404": 40}

    # per VU: the table, the JSON rows and the log agree, and sum to the totals
    rows = {row["vu"]: row for row in s["per_vu"]}
    assert [v.vu for v in c.per_vu] == sorted(rows) == [1, 2, 3, 4]
    for v in c.per_vu:
        row = rows[v.vu]
        assert (v.iterations, v.requests, v.ok, v.failed) == (
            row["iterations"], row["requests"], row["ok"], row["failed"])
        assert v.requests == sum(q.vu == v.vu for q in c.requests)
        assert v.requests == sum(row["vu"] == v.vu for row in out.ndjson)
    assert sum(v.requests for v in c.per_vu) == n
    assert sum(v.failed for v in c.per_vu) == 40 * 3
    assert sum(v.iterations for v in c.per_vu) == 40

    # the log and the files describe the same requests
    assert Counter((q.vu, q.method, q.url, q.ok) for q in c.requests) == Counter(
        (row["vu"], row["method"], row["url"], row["ok"]) for row in out.ndjson)
    assert Counter(q.reason for q in c.requests if not q.ok) == Counter(
        row["reason"] for row in out.ndjson if not row["ok"])

    # checks: summary JSON and JUnit (one test case per check and per threshold)
    checks = s["checks"]["per_check"]
    assert set(checks) == {"login status == 200", "login $.token exists",
                           "me status == 200", "broken status == 200"}
    assert s["checks"]["passed"] == 120 and s["checks"]["failed"] == 40
    assert out.junit is not None
    suites = {suite.get("name"): suite for suite in out.junit.iter("testsuite")}
    assert set(suites) == {"mixed.checks", "mixed.thresholds"}
    cases = {case.get("name"): case.find("failure") is not None
             for case in suites["mixed.checks"].iter("testcase")}
    assert cases == {name: c["failed"] > 0 for name, c in checks.items()}
    cases = {case.get("name"): case.find("failure") is not None
             for case in suites["mixed.thresholds"].iter("testcase")}
    assert cases == {"p95 < 5000ms": False, "error_rate < 1%": True,
                     "login.p95 < 5000ms": False}
    assert out.junit.get("tests") == "7" and out.junit.get("failures") == "2"


def test_verbose_is_lossless_at_2000_requests_per_second(
        tmp_path: Path, fresh_target: Any, workers: int) -> None:
    """One ✓ line per request at 2,000 requests/s: the log, NDJSON, the summary and the
    server count the same 6,000 requests, and every VU's lines match its table row."""
    f = write_scenario(tmp_path, f"""\
request hit {{ curl {fresh_target.url}/get }}
scenario fast {{
  load 2000 rps for 3s
  run hit
}}
""")
    r = httptool_run(f, "--verbose", "--workers", str(workers),
                     "--out", f"json={tmp_path / 'out.ndjson'}",
                     "--summary-json", str(tmp_path / "s.json"))
    assert r.returncode == 0, r.stderr
    c = r.console()
    assert c.stray == []
    completed, dropped, interrupted = c.summary_iterations
    assert completed + dropped == 6000 and interrupted == 0
    assert dropped < 60  # at most 1 % not started on a busy machine
    served = fresh_target.counts()["total"]
    lines = (tmp_path / "out.ndjson").read_bytes().count(b"\n")
    assert len(c.requests) == c.summary_requests == lines == served == completed
    assert all(q.ok and q.status == "200" for q in c.requests)
    per_vu = Counter(q.vu for q in c.requests)
    rows = read_json(tmp_path / "s.json")["per_vu"]
    assert {row["vu"]: row["requests"] for row in rows if row["requests"]} == dict(per_vu)
    # the console table: every VU, or (more than 50 VUs, as a loaded machine may need)
    # the 10 slowest and 10 fastest; either way each row agrees with the log
    assert len(c.per_vu) == (len(rows) if len(rows) <= 50 else 20)
    assert all(v.requests == per_vu[v.vu] for v in c.per_vu)
    assert sorted(c.started) == sorted(c.done) == sorted(per_vu)


@pytest.fixture(params=[1, 2], ids=["workers1", "workers2"])
def workers(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def test_open_model_run_ends_on_time(tmp_path: Path, fresh_target: Any) -> None:
    """A 1 s open-model run of fast requests ends about 1 s after it starts, and its
    summary says so (duration and rate are the load's, not the grace period's)."""
    f = write_scenario(tmp_path, f"request hit {{ curl {fresh_target.url}/get }}\n"
                                 "scenario s: load 50 rps for 1s | run hit\n")
    r = httptool_run(f, "--workers", "1", "--graceful-stop", "3s", "--summary-json",
                     str(tmp_path / "s.json"))
    assert r.returncode == 0, r.stderr
    doc = read_json(tmp_path / "s.json")
    assert doc["requests"] == 50
    assert doc["duration_s"] < 2.0, doc["duration_s"]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_time_series_has_no_row_where_nothing_happened(tmp_path: Path,
                                                       fresh_target: Any) -> None:
    """One fast request every 2 s: seconds 1 and 3 have no request and no VU inside an
    iteration, so docs/outputs.md says they are absent from ``time_series`` (they used
    to appear as ``requests 0, active_vus 0`` rows)."""
    f = write_scenario(tmp_path, f"request hit {{ curl {fresh_target.url}/get }}\n"
                                 "scenario s: load 0.5 rps for 4s | run hit\n")
    r = httptool_run(f, "--workers", "1", "--summary-json", str(tmp_path / "s.json"))
    assert r.returncode == 0, r.stderr
    doc = read_json(tmp_path / "s.json")
    assert doc["requests"] == 2
    rows = doc["time_series"]
    assert sum(row["requests"] for row in rows) == 2
    empty = [row for row in rows
             if row["requests"] == row["failures"] == row["active_vus"] == 0]
    assert empty == [], rows


SHARED_POOL = """\
shared pool = []
request mk {{ curl {url}/uuid
  extract {{ u = $.uuid }} }}
request draw {{ curl "{url}/anything/draw?vu=${{VU}}&v=${{shared.pool.random}}" }}
scenario s {{
  load 2 iterations with 2 vus
  if ${{VU}} == 1 {{
    run mk
    shared.pool.push(${{u}})
  }}
  think 300ms
  run draw
}}
"""


@pytest.mark.parametrize(("args", "warned"), [((), False), (("--workers", "2"), True)])
def test_shared_pool_is_run_wide_by_default(tmp_path: Path, fresh_target: Any,
                                            args: tuple[str, ...], warned: bool) -> None:
    """DSL.md: ``shared NAME = []`` is a run-wide pool. A pool lives in one worker process,
    so a scenario with one runs in one worker unless --workers says otherwise, and then
    httptool says the pool is per worker (QA: with the default two workers, VU 2 never
    saw what VU 1 pushed)."""
    f = write_scenario(tmp_path, SHARED_POOL.format(url=fresh_target.url))
    r = httptool_run(f, *args, *output_args(tmp_path, junit=False))
    assert r.returncode == 0, r.stderr
    out = read_outputs(tmp_path)
    draws = [row for row in out.ndjson if row["name"] == "draw"]
    assert len(draws) == 2
    said = "shared pool pool is shared by the VUs of each of the 2 worker processes"
    assert (said in r.stderr) is warned, r.stderr
    if not warned:  # one worker: both VUs drew the value VU 1 pushed
        assert all(row["ok"] for row in draws), draws
