"""``--out prometheus`` scraped by a real Prometheus (the Debian ``prometheus`` package,
installed by scripts/ensure-prometheus.sh from ``make test``): its PromQL API must
return the run's request total, the same as ``--summary-json`` and the server's count."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.livecli import free_port, load_json, run_cli, write_scenario

PROMETHEUS = shutil.which("prometheus")


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:  # loopback only
        return json.loads(r.read())


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A real Prometheus scraping 127.0.0.1:<port>/metrics every second: (API URL, port
    the run must serve on)."""
    if PROMETHEUS is None:
        pytest.skip("prometheus is not on PATH (scripts/ensure-prometheus.sh installs the "
                    "Debian package prometheus); the real-Prometheus test is skipped")
    target_port, web_port = free_port(), free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: httptool\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{target_port}']}}]\n",
        encoding="utf-8")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{web_port}"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("w"))
    api = f"http://127.0.0.1:{web_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{api}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("prometheus did not become ready: "
                                     + (tmp_path / "prometheus.log").read_text()[-2000:])
            time.sleep(0.2)
        # its discovery hands targets over about 5 s after start: wait for the first
        # (failing) scrape, so the run is watched from its first second
        while not any(t.get("lastError") for t in
                      _get(f"{api}/api/v1/targets")["data"]["activeTargets"]):
            if time.monotonic() > deadline:
                raise AssertionError("prometheus never tried to scrape the run's port")
            time.sleep(0.2)
        yield api, target_port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def query(api: str, promql: str) -> list[dict[str, Any]]:
    doc = _get(f"{api}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
    assert doc["status"] == "success", doc
    return list(doc["data"]["result"])


def test_a_real_prometheus_scrapes_the_run_totals(prometheus: tuple[str, int], target: Any,
                                                  tmp_path: Path) -> None:
    api, port = prometheus
    scenario = write_scenario(tmp_path, target.url, vus=3, duration="3s")
    target.reset()
    summary = tmp_path / "summary.json"
    run = run_cli("scenario", "run", str(scenario), "--workers", "2",
                  "--out", f"prometheus=127.0.0.1:{port}", "--summary-json", str(summary))
    assert run.returncode == 0, run.stderr
    assert f"Prometheus metrics at http://127.0.0.1:{port}/metrics" in run.stderr
    doc = load_json(summary)
    served = target.counts()["total"]
    assert doc["requests"] == served > 100

    # counters: the last scrape (after the end) holds the final numbers; stale markers
    # follow once the endpoint is gone, so read the most recent value over the window
    total = query(api, "sum(max_over_time(httptool_http_reqs_total[5m]))")
    assert int(float(total[0]["value"][1])) == doc["requests"]
    by_status = {r["metric"]["status"]: int(float(r["value"][1])) for r in query(
        api, "sum by (status) (max_over_time(httptool_http_reqs_total[5m]))")}
    assert by_status == {"200": doc["per_request"]["home"]["requests"],
                         "404": doc["per_request"]["missing"]["requests"]}
    failed = query(api, 'sum(max_over_time(httptool_http_req_failed_total{kind="status"}[5m]))')
    assert int(float(failed[0]["value"][1])) == doc["failures"]
    finished = query(api, "max_over_time(httptool_run_finished[5m])")
    assert finished[0]["value"][1] == "1"
    checks = query(api, 'max_over_time(httptool_checks_total{result="pass"}[5m])')
    assert int(float(checks[0]["value"][1])) == doc["checks"]["passed"]
    # the run was watched live: more than one scrape saw it, with a growing count
    samples = query(api, "count_over_time(httptool_iterations_total[5m])")
    assert int(samples[0]["value"][1]) >= 2

