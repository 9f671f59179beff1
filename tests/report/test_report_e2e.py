"""Every reporter fed by a real run: scenario -> run_shard (2 shards) against the built-in
target -> merged result and events. The same numbers must appear everywhere: summary,
progress, per-VU table, NDJSON, CSV, summary JSON, JUnit."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from httptool.report.csv_out import CsvWriter
from httptool.report.info import RunInfo
from httptool.report.json_summary import write_summary_json
from httptool.report.junit import write_junit
from httptool.report.ndjson import NdjsonWriter
from httptool.report.progress import PlainProgress
from httptool.report.summary import render_summary
from httptool.report.thresholds import evaluate_thresholds
from httptool.report.verbose import VerbosePrinter
from support.runshard import Outcome, plan_from, run_plan

SCENARIO = """
var base = "http://app.test"
request login {
  curl -X POST ${base}/login -H 'Content-Type: application/json' \\
    -d '{"username":"user-${VU}","password":"secret"}'
  extract { token = $.token }
  assert { status == 200 }
}
request me {
  curl ${base}/me -H "Authorization: Bearer ${token}"
  assert {
    status == 200
    $.username == "nobody"
  }
}
request broken { curl ${base}/status/503 }
request down { curl http://down.test/x }
scenario journey {
  load 12 iterations with 3 vus
  thresholds { p95 < 2s  error_rate < 1%  login.checks > 99% }
  run login { run me }
  run broken
  run down
}
"""


@pytest.fixture(scope="module")
def real(target: Any) -> tuple[Outcome, Any, RunInfo]:
    plan = plan_from(SCENARIO)
    started = time.time()
    out = run_plan(plan, shards=2, base_url_map=(("http://app.test", target.url),
                                                  ("http://down.test", "http://127.0.0.1:1")))
    sc = plan.scenario()
    info = RunInfo.from_plan("journey.httpx", sc, "12 iterations shared by 3 VUs", 2, started)
    outs = evaluate_thresholds(sc.thresholds, out.result, [r.name for r in plan.requests])
    return out, outs, info


def test_same_numbers_everywhere(real, tmp_path: Path) -> None:
    out, outs, info = real
    res = out.result
    assert res.total_requests == 48 and res.total_failures == 36  # me, broken, down fail
    assert [o.passed for o in outs] == [True, False, True]

    text = render_summary(res, info, outs)
    assert re.search(r"^  requests \.+: 48 \(", text, re.M)
    assert re.search(r"^  failures \.+: 36 \(75\.00% of requests\)$", text, re.M)
    kinds = dict(re.findall(r"^    (\w+) \.+: (\d+)  \(", text, re.M))
    assert kinds == {"assertion": "12", "refused": "12", "status": "12"}

    prog = io.StringIO()
    p = PlainProgress(prog, start=0.0)
    p.update(res, 2.0)
    p.finish(res)
    assert prog.getvalue().splitlines() == [
        "🔄 Progress: 48 requests | 36 errors | 0 active VUs",
        "✓ Completed: 48 requests | 36 errors"]

    log = io.StringIO()
    vp = VerbosePrinter(log)
    vp.handle(out.events)
    vp.finish(res)
    per_vu = re.findall(r"^  VU (\d+): (\d+) iterations, (\d+) requests \(✓ (\d+), ✗ (\d+)\)",
                        log.getvalue(), re.M)
    assert sum(int(r[2]) for r in per_vu) == 48 and sum(int(r[4]) for r in per_vu) == 36
    assert sum(int(r[1]) for r in per_vu) == 12
    assert len(re.findall(r"↳ connection refused", log.getvalue())) == 12

    with NdjsonWriter(tmp_path / "r.ndjson") as nd, CsvWriter(tmp_path / "r.csv") as cw:
        for i in range(0, len(out.events), 5):
            nd.handle(out.events[i:i + 5])
            cw.handle(out.events[i:i + 5])
    rows = [json.loads(x) for x in (tmp_path / "r.ndjson").read_text().splitlines()]
    assert len(rows) == 48 and sum(not r["ok"] for r in rows) == 36
    assert sum(r["status"] == 0 for r in rows) == res.total.errors == 12
    with open(tmp_path / "r.csv", newline="") as f:
        crow = list(csv.DictReader(f))
    assert len(crow) == 48 and sum(r["ok"] == "false" for r in crow) == 36

    write_summary_json(tmp_path / "s.json", res, info, outs)
    doc = json.loads((tmp_path / "s.json").read_text())
    assert (doc["requests"], doc["failures"]) == (48, 36)
    assert sum(v["requests"] for v in doc["per_vu"]) == 48
    assert doc["thresholds"]["passed"] is False

    write_junit(tmp_path / "j.xml", res, info, outs)
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert len(root.findall(".//testcase")) == len(res.checks) + 3 == 6
    assert len(root.findall(".//failure")) == 1 + 1  # the me body check, error_rate
