"""Every copy the server receives is counted (issue 16), through the CLI on loopback.

Each test runs ``httptool scenario run`` as a subprocess against the fault server
(tests/support/faultserver.py), whose own count of request heads read is the truth, and
checks that the tool's request total equals it in ``--summary-json``, the final console
line and the summary, that NDJSON has a row per copy (resent copies marked), and that
``requests = responses + transport errors + resent`` in the totals and the per-VU rows.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from e2ecli import CliRun, httptool_run, send_sigint, write_scenario

from support.backlog import FullBacklog
from support.faultserver import FaultServer

pytestmark = pytest.mark.timeout(120)


def _run(tmp_path: Path, text: str, *args: str, **kw: Any) -> tuple[CliRun, dict[str, Any],
                                                                    list[dict[str, Any]]]:
    f = write_scenario(tmp_path, text)
    s, n = tmp_path / "summary.json", tmp_path / "out.ndjson"
    r = httptool_run(f, "--progress", "--summary-json", str(s), "--out", f"json={n}", *args,
                     **kw)
    assert s.exists(), r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    rows = [json.loads(line) for line in n.read_text(encoding="utf-8").splitlines()]
    return r, json.loads(s.read_text(encoding="utf-8")), rows


def _check_identity(r: CliRun, doc: dict[str, Any], rows: list[dict[str, Any]],
                    server_total: int) -> None:
    """The tool's totals equal the server's, in every output, by one identity."""
    total = doc["total"]
    assert doc["requests"] == server_total, (doc["requests"], server_total, r.stdout)
    assert total["requests"] == total["responses"] + total["transport_errors"] + total["resent"]
    assert doc["resent"] == total["resent"] == sum(p["resent"] for p in
                                                   doc["per_request"].values())
    vus = doc["per_vu"]
    assert sum(v["requests"] for v in vus) == doc["requests"]
    assert all(v["requests"] == v["ok"] + v["failed"] + v["resent"] for v in vus)
    assert sum(v["resent"] for v in vus) == doc["resent"]
    assert len(rows) == doc["requests"]
    assert sum(row["resent"] for row in rows) == doc["resent"]
    assert sum(not row["ok"] and not row["resent"] for row in rows) == doc["failures"]
    c = r.console()
    end = c.completed or c.interrupted
    assert end is not None, r.stdout
    assert end == (server_total, doc["failures"]) and c.resent == doc["resent"]
    assert c.summary_requests == server_total
    assert c.stray == [], c.stray


#: /ok, then a GET whose connection the server resets
_OK_GONE = """\
request ok {{
  curl {base}/ok
}}
request gone {{
  curl {base}/reset-conn
}}
"""

_OK_THEN_RESET = _OK_GONE + """\
scenario s {{
  load {load}
  run ok -> gone
}}
"""

#: each fault on a reused connection (an /ok first): a GET the server drops (resent once,
#: dropped again), a POST it drops (never resent), a GET with ``resend = off``
_THREE_DROPS = _OK_GONE + """\
request pay {{
  curl -X POST {base}/close-no-response -d 'order=7'
}}
request off {{
  curl {base}/drop-reused
  resend = off
}}
scenario s {{
  load {n} iterations with 2 vus
  run ok -> gone
  run ok -> pay
  run ok -> off
}}
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_every_copy_is_counted_and_only_a_get_is_resent(tmp_path, workers):
    """The GET is resent once (a second copy the server reads too) and fails; the POST
    and the ``resend = off`` GET reach the server exactly once per iteration."""
    n = 4
    srv = FaultServer().start_in_thread()
    try:
        r, doc, rows = _run(tmp_path, _THREE_DROPS.format(base=srv.base, n=n),
                            "--workers", str(workers), "--verbose")
    finally:
        srv.stop_thread()
    assert dict(srv.counts) == {"/ok": 3 * n, "/reset-conn": 2 * n,
                                "/close-no-response": n, "/drop-reused": n}
    assert doc["resent"] == n and doc["per_request"]["gone"]["resent"] == n
    assert doc["total"]["failures_by_kind"] == {"closed": 3 * n}
    _check_identity(r, doc, rows, srv.total)
    reasons = {row["name"]: row["reason"] for row in rows if not row["ok"]
               and not row["resent"]}
    assert reasons == {
        "gone": "connection closed before response",
        "pay": "connection closed before response (not resent: POST is not idempotent)",
        "off": "connection closed before response (not resent: resend = off)"}
    resent = [row for row in rows if row["resent"]]
    assert {(row["name"], row["method"], row["status"], row["ok"]) for row in resent} == {
        ("gone", "GET", 0, False)}
    c = r.console()
    assert [(q.method, q.url, q.reason) for q in c.resent_lines] == [
        ("GET", f"{srv.base}/reset-conn",
         "connection closed before response; resent on a new connection")] * n
    assert sum(v.resent for v in c.per_vu) == n
    assert all(v.requests == v.ok + v.failed + v.resent for v in c.per_vu)
    assert r.returncode == 0  # no threshold: failures alone do not fail the run


@pytest.mark.parametrize("workers", [1, 2])
def test_the_open_model_counts_every_copy(tmp_path, workers):
    srv = FaultServer().start_in_thread()
    try:
        text = _OK_THEN_RESET.format(base=srv.base, load="20 rps for 1s")
        r, doc, rows = _run(tmp_path, text, "--workers", str(workers))
    finally:
        srv.stop_thread()
    assert doc["iterations"]["completed"] > 0
    assert srv.counts["/reset-conn"] == 2 * doc["resent"] == 2 * srv.counts["/ok"]
    _check_identity(r, doc, rows, srv.total)


