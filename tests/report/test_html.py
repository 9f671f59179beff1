"""The HTML report without a browser: self-contained, bounded in size, rendered from the
summary JSON (also older documents without the optional keys), and ``httptool report``'s
exit codes. The browser test is test_html_browser.py."""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reportdata import Req, Run, build

from httptool.cli.app import cli
from httptool.metrics import RunResult
from httptool.plan import Threshold
from httptool.report.html import (
    MAX_POINTS,
    ReportInputError,
    chart_curve,
    chart_series,
    load_summary,
    render_html,
    validate_summary,
    write_html_report,
)
from httptool.report.info import RunInfo
from httptool.report.json_summary import CURVE_PERCENTILES, summary_dict
from httptool.report.thresholds import ThresholdOutcome

INFO = RunInfo("examples/demo.httpx", "journey", "10 VUs for 8s", 2, 1_714_560_000.0, 8.0)


def outcomes() -> list[ThresholdOutcome]:
    t1 = Threshold("p95 < 200ms", "p95", "<", 200.0)
    t2 = Threshold("profile.error_rate < 1%", "error_rate", "<", 0.01, "profile")
    return [ThresholdOutcome(t1, 150.0, True), ThresholdOutcome(t2, 0.21, False)]


@pytest.fixture
def doc(demo: RunResult) -> dict[str, Any]:
    return json.loads(json.dumps(summary_dict(demo, INFO, outcomes())))


def data_block(page: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page,
                  re.S)
    assert m
    return json.loads(m.group(1))


def test_self_contained_no_remote_src_or_href(doc: dict[str, Any]) -> None:
    page = render_html(doc)
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "@import" not in page and "<link" not in page
    assert "default-src 'none'" in page  # the browser itself refuses any request
    # uPlot and our script are inlined: no <script src=...>
    assert re.findall(r"<script[^>]*>", page) == [
        '<script type="application/json" id="report-data">', "<script>", "<script>"]
    assert "uPlot" in page and "function" in page


def test_size_is_small_and_bounded_for_long_runs(doc: dict[str, Any]) -> None:
    assert len(render_html(doc).encode()) < 120_000
    big = copy.deepcopy(doc)
    big["time_series"] = [{"second": s, "requests": 100, "failures": s % 3, "active_vus": 50,
                           "p50_ms": 1.5, "p95_ms": 9.25, "p99_ms": 20.125}
                          for s in range(0, 6 * 3600)]
    big["per_vu"] = [{"vu": v, "iterations": 10, "requests": 20, "ok": 19, "failed": 1,
                      "avg_latency_ms": 1.0 + v / 1000} for v in range(1, 5001)]
    page = render_html(big)
    assert len(page.encode()) < 300_000
    series = data_block(page)["series"]
    assert len(series["x"]) <= MAX_POINTS and series["step"] == 12
    assert page.count("<tr data-vu=") == 40  # slowest and fastest 20, not 5000 rows


def test_numbers_in_the_page_equal_the_summary(doc: dict[str, Any]) -> None:
    page = render_html(doc)
    assert f'id="total-requests" data-value="{doc["requests"]}"' in page
    assert f'id="total-failures" data-value="{doc["failures"]}"' in page
    for name, r in doc["per_request"].items():
        assert (f'data-request="{name}" data-requests="{r["requests"]}" data-failures="'
                f'{r["failures"]}" data-p95-ms="{r["latency"]["p95_ms"]!r}"') in page
    sums = {k: sum(v[k] for v in doc["per_vu"]) for k in ("iterations", "requests", "ok",
                                                          "failed")}
    assert (f'id="per-vu-sums" data-vus="4" data-sum-iterations="{sums["iterations"]}" '
            f'data-sum-requests="{sums["requests"]}" data-sum-ok="{sums["ok"]}" '
            f'data-sum-failed="{sums["failed"]}"') in page
    assert sums["requests"] == doc["requests"]
    assert '<tr data-kind="status" data-count="4">' in page
    assert 'data-threshold="profile.error_rate &lt; 1%" data-passed="false"' in page
    assert "✗ 1 of 2 thresholds failed" in page and 'data-passed="false">' in page
    assert "2024-05-01" in page  # started at, from the document
    assert "httptool</dt><dd>0.1.0" in page.replace("\n", "")


