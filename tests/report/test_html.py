"""The HTML report without a browser: self-contained, bounded in size, rendered from the
summary JSON (also older documents without the optional keys), and ``httptool report``'s
exit codes. The browser test is test_html_browser.py."""

from __future__ import annotations

import copy
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
from httptool.report.summary import render_summary
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
    with pytest.raises(ReportInputError, match="malformed summary: per_vu is missing"):
        validate_summary(bad)
    with pytest.raises(ReportInputError,
                       match=r"time_series is not a list \(it is an object\)"):
        validate_summary({**doc, "time_series": {}})
    with pytest.raises(ReportInputError, match=r"^input: malformed summary: "
                       r"per_request\.a\.latency is not an object \(it is a number\)$"):
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
    ('{"schema": "httptool.summary", "schema_version": 1}', "malformed summary: run is missing"),
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
    assert 'id="partial"' in page and "Interrupted (Ctrl-C): partial results" in page
    assert 'id="partial"' not in render_html(json.loads(json.dumps(summary_dict(demo, INFO))))
    info = RunInfo("f.httpx", "s", "2 VUs for 30s", interrupted=True, stopped_by="SIGTERM")
    page = render_html(json.loads(json.dumps(summary_dict(demo, info))))
    assert "Interrupted (SIGTERM): partial results" in page
    info = RunInfo("f.httpx", "s", "2 VUs for 30s", errors=["shard 1: lost <worker>"])
    doc = json.loads(json.dumps(summary_dict(demo, info)))
    doc["final"] = False
    page = render_html(doc)
    assert "Failed (shard 1: lost &lt;worker&gt;): partial results" in page


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


#: (how the document is broken, what the one-line message must say after "FILE: ")
MALFORMED: list[tuple[Callable[[dict[str, Any]], None], str]] = [
    (lambda d: d["total"].__setitem__("latency", "fast"),
     "malformed summary: total.latency is not an object (it is text)"),
    (lambda d: d["per_request"]["login"].__setitem__("latency", "x"),
     "malformed summary: per_request.login.latency is not an object (it is text)"),
    (lambda d: d["per_request"].__setitem__("login", 3),
     "malformed summary: per_request.login is not an object (it is a number)"),
    (lambda d: d["per_request"]["profile"].__setitem__("failures_by_kind", [1]),
     "malformed summary: per_request.profile.failures_by_kind is not an object (it is a list)"),
    (lambda d: d["total"].__setitem__("failures_by_kind", "many"),
     "malformed summary: total.failures_by_kind is not an object (it is text)"),
    (lambda d: d["checks"].__setitem__("per_check", [1, 2]),
     "malformed summary: checks.per_check is not an object (it is a list)"),
    (lambda d: d["checks"]["per_check"].__setitem__("login status == 200", None),
     "malformed summary: checks.per_check.login status == 200 is null"),
    (lambda d: d["thresholds"].__setitem__("outcomes", 7),
     "malformed summary: thresholds.outcomes is not a list (it is a number)"),
    (lambda d: d["thresholds"]["outcomes"].__setitem__(1, "p95"),
     "malformed summary: thresholds.outcomes[1] is not an object (it is text)"),
    (lambda d: d["per_vu"][2].pop("vu"), "malformed summary: per_vu[2].vu is missing"),
    (lambda d: d["per_vu"][0].__setitem__("vu", "one"),
     "malformed summary: per_vu[0].vu is not a whole number (it is text)"),
    (lambda d: d["time_series"].__setitem__(0, [0, 1]),
     "malformed summary: time_series[0] is not an object (it is a list)"),
    (lambda d: d.__setitem__("skipped", ["login"]),
     "malformed summary: skipped is not an object (it is a list)"),
    (lambda d: d["percentile_curve"].__setitem__("percentiles", ["p50"]),
     "malformed summary: percentile_curve.percentiles[0] is not a number (it is text)"),
    (lambda d: d.__setitem__("requests", "82"),
     "malformed summary: requests is not a whole number (it is text)"),
    (lambda d: d.__setitem__("rps", True),
     "malformed summary: rps is not a number (it is true)"),
    (lambda d: d.pop("total"), "malformed summary: total is missing"),
    (lambda d: d["per_request"].__setitem__("v1.login\n", {"latency": []}),
     'malformed summary: per_request["v1.login\\n"].latency is not an object (it is a list)'),
]