_FLOW = """\
request a {{
  curl {base}/ok
}}
request c {{
  curl {base}/conn-close
}}
request h {{
  curl {base}/http10
}}
scenario s {{
  load {load}
  {think}
  run a -> a -> c -> a -> h -> a
}}
"""


@pytest.mark.parametrize(("server", "think", "silent"), [
    # a keep-alive timeout (50 ms) shorter than the think time, nginx's keepalive_requests
    # (every 4th response says Connection: close), Connection: close and HTTP/1.0
    # responses: the client never reuses such a connection, so nothing is resent
    ({"idle_timeout": 0.05, "close_every": 4}, "think_time = 60ms", False),
    # the server closes after every 3rd response without saying so: the next request can
    # go out before the FIN arrives; it is resent (a GET), the server never read it
    ({"close_every": 3, "close_silently": True}, "", True),
], ids=["timeout-close-every-connection-close-http10", "silent-close-every-3"])
@pytest.mark.parametrize("load", ["3 iterations with 1 vus", "3 rps for 1s"],
                         ids=["iterations", "open"])
@pytest.mark.parametrize("workers", [1, 2])
def test_connections_the_server_closes_are_not_reused(tmp_path, server, think, silent, load,
                                                      workers):
    srv = FaultServer(**server).start_in_thread()
    try:
        r, doc, rows = _run(tmp_path, _FLOW.format(base=srv.base, think=think, load=load),
                            "--workers", str(workers))
    finally:
        srv.stop_thread()
    assert doc["failures"] == 0, r.stdout
    assert doc["iterations"]["completed"] == 3, doc["iterations"]
    assert srv.dropped == 0 and srv.total == 18
    if silent:  # copies the server's HTTP layer never read are counted, as resent
        assert doc["requests"] == 18 + doc["resent"]
    else:
        assert doc["resent"] == 0
        _check_identity(r, doc, rows, srv.total)


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_mid_run_partial_totals_equal_the_servers(tmp_path, workers):
    srv = FaultServer().start_in_thread()
    seen: list[str] = []

    def on_line(t: float, line: str, proc: subprocess.Popen[bytes]) -> None:
        if " ↻ " in line:
            seen.append(line)
            if len(seen) == 10:
                send_sigint(proc)

    try:
        text = _OK_THEN_RESET.format(base=srv.base, curl="", load="2 vus for 30s")
        text = text.replace("run ok -> gone", "run ok -> gone\n  think 10ms")
        r, doc, rows = _run(tmp_path, text, "--workers", str(workers), "--verbose",
                            on_line=on_line)
    finally:
        srv.stop_thread()
    assert r.returncode == 130, r.stderr
    assert len(seen) >= 10 and r.wall < 25
    assert doc["run"]["interrupted"] is True
    _check_identity(r, doc, rows, srv.total)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_issue_16_repro_against_the_built_in_target(tmp_path, fresh_target, method,
                                                        workers):
    """7 iterations of ``GET /get -> GET /reset-conn``: the target read 21 requests
    (``/reset-conn`` 14 times); the tool said 14 before, it says 21 now, 7 of them resent.
    With ``POST /reset-conn`` the POST reaches the target exactly once per iteration."""
    text = _OK_THEN_RESET.format(base=fresh_target.url, load="7 iterations with 1 vus")
    text = text.replace("/ok", "/get")
    if method == "POST":
        text = text.replace(f"curl {fresh_target.url}/reset-conn",
                            f"curl -X POST {fresh_target.url}/reset-conn -d 'order=7'")
    r, doc, rows = _run(tmp_path, text, "--workers", str(workers))
    counts = fresh_target.counts()
    gone = 14 if method == "GET" else 7
    assert counts["paths"] == {"/get": 7, "/reset-conn": gone}
    assert (doc["requests"], doc["resent"], doc["failures"]) == (7 + gone, gone - 7, 7)
    _check_identity(r, doc, rows, counts["total"])


_HANGING = """\
request r {{
  curl {base}/r
}}
scenario s {{
  load {load}
  run r
}}
"""


@pytest.mark.parametrize(("workers", "ctrl_c"), [(1, False), (2, False), (2, True)],
                         ids=["end-of-duration-1-worker", "end-of-duration-2-workers",
                              "ctrl-c-2-workers"])
def test_a_request_cancelled_while_connecting_is_not_counted(tmp_path, workers, ctrl_c):
    """A listener with a full backlog: 2 of 6 VUs connect (the kernel queues them) and
    write their GET, the other 4 stay connecting. At the end (of D plus the grace period,
    or at Ctrl-C) every VU is cancelled: the 2 written GETs count as interrupted requests,
    the 4 never written count nothing, so the tool's total is what the server received."""
    srv = FullBacklog(backlog=1)  # Linux queues backlog + 1 = 2 connections

    def on_line(t: float, line: str, proc: subprocess.Popen[bytes]) -> None:
        if ctrl_c and t > 1.0 and not sent:
            sent.append(line)
            send_sigint(proc)

    sent: list[str] = []
    load = "6 vus for 30s" if ctrl_c else "6 vus for 1s"
    try:
        r, doc, rows = _run(tmp_path, _HANGING.format(base=srv.base, load=load),
                            "--workers", str(workers), "--graceful-stop", "0.3s",
                            on_line=on_line)
    finally:
        connections, heads = srv.drain()
    assert (connections, heads) == (2, 2)
    assert doc["total"]["failures_by_kind"] == {"interrupted": 2}, doc["total"]
    assert doc["iterations"]["interrupted"] == 6  # the unsent requests' iterations too
    assert [row["reason"] for row in rows] == ["interrupted: the run ended before the "
                                               "response"] * 2
    assert r.returncode == (130 if ctrl_c else 0), r.stderr
    _check_identity(r, doc, rows, heads)
