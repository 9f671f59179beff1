"""The console contract (spec/PROGRESS-DEMO.md, DESIGN.md) as a user sees it.

``httptool scenario run`` runs as a subprocess against the built-in target; stdout is a
pipe (plain lines) except where a test gives it a pseudo-terminal (live panel, colour).
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from e2ecli import (
    COMPLETED_RE,
    PROGRESS_RE,
    cli_env,
    httptool_run,
    output_args,
    read_outputs,
    run_in_pty,
    write_scenario,
)

from support.journeys import LOGIN_ME

pytestmark = pytest.mark.timeout(120)

ESC = "\x1b"

# login -> me (token passed on), a request whose assertion fails on a 500, one refused;
# ~140 requests/s with 4 VUs, so the 7 s run stays light on a shared machine.
JOURNEY = """\
var base = "{base}"
""" + LOGIN_ME + """\
request broken {{
  curl ${{base}}/status/500
  assert {{ status == 200 }}
}}
request down {{ curl {closed}/health }}
scenario journey {{
  load {load}
  thresholds {{ error_rate < 1% }}
  run login {{ run me }}
  run broken
  run down
  think 100ms
}}
"""


def journey(tmp_path: Path, target: Any, closed_url: str, load: str) -> Path:
    return write_scenario(tmp_path, JOURNEY.format(base=target.url, closed=closed_url,
                                                   load=load))


def test_progress_every_2s_and_every_line_in_its_contract_shape(
        tmp_path: Path, fresh_target: Any, closed_url: str) -> None:
    """7 s, 2 workers, --progress --verbose to a pipe: 3 progress lines ~2 s apart, one
    Completed line, every other line a verbose or per-VU line; the numbers agree with the
    summary, the output files and the server."""
    f = journey(tmp_path, fresh_target, closed_url, "4 vus for 7s")
    r = httptool_run(f, "--progress", "--verbose", "--workers", "2", *output_args(tmp_path))
    assert r.returncode == 99, r.stderr  # error_rate < 1% cannot hold
    assert "Traceback" not in r.stderr
    c = r.console()
    assert c.stray == []

    # cadence: a line every 2 s (tolerant: other test workers share the 2 cores)
    timed = r.lines_matching(PROGRESS_RE)
    assert len(timed) == 3, [s for _, s in timed]
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(timed)]
    assert all(1.5 <= g <= 2.6 for g in gaps), gaps
    (t_done, _), = r.lines_matching(COMPLETED_RE)
    assert 0.3 <= t_done - timed[-1][0] <= 2.6  # load ends at 7 s; last line at 6 s
    counts = [p[0] for p in c.progress]
    assert counts == sorted(counts) and counts[0] > 0
    assert all(0 <= p[2] <= 4 for p in c.progress)
    assert any(p[1] > 0 for p in c.progress)  # failures show up while running

    # the final numbers agree everywhere
    assert c.completed is not None
    total, errors = c.completed
    assert counts[-1] <= total
    assert total == c.summary_requests == len(c.requests)
    assert errors == c.summary_failures == sum(not q.ok for q in c.requests) > 0
    assert sum(v.requests for v in c.per_vu) == total
    assert sum(v.failed for v in c.per_vu) == errors
    out = read_outputs(tmp_path)
    assert out.summary["requests"] == len(out.ndjson) == len(out.csv) == total
    assert out.summary["failures"] == errors
    assert sum(1 for row in out.ndjson if not row["ok"]) == errors
    assert sum(1 for row in out.csv if row["ok"] == "false") == errors
    served = sum(1 for row in out.ndjson if row["url"].startswith(fresh_target.url))
    assert fresh_target.counts()["total"] == served == total - out.summary[
        "per_request"]["down"]["requests"]

    # verbose: lifecycle of each VU, failures with their reasons
    assert sorted(c.started) == sorted(c.done) == [1, 2, 3, 4]
    assert all(q.reason for q in c.requests if not q.ok)
    assert all(q.reason is None for q in c.requests if q.ok)
    assert {q.reason for q in c.requests if q.url.endswith("/status/500")} == {
        "assert status == 200 failed: got 500"}
    refused = [q for q in c.requests if "/health" in q.url]
    assert refused and all(q.status == "ERR" and not q.ok for q in refused)
    assert all(q.reason.startswith("connection refused") for q in refused)  # type: ignore
    per_vu_iters = {v.vu: v.iterations for v in c.per_vu}
    for vu in (1, 2, 3, 4):
        its = [i for v, i in c.iterations if v == vu]
        assert its == list(range(1, len(its) + 1))  # → iteration 1, 2, 3, ... per VU
        # a VU's last iteration may be cut at the end; the table counts completed ones
        assert per_vu_iters[vu] in (len(its), len(its) - 1)

    # plain mode: no panel, no colour on a pipe
    assert ESC not in r.stdout and "╭" not in r.stdout


def test_per_vu_table_in_vu_order_and_matches_the_log(tmp_path: Path, fresh_target: Any,
                                                      closed_url: str) -> None:
    f = journey(tmp_path, fresh_target, closed_url, "24 iterations with 6 vus")
    r = httptool_run(f, "--verbose", "--workers", "2", "--summary-json",
                     str(tmp_path / "s.json"))
    assert r.returncode == 99, r.stderr
    c = r.console()
    assert c.stray == [] and c.per_vu_other == []
    assert [v.vu for v in c.per_vu] == [1, 2, 3, 4, 5, 6]
    for v in c.per_vu:
        mine = [q for q in c.requests if q.vu == v.vu]
        assert v.requests == len(mine) == v.ok + v.failed
        assert v.ok == sum(q.ok for q in mine)
        assert v.iterations == sum(1 for vu, _ in c.iterations if vu == v.vu)
    assert sum(v.iterations for v in c.per_vu) == 24 == c.summary_iterations[0]
    assert sum(v.requests for v in c.per_vu) == c.summary_requests == 24 * 4


def test_per_vu_table_condensed_for_many_vus(tmp_path: Path, fresh_target: Any) -> None:
    f = write_scenario(tmp_path, f"request a {{ curl {fresh_target.url}/get }}\n"
                                 "scenario s: load 120 iterations with 60 vus | run a\n")
    r = httptool_run(f, "--verbose", "--workers", "2", "--summary-json",
                     str(tmp_path / "s.json"))
    assert r.returncode == 0, r.stderr
    c = r.console()
    assert c.stray == []
    assert len(c.per_vu) == 20  # 10 slowest + 10 fastest
    assert c.per_vu_other[0] == ("  60 VUs; the 10 slowest and the 10 fastest by avg "
                                 "latency (every VU is in the per_vu rows of --summary-json)")
    assert c.per_vu_other[1:3] == ["  slowest:", "  fastest:"]
    assert re.match(r"^  distribution: requests per VU min \d+, median [\d.]+, max \d+; "
                    r"avg latency per VU min \d+ms, median \d+ms, max \d+ms$",
                    c.per_vu_other[3])
    slowest, fastest = c.per_vu[:10], c.per_vu[10:]
    assert min(v.avg_ms for v in slowest) >= max(v.avg_ms for v in fastest)
    rows = json.loads((tmp_path / "s.json").read_text())["per_vu"]
    assert [row["vu"] for row in rows] == list(range(1, 61))
    assert sum(row["requests"] for row in rows) == 120 == c.summary_requests
    assert fresh_target.counts()["total"] == 120


THRESHOLDS = """\
request ok {{
  curl {base}/get
  assert {{ status == 200 }}
}}
request bad {{ curl {base}/status/503 }}
scenario s {{
  load 6 iterations with 2 vus
  thresholds {{ checks > 99%  {extra} }}
  run ok
  run bad
}}
"""


def test_quiet_prints_only_the_verdict(tmp_path: Path, fresh_target: Any) -> None:
    f = write_scenario(tmp_path, THRESHOLDS.format(base=fresh_target.url,
                                                   extra="error_rate < 1%"))
    r = httptool_run(f, "--quiet", "--progress", "--verbose")
    assert r.returncode == 99, r.stderr
    assert "httptool: warning: --quiet overrides --progress and --verbose" in r.stderr
    assert r.stdout == ("✗ 1 of 2 thresholds failed\n"
                        "  12 requests, 6 failed (50.00% errors), "
                        "checks: 100.00% passed  ✓ 6  ✗ 0\n"
                        "  ✗ error_rate < 1%: 50.00%\n")
    assert fresh_target.counts()["total"] == 12  # it did run
    f = write_scenario(tmp_path, THRESHOLDS.format(base=fresh_target.url, extra=""))
    r = httptool_run(f, "--quiet", "--threshold", "p95<5s")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("✓ all 2 thresholds passed\n  12 requests, 6 failed (50.00%")


SMALL = """\
request ok {{
  curl {base}/get
  assert {{ status == 200 }}
}}
request bad {{ curl {base}/status/503 }}
scenario s: load 4 iterations with 1 vus | run ok -> bad
"""


@pytest.fixture
def small(tmp_path: Path, target: Any) -> Path:
    return write_scenario(tmp_path, SMALL.format(base=target.url))


def test_terminal_summary_is_coloured_unless_no_color(small: Path) -> None:
    """On a terminal the summary is coloured; NO_COLOR (non-empty) or --no-color give
    not a single ESC byte, and the same text once colour codes are removed."""
    coloured = run_in_pty("scenario", "run", str(small), "--verbose")
    assert coloured.returncode == 0, coloured.stderr
    assert re.search(rb"\x1b\[[0-9;]*m", coloured.output)
    plain_env = run_in_pty("scenario", "run", str(small), "--verbose",
                           env=cli_env(NO_COLOR="1"))
    plain_opt = run_in_pty("scenario", "run", str(small), "--verbose", "--no-color")
    for run in (plain_env, plain_opt):
        assert run.returncode == 0, run.stderr
        assert b"\x1b" not in run.output
        assert b"Per-VU Results:" in run.output and b"Summary" in run.output
    stripped = re.sub(rb"\x1b\[[0-9;]*m", b"", coloured.output)
    for line in (b"  failures .......: 4 (50.00% of requests)",
                 b"    status .......: 4  (bad 4)", b"  VU 1: 4 iterations, 8 requests"):
        assert line in stripped and line in plain_opt.output and line in plain_env.output
    # NO_COLOR set but empty is not "set" (no-color.org)
    empty = run_in_pty("scenario", "run", str(small), env=cli_env(NO_COLOR=""))
    assert re.search(rb"\x1b\[[0-9;]*m", empty.output)


def test_no_color_on_a_pipe(small: Path) -> None:
    r = httptool_run(small, "--verbose", "--progress")
    assert r.returncode == 0, r.stderr
    assert ESC not in r.stdout and ESC not in r.stderr
    assert r.console().stray == []


def test_live_panel_on_a_terminal(tmp_path: Path, fresh_target: Any) -> None:
    """--progress on a terminal draws the rich panel (requests, errors, p95), leaves the
    final one on screen, prints no plain progress line, and exits 0; --verbose lines go
    above the panel, none lost."""
    f = write_scenario(tmp_path, f"""\
