"""``--trace`` over real sockets: the server receives a valid, sampled, unique W3C
``traceparent`` on every request, the NDJSON and CSV rows carry the same trace ids, and
the slowest requests in ``--summary-json`` and the HTML report are real ones."""

from __future__ import annotations

import csv
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from support.livecli import load_json, run_cli

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[str | None]

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("traceparent"))
        body = b"ok"
        self.send_response(200 if not self.path.startswith("/slow") else 201)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str | None]]]:
    seen: list[str | None] = []
    handler = type("H", (Recorder,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def scenario(tmp: Path, url: str) -> Path:
    path = tmp / "traced.httpx"
    path.write_text(f"""request a {{ curl {url}/a }}
request b {{ curl {url}/b }}
scenario s {{
  load 30 iterations with 3 vus
  run a
  run b
}}
""", encoding="utf-8")
    return path


def test_every_request_carries_a_fresh_sampled_trace(server: tuple[str, list[str | None]],
                                                    tmp_path: Path) -> None:
    url, seen = server
    out = {k: tmp_path / f"rows.{k}" for k in ("ndjson", "csv")}
    summary, report = tmp_path / "s.json", tmp_path / "r.html"
    run = run_cli("scenario", "run", str(scenario(tmp_path, url)), "--trace", "--workers", "2",
                  "--out", f"json={out['ndjson']}", "--out", f"csv={out['csv']}",
                  "--summary-json", str(summary), "--report", str(report))
    assert run.returncode == 0, run.stderr
    doc = load_json(summary)
    assert len(seen) == doc["requests"] == 60
    parsed = [TRACEPARENT.match(h or "") for h in seen]
    assert all(parsed), seen[:3]
    sent = {m.group(1) for m in parsed if m}
    assert len(sent) == 60  # a new trace per request, across both worker processes

    rows = [json.loads(line) for line in out["ndjson"].read_text().splitlines()]
    assert {r["trace_id"] for r in rows} == sent
    with out["csv"].open(newline="") as f:
        assert {r["trace_id"] for r in csv.DictReader(f)} == sent

    slowest = doc["slowest_requests"]
    assert len(slowest) == 10
    lat = [s["latency_ms"] for s in slowest]
    assert lat == sorted(lat, reverse=True)
    by_id = {r["trace_id"]: r for r in rows}
    for s in slowest:
        row = by_id[s["trace_id"]]
        assert (row["name"], row["vu"], row["iteration"]) == (s["request"], s["vu"],
                                                              s["iteration"])
        assert abs(row["latency_ms"] - s["latency_ms"]) < 0.01
    assert max(r["latency_ms"] for r in rows) == pytest.approx(lat[0], abs=0.01)
    html = report.read_text(encoding="utf-8")
    assert 'id="slowest-table"' in html
    assert all(f'data-trace-id="{s["trace_id"]}"' in html for s in slowest)


def test_without_trace_nothing_is_added(server: tuple[str, list[str | None]],
                                        tmp_path: Path) -> None:
    url, seen = server
    rows_path, summary = tmp_path / "rows.ndjson", tmp_path / "s.json"
    run = run_cli("scenario", "run", str(scenario(tmp_path, url)), "--workers", "1",
                  "--out", f"json={rows_path}", "--summary-json", str(summary))
    assert run.returncode == 0, run.stderr
    assert seen == [None] * 60
    assert {json.loads(line)["trace_id"] for line in rows_path.read_text().splitlines()} == {""}
    assert "slowest_requests" not in load_json(summary)
