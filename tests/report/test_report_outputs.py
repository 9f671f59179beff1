"""Output files: NDJSON and CSV streamed per request (counts match the result), the
summary JSON (schema, round trip), JUnit XML (test cases and failures), --out parsing,
and whole last lines after an interrupted write."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from reportdata import Run, build, demo_run, events_of

from httptool.metrics import SCHEMA_VERSION, CheckResult
from httptool.report.csv_out import CsvWriter
from httptool.report.info import RunInfo
from httptool.report.json_summary import summary_dict, write_summary_json
from httptool.report.junit import junit_tree, write_junit
from httptool.report.linefile import LineFile
from httptool.report.ndjson import NdjsonWriter
from httptool.report.outputs import OutSpec, open_event_writer, parse_out_option
from httptool.report.request_rows import FIELDS
from httptool.report.thresholds import evaluate_thresholds, parse_threshold_option

INFO = RunInfo("examples/scenarios/demo.httpx", "journey", "4 VUs for 8s", 2,
               1_714_560_000.0, 8.0)


def outcomes(result, *texts):
    return evaluate_thresholds([parse_threshold_option(t) for t in texts], result,
                               list(result.requests))


def test_ndjson_one_line_per_request_streamed(tmp_path: Path) -> None:
    run = demo_run()
    res = build(run)
    evs = events_of(run)
    path = tmp_path / "out.ndjson"
    w = NdjsonWriter(path)
    w.handle(evs[:30])
    # streamed: what was handled is on disk before close
    assert len(path.read_bytes().splitlines()) == sum(e[0] == "req" for e in evs[:30])
    w.handle(evs[30:])
    w.close()
    w.close()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == res.total_requests == w.rows
    assert sum(not r["ok"] for r in rows) == res.total_failures
    assert all(list(r) == list(FIELDS) for r in rows)
    assert sum(r["status"] == 0 for r in rows) == res.total.errors
    first = rows[0]
    assert isinstance(first["time"], float) and first["time"] > 1.7e9
    assert (first["method"], first["url"][:22], first["ok"], first["reason"]) == \
        ("GET", "http://127.0.0.1:8080/", True, "")
    bad = next(r for r in rows if r["status"] == 0)
    assert bad["reason"] == "connection refused" and bad["ok"] is False
    assert {r["name"] for r in rows} == set(res.requests)
    per_vu = {v.vu: v.requests for v in res.vus}
    assert {vu: sum(r["vu"] == vu for r in rows) for vu in per_vu} == per_vu


def test_csv_same_rows_with_header(tmp_path: Path) -> None:
    run = demo_run()
    res = build(run)
    evs = events_of(run)
    path = tmp_path / "out.csv"
    with CsvWriter(path) as w:
        for i in range(0, len(evs), 7):
            w.handle(evs[i:i + 7])
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(FIELDS)
    assert len(rows) == res.total_requests
    assert sum(r["ok"] == "false" for r in rows) == res.total_failures
    assert {r["ok"] for r in rows} == {"true", "false"}
    assert any(r["reason"] == "assert body.id == 1 failed: got 2" for r in rows)
    assert all(float(r["latency_ms"]) > 0 for r in rows)


def test_urls_masked_in_files(tmp_path: Path) -> None:
    ev = ("req", 1.0, 1, 1, "me", "GET", "https://bob:hunter2@h/x,y", 200, 3.0, True, "")
    with NdjsonWriter(tmp_path / "a.ndjson") as w:
        w.handle([ev, ("iter", 1.0, 1, 2)])
    with CsvWriter(tmp_path / "a.csv") as c:
        c.handle([ev])
    for name in ("a.ndjson", "a.csv"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "hunter2" not in text and "bob:****@h" in text
    with open(tmp_path / "a.csv", newline="", encoding="utf-8") as f:
        assert list(csv.reader(f))[1][5] == "https://bob:****@h/x,y"  # quoted comma


def test_interrupted_write_leaves_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.ndjson"
    lf = LineFile(path)
    lf.write_block(b'{"a":1}\n{"a":2}\n')

    class Boom(KeyboardInterrupt):
        pass

    real = lf._f

    class HalfWriter:
        """Writes half of the block, then is interrupted (as by Ctrl-C)."""

        def write(self, data: bytes) -> int:
            real.write(data[: len(data) // 2])
            raise Boom

        def __getattr__(self, name: str):
            return getattr(real, name)

    lf._f = HalfWriter()  # type: ignore[assignment]
    with pytest.raises(Boom):
        lf.write_block(b'{"a":3}\n{"a":4}\n')
    lf._f = real
    lf.close()
    assert path.read_bytes() == b'{"a":1}\n{"a":2}\n'
    with pytest.raises(ValueError):
        lf.write_block(b"x\n")


@pytest.mark.parametrize(("text", "spec"), [
    ("json=out.ndjson", OutSpec("json", "out.ndjson")),
    ("ndjson=a/b.json", OutSpec("json", "a/b.json")),
    ("CSV=res.csv", OutSpec("csv", "res.csv")),
    ("csv=with=equals.csv", OutSpec("csv", "with=equals.csv")),
])
def test_parse_out_option(text: str, spec: OutSpec) -> None:
    assert parse_out_option(text) == spec


@pytest.mark.parametrize(("text", "message"), [
    ("out.json", "expected KIND=PATH"),
    ("xml=out.xml", "unknown output kind 'xml' (use json, csv or prometheus)"),
    ("json=", "missing the file path"),
    ("=x", "unknown output kind ''"),
])
def test_parse_out_option_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="invalid --out") as e:
        parse_out_option(text)
    assert message in str(e.value)


def test_open_event_writer(tmp_path: Path) -> None:
    w = open_event_writer(parse_out_option(f"csv={tmp_path / 'r.csv'}"))
    assert isinstance(w, CsvWriter)
    w.close()
    assert (tmp_path / "r.csv").read_bytes() == (",".join(FIELDS) + "\r\n").encode()
    w2 = open_event_writer(parse_out_option(f"json={tmp_path / 'r.ndjson'}"))
    assert isinstance(w2, NdjsonWriter)
    w2.close()
    assert (tmp_path / "r.ndjson").read_bytes() == b""
    with pytest.raises(OSError):
        open_event_writer(OutSpec("json", str(tmp_path / "missing-dir" / "x")))


def test_summary_json_round_trip(tmp_path: Path) -> None:
    res = build(demo_run())
    outs = outcomes(res, "p95<500ms", "error_rate<1%", "nope.p95<1ms")
    path = tmp_path / "summary.json"
    write_summary_json(path, res, INFO, outs)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert list(doc)[:4] == ["schema", "schema_version", "run", "thresholds"]
    assert (doc["schema"], doc["schema_version"]) == ("httptool.summary", SCHEMA_VERSION)
    assert doc["run"]["scenario"] == "journey" and doc["run"]["workers"] == 2
    assert doc["run"]["started_at_iso"].startswith("2024-05-01T")
    assert doc["thresholds"]["passed"] is False
    assert [o["passed"] for o in doc["thresholds"]["outcomes"]] == [True, False, False]
    assert doc["thresholds"]["outcomes"][2]["actual"] is None
    assert doc["thresholds"]["outcomes"][2]["note"] == "unknown request 'nope'"
    assert doc["requests"] == res.total_requests and doc["failures"] == res.total_failures
    assert sum(v["requests"] for v in doc["per_vu"]) == doc["requests"]
    assert [v["vu"] for v in doc["per_vu"]] == [1, 2, 3, 4]
    assert sum(s["requests"] for s in doc["time_series"]) == doc["requests"]
    assert doc == json.loads(json.dumps(summary_dict(res, INFO, outs)))
    assert not list(tmp_path.glob("*.tmp*"))  # the temporary file was renamed


def test_summary_json_never_writes_nan(tmp_path: Path) -> None:
    res = build(demo_run())
    res.duration_s = float("inf")  # a broken value must not make invalid JSON
    write_summary_json(tmp_path / "s.json", res, INFO)
    assert json.loads((tmp_path / "s.json").read_text())["duration_s"] is None


def test_junit(tmp_path: Path) -> None:
    res = build(demo_run())
    outs = outcomes(res, "p95<500ms", "error_rate<1%", "checks>99%")
    path = tmp_path / "junit.xml"
    write_junit(path, res, INFO, outs)
    assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(res.checks) + len(outs) == 5
    fails = root.findall("./testsuite/testcase/failure")
    assert len(fails) == 1 + 2  # one failing check, two failing thresholds
    assert (root.get("tests"), root.get("failures")) == ("5", "3")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["journey.checks", "journey.thresholds"]
    checks = suites["journey.checks"]
    assert (checks.get("tests"), checks.get("failures")) == ("2", "1")
    bad = checks.find("testcase[@name='profile body.id == 1']/failure")
    assert bad is not None and bad.get("message") == "4 of 41 failed (90.24% passed)"
    assert bad.get("type") == "check"
    th = suites["journey.thresholds"].find("testcase[@name='error_rate < 1%']/failure")
    assert th is not None and th.get("message") == "error_rate < 1%: 12.20%"
    ok = suites["journey.thresholds"].find("testcase[@name='p95 < 500ms']")
    assert ok is not None and ok.find("failure") is None
    props = {p.get("name"): p.get("value") for p in checks.iter("property")}
    assert props["load"] == "4 VUs for 8s" and props["interrupted"] == "false"


def test_junit_escapes_and_empty(tmp_path: Path) -> None:
    res = build(demo_run())
    name = 'x body contains "<a&b>"'
    res.checks = {name: CheckResult(name, 1, 2)}
    tree = junit_tree(res, INFO, [])
    text = ET.tostring(tree.getroot(), encoding="unicode")
    assert ET.fromstring(text).find(".//testcase").get("name") == 'x body contains "<a&b>"'
    empty = junit_tree(build(Run([])), INFO, [])
    assert empty.getroot().findall("testsuite") == [] and empty.getroot().get("tests") == "0"


def test_junit_of_an_interrupted_run_has_an_error_case() -> None:
    """No checks, no thresholds, stopped by SIGTERM: a CI test tab must show it red, not
    an empty (green) report (QA)."""
    info = replace(INFO, interrupted=True, stopped_by="SIGTERM")
    root = junit_tree(build(Run([])), info, []).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "1")
    case = root.find("testsuite/testcase")
    assert case is not None and case.get("name") == "run finished"
    err = case.find("error")
    assert err is not None and err.get("message") == "interrupted (SIGTERM): partial results"