request a {{
  curl {fresh_target.url}/get
  assert {{ status == 200 }}
}}
scenario live {{
  load 2 vus for 3s
  thresholds {{ p95 < 5s }}
  run a
  think 10ms
}}
""")
    r = run_in_pty("scenario", "run", str(f), "--progress", "--verbose", "--workers", "1")
    assert r.returncode == 0, r.stderr
    text = r.output.decode("utf-8")
    assert "╭" in text and "╰" in text and "httptool · live · running" in text
    final = text[text.rindex("httptool · live · done"):]
    m = re.search(r"requests (\d+) · errors 0 · active VUs \d+", final)
    assert m and int(m.group(1)) > 0
    assert re.search(r"p95 \d[\d.]*(µs|ms|s)\b", final)
    assert "🔄 Progress" not in text and "✓ Completed" not in text
    served = fresh_target.counts()["total"]
    assert int(m.group(1)) == served
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    # --verbose lines are printed above the panel: each request exactly once
    logged = re.findall(r"\[\d\d:\d\d:\d\d\] VU \d ✓ GET \S+/get - 200 \(\d+ms\)", plain)
    assert len(logged) == served
    assert "Per-VU Results:" in plain
    assert re.search(rf"requests \.+: {served} \(", plain)
    assert "✓ the threshold passed" in plain
    # req/s is right from the first frame: never 0 with requests done, never half the
    # rate early on (the window must not reach back before the start)
    frames = [(panel_seconds(e), int(n), float(rate)) for e, n, rate in re.findall(
        r"elapsed (\d[\d.]*m?s)\b[^\n]*\n[^\n]*requests (\d+) ·[^\n]*\n[^\n]*req/s ([\d.]+)",
        plain)]
    early = [f for f in frames if f[1] >= 10 and f[0] < 2.0]
    assert early, frames
    for elapsed, n, rate in frames:
        if n >= 10 and elapsed >= 0.2:
            assert rate >= 0.6 * n / elapsed, (elapsed, n, rate, frames)


def panel_seconds(text: str) -> float:
    """The panel's ``elapsed`` (``957ms``, ``2.0s``) in seconds."""
    return float(text[:-2]) / 1000 if text.endswith("ms") else float(text[:-1])