def test_report_equals_render_of_the_summary_document(demo: RunResult, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    write_html_report(out, demo, INFO, outcomes())
    doc = json.loads(json.dumps(summary_dict(demo, INFO, outcomes())))
    assert out.read_text(encoding="utf-8") == render_html(doc)


def test_older_summary_without_optional_keys_renders(doc: dict[str, Any]) -> None:
    old = copy.deepcopy(doc)
    del old["percentile_curve"], old["tool_version"]
    page = render_html(old)
    curve = data_block(page)["curve"]
    assert curve["coarse"] is True and len(curve["lines"]) == 1
    lat = doc["total"]["latency"]
    assert curve["lines"][0]["ms"] == [lat["min_ms"], lat["med_ms"], lat["p90_ms"],
                                       lat["p95_ms"], lat["p99_ms"]]
    assert "has no percentile_curve" in page and "unknown version" in page


def test_minimal_summary_renders() -> None:
    res = build(Run([], duration_s=0.5))
    doc = json.loads(json.dumps(summary_dict(res, RunInfo("f.httpx", "s", "1 iteration"))))
    page = render_html(doc)
    assert "No checks ran." in page and "No thresholds were set." in page
    assert "No request failed." in page
    data = data_block(page)
    assert data["curve"] is None
    assert page.count('class="plot"') == (3 if data["series"] else 0)


def test_percentile_curve_in_the_summary(demo: RunResult) -> None:
    doc = summary_dict(demo, INFO)
    pc = doc["percentile_curve"]
    assert pc["percentiles"] == list(CURVE_PERCENTILES) and len(pc["percentiles"]) >= 30
    allv = pc["all"]
    assert allv == sorted(allv)
    lat = doc["total"]["latency"]
    assert allv[0] == lat["min_ms"] and allv[-1] == lat["max_ms"]
    assert allv[CURVE_PERCENTILES.index(95.0)] == lat["p95_ms"]
    assert allv[CURVE_PERCENTILES.index(50.0)] == lat["med_ms"]
    assert set(pc["per_request"]) == {"login", "profile"}
    assert pc["per_request"]["login"][-1] == doc["per_request"]["login"]["latency"]["max_ms"]
    x = chart_curve(doc)
    assert x is not None and x["x"][0] == 1.0 and x["x"][-1] == pytest.approx(1e5)
    assert [ln["name"] for ln in x["lines"]] == ["all requests", "login", "profile"]


def test_chart_series_fills_gaps_and_buckets() -> None:
    rows = [{"second": 0, "requests": 10, "failures": 1, "active_vus": 2, "p50_ms": 1.0,
             "p95_ms": 2.0, "p99_ms": 3.0},
            {"second": 3, "requests": 4, "failures": 0, "active_vus": 1, "p50_ms": 5.0,
             "p95_ms": 6.0, "p99_ms": 7.0}]
    s = chart_series(rows)
    assert s is not None
    assert s["x"] == [0, 1, 2, 3] and s["requests"] == [10, 0, 0, 4]
    assert s["active"] == [2, None, None, 1] and s["p95"] == [2.0, None, None, 6.0]
    b = chart_series(rows, max_points=2)
    assert b is not None and b["step"] == 2 and b["x"] == [0, 2]
    assert b["requests"] == [5.0, 2.0] and b["p99"] == [3.0, 7.0]
    assert chart_series([]) is None


def test_names_are_escaped_everywhere(demo: RunResult) -> None:
    info = RunInfo("</script><script>alert(1)</script>.httpx", "<b>x</b>", "load & go")
    page = render_html(json.loads(json.dumps(summary_dict(demo, info))))
    assert "<script>alert(1)" not in page and "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "load &amp; go" in page


def test_open_model_says_latency_is_from_the_scheduled_start() -> None:
    res = build(Run([Req(1, "a", 12.0, service_ms=3.0), Req(1, "a", 15.0, service_ms=4.0)],
                    iterations={1: 2}, dropped=3, duration_s=2.0))
    page = render_html(json.loads(json.dumps(summary_dict(res, INFO))))
    assert "scheduled start" in page and "service (from send)" in page
    assert 'id="dropped" data-value="3"' in page and "3 iterations dropped" in page


def test_validate_rejects_other_documents(doc: dict[str, Any]) -> None:
    with pytest.raises(ReportInputError, match="not an httptool summary"):
        validate_summary([1, 2])
    with pytest.raises(ReportInputError, match="schema is 'k6'"):
        validate_summary({**doc, "schema": "k6"})
    with pytest.raises(ReportInputError, match="schema_version 2 is not supported"):
        validate_summary({**doc, "schema_version": 2})
    bad = dict(doc)
    del bad["per_vu"]
    with pytest.raises(ReportInputError, match="missing key 'per_vu'"):
        validate_summary(bad)
    with pytest.raises(ReportInputError, match="'time_series' has the wrong type"):
        validate_summary({**doc, "time_series": {}})
    with pytest.raises(ReportInputError, match="malformed summary"):
        render_html({**doc, "per_request": {"a": {"latency": 5}}})


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_report_command_writes_the_same_page(doc: dict[str, Any], tmp_path: Path) -> None:
    src = tmp_path / "summary.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "report.html"
    r = invoke("report", str(src), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8") == render_html(doc)
    assert load_summary(src) == doc


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "not JSON (Expecting property name"),
    (b"\xff\xfe\x00", "not JSON (not UTF-8 text)"),
    ('{"schema": "other"}', "not an httptool summary (schema is 'other'"),
    ('{"schema": "httptool.summary", "schema_version": 99}',
     "schema_version 99 is not supported"),
    ('{"schema": "httptool.summary", "schema_version": 1}', "missing key 'run'"),
])
def test_report_command_bad_input_exit_2(tmp_path: Path, content: str | bytes | None,
                                         message: str) -> None:
    src = tmp_path / "summary.json"
    if isinstance(content, bytes):
        src.write_bytes(content)
    elif content is not None:
        src.write_text(content, encoding="utf-8")
    out = tmp_path / "report.html"
    r = invoke("report", str(src), "-o", str(out))
    assert r.exit_code == 2
    lines = r.stderr.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("httptool: ") and message in lines[0], lines
    assert not out.exists()