@pytest.mark.parametrize(("breakage", "message"), MALFORMED,
                         ids=[m.split(": ", 1)[1][:40] for _, m in MALFORMED])
def test_report_command_malformed_summary_names_file_and_part(
        doc: dict[str, Any], tmp_path: Path, breakage: Callable[[dict[str, Any]], None],
        message: str) -> None:
    """QA saw ``httptool: malformed summary: AttributeError: 'str' object has no attribute
    'get'``: no file name, a Python exception's name. Each is one line naming the file
    and the part of the JSON that is wrong, exit 2, no report written."""
    broken = copy.deepcopy(doc)
    breakage(broken)
    src = tmp_path / "m.json"
    src.write_text(json.dumps(broken), encoding="utf-8")
    out = tmp_path / "x.html"
    r = invoke("report", str(src), "-o", str(out))
    assert r.exit_code == 2, r.output
    assert r.stderr == f"httptool: {src}: {message}\n"
    assert not out.exists()


# numbers of any plausible size, and the NaN/Infinity Python's JSON reader accepts
_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**15, 10**15)
                     | st.floats(-1e12, 1e12) | st.sampled_from([math.inf, -math.inf, math.nan])
                     | st.text(max_size=5),
                     lambda kids: st.lists(kids, max_size=3)
                     | st.dictionaries(st.text(max_size=5), kids, max_size=3),
                     max_leaves=6)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document a value could be replaced (or removed)."""
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_broken_summary_renders_or_says_what_is_wrong(doc: dict[str, Any],
                                                          data: st.DataObject) -> None:
    """Replace or remove any one part of a real summary: the page renders, or the error
    is one line that names the file and a part of the JSON, never a Python exception
    (nor the catch-all for a shape the checks missed)."""
    broken = copy.deepcopy(doc)
    path = data.draw(st.sampled_from(_paths(broken)))
    parent = broken
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(_JSON)
    try:
        render_html(broken, "m.json")
    except ReportInputError as e:
        msg = str(e)
        assert msg.startswith("m.json: ") and "\n" not in msg
        assert not re.search(r"[A-Z][a-z]+(Error|Exception)\b|object has no attribute", msg)
        assert "unexpected shape" not in msg, msg  # a gap in the checks


def test_nan_or_infinity_in_a_summary_file_is_named(doc: dict[str, Any], tmp_path: Path) -> None:
    """Python reads ``NaN``/``Infinity`` in a JSON file; the report says where it is."""
    src = tmp_path / "m.json"
    text = json.dumps(doc).replace('"p95_ms": ' + json.dumps(doc["total"]["latency"]["p95_ms"]),
                                   '"p95_ms": Infinity', 1)
    src.write_text(text, encoding="utf-8")
    r = invoke("report", str(src), "-o", str(tmp_path / "x.html"))
    assert r.exit_code == 2
    assert r.stderr == (f"httptool: {src}: malformed summary: "
                        "total.latency.p95_ms is not a finite number\n")


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


@pytest.mark.parametrize(("which", "banner"), [
    ([True], "✓ the threshold passed"),
    ([False], "✗ 1 of 1 threshold failed"),
    ([True, True], "✓ all 2 thresholds passed"),
])
def test_threshold_banner_words_match_the_console(demo: RunResult, which: list[bool],
                                                  banner: str) -> None:
    """The banner says what the console's verdict line says (QA: "1 of 1 thresholds")."""
    outs = [ThresholdOutcome(o.threshold, o.actual, ok)
            for o, ok in zip(outcomes()[:len(which)], which, strict=True)]
    page = render_html(json.loads(json.dumps(summary_dict(demo, INFO, outs))))
    assert f'">Thresholds: {banner}</div>' in page
    assert banner in render_summary(demo, INFO, outs)
