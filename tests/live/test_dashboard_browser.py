"""``--dashboard`` in a real browser (headless Chromium over the DevTools protocol, as the
HTML report's test does): during a run against the built-in target the page shows a
request count that grows between two reads and draws its charts; at the end it becomes
the run's report, with the numbers of ``--summary-json``. Set
``HTTPTOOL_DASHBOARD_SCREENSHOT=path.png`` to keep the mid-run screenshot
(docs/img/dashboard.png is one)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from support.chromium import CHROMIUM, VIEW_H, VIEW_W, chromium_tab, evaluate, screenshot
from support.livecli import cli, free_port, load_json, wait_http

if CHROMIUM is None:
    pytest.skip("chromium is not on PATH (scripts/ensure-chromium.sh installs it: apt-get "
                "install chromium); the dashboard's browser test is skipped",
                allow_module_level=True)

SCENARIO = """\
request home {{
  curl {url}/get
  assert {{ status == 200 }}
}}
request item {{
  curl {url}/status/200,200,200,500
  assert {{ status == 200 }}
}}
scenario watched {{
  load {{ vus = 4, duration = 5s }}
  think_time = 20ms
  thresholds {{ p95 < 500ms  error_rate < 50% }}
  run home
  run item
}}
"""

LIVE_JS = """!document.getElementById('live-requests') ? null : JSON.stringify({
  updates: +(document.body.getAttribute('data-updates') || 0),
  requests: +document.getElementById('live-requests').dataset.value,
  status: document.getElementById('live-status').dataset.state,
  rows: document.querySelectorAll('#live-requests-table tbody tr').length,
  thresholds: document.querySelectorAll('#live-thresholds-table tbody tr').length,
  canvases: document.querySelectorAll('.chart .plot canvas').length,
  slowest: document.querySelectorAll('#live-slowest-table tbody tr[data-trace-id]').length,
})"""

FINAL_JS = """(() => {
  const t = document.getElementById('total-requests');
  if (!t) return null;
  const reqs = {};
  document.querySelectorAll('#requests-table tbody tr[data-request]').forEach(tr => {
    reqs[tr.dataset.request] = +tr.dataset.requests;
  });
  return JSON.stringify({requests: +t.dataset.value,
    failures: +document.getElementById('total-failures').dataset.value, per_request: reqs,
    title: document.title});
})()"""


async def poll(cdp: Any, s: str, expr: str, ok: Any, timeout: float = 20) -> Any:
    got = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = await evaluate(cdp, s, expr)
        value = json.loads(got) if got else None
        if value is not None and ok(value):
            return value
        await asyncio.sleep(0.2)
    where = await evaluate(cdp, s, "location.href + ' ' + document.title")
    raise AssertionError(f"the page ({where}) never showed what was expected: {got}")


async def watch(url: str, shots: Path) -> dict[str, Any]:
    async with chromium_tab(shots / "profile", loopback=True) as (cdp, s):
        for domain in ("Page", "Runtime", "Network"):
            await cdp.send(f"{domain}.enable", {}, s)
        await cdp.send("Emulation.setDeviceMetricsOverride",
                       {"width": VIEW_W, "height": VIEW_H, "deviceScaleFactor": 1,
                        "mobile": False}, s)
        await cdp.send("Page.navigate", {"url": url}, s)
        first = await poll(cdp, s, LIVE_JS, lambda v: v["requests"] > 0 and v["updates"] >= 1)
        await asyncio.sleep(1.5)
        second = await poll(cdp, s, LIVE_JS, lambda v: v["requests"] > first["requests"])
        await poll(cdp, s, "JSON.stringify(+document.getElementById('live-elapsed')"
                           ".textContent.split('s')[0])", lambda v: v >= 4)
        await screenshot(cdp, s, shots / "dashboard.png")  # 4 s in: charts with a history
        final = await poll(cdp, s, FINAL_JS, lambda v: True, timeout=40)
        return {"first": first, "second": second, "final": final,
                "requests": [e["request"]["url"] for e in cdp.named("Network.requestWillBeSent")],
                "exceptions": cdp.named("Runtime.exceptionThrown")}


def test_the_dashboard_in_chromium_grows_then_shows_the_summary(target: Any,
                                                                tmp_path: Path) -> None:
    scenario = tmp_path / "watched.httpx"
    scenario.write_text(SCENARIO.format(url=target.url), encoding="utf-8")
    summary = tmp_path / "summary.json"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = cli("scenario", "run", str(scenario), "--workers", "2", "--summary-json",
               str(summary), f"--dashboard=127.0.0.1:{port}", "--dashboard-linger", "--trace")
    try:
        wait_http(url)
        page = asyncio.run(watch(url, tmp_path))
        keep = os.environ.get("HTTPTOOL_DASHBOARD_SCREENSHOT")
        if keep:
            shutil.copyfile(tmp_path / "dashboard.png", keep)
        deadline = time.monotonic() + 30
        while not summary.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc.poll() is None  # --dashboard-linger: serving the final page
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, 99), err
    doc = load_json(summary)

    first, second = page["first"], page["second"]
    assert 0 < first["requests"] < second["requests"] <= doc["requests"]
    assert second["status"] == "running" and second["rows"] == 2
    assert second["thresholds"] == 2 and second["canvases"] == 3
    assert second["slowest"] == 10  # --trace: the slowest requests so far, with trace ids
    final = page["final"]
    assert final["title"] == "httptool report: watched"
    assert (final["requests"], final["failures"]) == (doc["requests"], doc["failures"])
    assert final["per_request"] == {n: r["requests"] for n, r in doc["per_request"].items()}
    # every asset came from the process itself: nothing but the page and its stream
    assert {u for u in page["requests"]} <= {url, url + "events"}
    assert page["exceptions"] == []