def test_report_command_unwritable_output_exit_1(doc: dict[str, Any], tmp_path: Path) -> None:
    src = tmp_path / "summary.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    r = invoke("report", str(src), "-o", str(tmp_path / "missing-dir" / "r.html"))
    assert r.exit_code == 1 and "cannot write" in r.stderr


def test_report_command_needs_output() -> None:
    assert invoke("report", "x.json").exit_code == 2


def test_interrupted_run_is_marked_partial(demo: RunResult) -> None:
    info = RunInfo("f.httpx", "s", "2 VUs for 30s", interrupted=True)
    page = render_html(json.loads(json.dumps(summary_dict(demo, info))))
    assert 'id="partial"' in page and "partial results" in page
    assert 'id="partial"' not in render_html(json.loads(json.dumps(summary_dict(demo, INFO))))


def test_ctrl_c_still_writes_the_report(target: Any, tmp_path: Path) -> None:
    """The CLI writes --report after Ctrl-C too, from the partial results."""
    scenario = tmp_path / "s.httpx"
    scenario.write_text(f'request slow {{ curl {target.url}/delay/20 }}\n'
                        "scenario s {\n  load 2 vus for 30s\n  run slow\n}\n", encoding="utf-8")
    summary, report = tmp_path / "summary.json", tmp_path / "report.html"
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.Popen([sys.executable, "-m", "httptool", "scenario", "run", str(scenario),
                             "--summary-json", str(summary), "--report", str(report)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(2.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    doc = json.loads(summary.read_text(encoding="utf-8"))
    page = report.read_text(encoding="utf-8")
    assert doc["run"]["interrupted"] is True and doc["requests"] > 0
    assert 'id="partial"' in page
    assert f'id="total-requests" data-value="{doc["requests"]}"' in page
    assert page == render_html(doc)


def test_chart_series_work_is_bounded_by_rows_not_by_the_span() -> None:
    """One far-off second (a broken or hand-edited summary) gives at most MAX_POINTS
    buckets at once; it used to loop over every second in between (hours for 1e12)."""
    rows = [{"second": 0, "requests": 4}, {"second": 10**12, "requests": 6}]
    t0 = time.monotonic()
    s = chart_series(rows)
    assert time.monotonic() - t0 < 1.0
    assert s is not None and len(s["x"]) <= MAX_POINTS
    assert s["x"][0] == 0 and s["x"][-1] <= 10**12 < s["x"][-1] + s["step"]
    assert s["active"][1:-1] == [None] * (len(s["x"]) - 2)  # the gap stays a gap
