"""The HTML report in a real browser: a run against the built-in target, through the CLI
(``--summary-json`` and ``--report``), opened in headless Chromium driven over the Chrome
DevTools protocol (aiohttp's websocket client; no Playwright, no browser download).

The browser is offline (``Network.emulateNetworkConditions``, and a dead proxy for good
measure) and every request it makes is recorded: the page must render from the file
alone. The test waits for the four charts to be drawn (canvas pixels), checks that the
console stayed clean, compares the numbers in the DOM with the summary JSON, sorts a
table by clicking its header, and saves screenshots (light and dark; set
``HTTPTOOL_REPORT_SCREENSHOT=path.png`` to keep the light one).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.chromium import (
    CHROMIUM,
    VIEW_H,
    VIEW_W,
    chromium_tab,
    evaluate,
    screenshot,
    wait_drawn,
)
from support.journeys import LOGIN_ME

if CHROMIUM is None:
    pytest.skip("chromium is not on PATH (scripts/ensure-chromium.sh installs it: apt-get "
                "install chromium); the browser test of the HTML report is skipped",
                allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]

SCENARIO = """\
var base = "{url}"
""" + LOGIN_ME + """\
request slow {{ curl ${{base}}/delay/15 }}
request flaky {{ curl ${{base}}/status/200,200,200,503 }}
scenario journey {{
  load {{ stage {{ duration = 2s, vus = 6 }} stage {{ duration = 2s, vus = 6 }} }}
  think_time = 50ms
  thresholds {{ p95 < 500ms  error_rate < 1%  checks > 99% }}
  run login {{ run me }}
  run slow
  run flaky
}}
"""


# What the page says, read in the page (numbers from data-* attributes).
PROBE_JS = """(() => {
  const num = (el, a) => el ? parseFloat(el.getAttribute(a)) : null;
  const canvases = Array.from(document.querySelectorAll('.chart .plot canvas')).map(c => {
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) painted++;
    return {id: c.closest('.plot').id, w: c.width, h: c.height, painted: painted};
  });
  const reqs = {};
  document.querySelectorAll('#requests-table tbody tr[data-request]').forEach(tr => {
    reqs[tr.dataset.request] = {requests: num(tr, 'data-requests'),
      failures: num(tr, 'data-failures'), p95_ms: num(tr, 'data-p95-ms'),
      shown_requests: tr.cells[1].textContent};
  });
  const vuRows = Array.from(document.querySelectorAll('table.per-vu tbody tr')).map(tr =>
    ({vu: +tr.dataset.vu, requests: +tr.cells[2].dataset.v, ok: +tr.cells[3].dataset.v,
      failed: +tr.cells[4].dataset.v, iterations: +tr.cells[1].dataset.v}));
  const sums = document.getElementById('per-vu-sums');
  const checks = {};
  document.querySelectorAll('#checks-table tbody tr').forEach(tr => {
    checks[tr.dataset.check] = +tr.cells[2].dataset.v;
  });
  const thresholds = Array.from(document.querySelectorAll('#thresholds-table tbody tr')).map(
    tr => ({threshold: tr.dataset.threshold, passed: tr.dataset.passed === 'true'}));
  const kinds = {};
  document.querySelectorAll('#failures-table tbody tr').forEach(tr => {
    kinds[tr.dataset.kind] = +tr.dataset.count;
  });
  return JSON.stringify({
    drawn: document.body.getAttribute('data-charts-drawn'),
    plots: document.querySelectorAll('.chart .plot').length,
    canvases: canvases,
    total_requests: num(document.getElementById('total-requests'), 'data-value'),
    total_failures: num(document.getElementById('total-failures'), 'data-value'),
    total_requests_text: document.getElementById('total-requests').textContent,
    dropped: num(document.getElementById('dropped'), 'data-value'),
    requests: reqs, vu_rows: vuRows,
    vu_sums: sums ? {vus: num(sums, 'data-vus'), requests: num(sums, 'data-sum-requests'),
      ok: num(sums, 'data-sum-ok'), failed: num(sums, 'data-sum-failed'),
      iterations: num(sums, 'data-sum-iterations')} : null,
    checks: checks, thresholds: thresholds, kinds: kinds,
    verdict: document.getElementById('verdict').dataset.passed,
    scroll_w: document.documentElement.scrollWidth,
  });
})()"""


async def open_report(report: Path, shots: Path) -> dict[str, Any]:
    """Load ``report`` offline; return what the page shows, its console errors and the
    requests it tried, in light and dark mode."""
    async with chromium_tab(shots / "profile") as (cdp, s):
        for domain in ("Page", "Runtime", "Log", "Network"):
            await cdp.send(f"{domain}.enable", {}, s)
        await cdp.send("Network.emulateNetworkConditions",
                       {"offline": True, "latency": 0, "downloadThroughput": -1,
                        "uploadThroughput": -1}, s)
        await cdp.send("Emulation.setDeviceMetricsOverride",
                       {"width": VIEW_W, "height": VIEW_H, "deviceScaleFactor": 1,
                        "mobile": False}, s)
        await cdp.send("Emulation.setEmulatedMedia",
                       {"features": [{"name": "prefers-color-scheme", "value": "light"}]},
                       s)
        await cdp.send("Page.navigate", {"url": report.as_uri()}, s)
        await cdp.wait_event("Page.loadEventFired")
        await wait_drawn(cdp, s, 4)
        light = json.loads(await evaluate(cdp, s, PROBE_JS))
        await screenshot(cdp, s, shots / "report-light.png")
        # sort the per-VU table by requests, as a user clicking the header
        order = await evaluate(cdp, s, """(() => {
          const t = document.querySelector('table.per-vu');
          const th = t.tHead.rows[0].cells[2];
          th.click();
          const asc = Array.from(t.tBodies[0].rows).map(r => +r.cells[2].dataset.v);
          const a = th.getAttribute('aria-sort');
          th.click();
          const desc = Array.from(t.tBodies[0].rows).map(r => +r.cells[2].dataset.v);
          return JSON.stringify({asc, desc, a, d: th.getAttribute('aria-sort')});
        })()""")
        await cdp.send("Emulation.setEmulatedMedia",
                       {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
                       s)
        await asyncio.sleep(0.3)
        await wait_drawn(cdp, s, 4)
        dark = json.loads(await evaluate(cdp, s, PROBE_JS))
        bg = await evaluate(cdp, s, "getComputedStyle(document.documentElement)"
                                    ".backgroundColor")
        await screenshot(cdp, s, shots / "report-dark.png")
        pdf = await cdp.send("Page.printToPDF", {"printBackground": False}, s)
        await asyncio.sleep(0.2)
        return {"light": light, "dark": dark, "dark_bg": bg,
                "sort": json.loads(order), "pdf_bytes": len(base64.b64decode(pdf["data"])),
                "console": [e for e in cdp.named("Runtime.consoleAPICalled")
                            if e.get("type") in ("error", "assert", "warning")],
                "exceptions": cdp.named("Runtime.exceptionThrown"),
                "log": [e["entry"] for e in cdp.named("Log.entryAdded")
                        if e["entry"].get("level") in ("error", "warning")],
                "requests": [e["request"]["url"]
                             for e in cdp.named("Network.requestWillBeSent")],
                "failed": cdp.named("Network.loadingFailed")}


# ------------------------------------------------------------------ the test


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([sys.executable, "-m", "httptool", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_report_of_a_real_run_renders_offline_in_chromium(target: Any, tmp_path: Path) -> None:
    scenario = tmp_path / "journey.httpx"
    scenario.write_text(SCENARIO.format(url=target.url), encoding="utf-8")
    summary_path, report = tmp_path / "summary.json", tmp_path / "report.html"
    run = run_cli("scenario", "run", str(scenario), "--summary-json", str(summary_path),
                  "--report", str(report), "--threshold", "login.p95 < 300ms")
    # error_rate < 1% fails (flaky answers 503 one time in four): exit 99, report written
    assert run.returncode == 99, run.stderr
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert summary["requests"] > 40 and summary["failures"] > 0

    # built later from the archived JSON: the very same page
    later = tmp_path / "later.html"
    again = run_cli("report", str(summary_path), "-o", str(later))
    assert again.returncode == 0, again.stderr
    assert later.read_bytes() == report.read_bytes()

    page = asyncio.run(open_report(report, tmp_path))
    keep = os.environ.get("HTTPTOOL_REPORT_SCREENSHOT")
    if keep:
        shutil.copyfile(tmp_path / "report-light.png", keep)
        shutil.copyfile(tmp_path / "report-dark.png", Path(keep).with_suffix(".dark.png"))

    # offline, and nothing but the file itself was requested
    assert [u for u in page["requests"] if not u.startswith("file:")] == []
    assert page["failed"] == []
    assert page["console"] == [] and page["exceptions"] == [] and page["log"] == []

    for mode in ("light", "dark"):
        dom = page[mode]
        assert dom["drawn"] == "4" and dom["plots"] == 4
        ids = sorted(c["id"] for c in dom["canvases"])
        assert ids == ["chart-curve", "chart-latency", "chart-rps", "chart-vus"]
        for c in dom["canvases"]:
            assert c["w"] > 300 and c["h"] > 100, c
            assert c["painted"] > 2000, f"{c['id']} looks blank: {c}"
        assert dom["scroll_w"] <= VIEW_W, "the page scrolls sideways on a laptop screen"
    assert page["dark_bg"] == "rgb(22, 24, 27)"

    dom = page["light"]
    assert dom["total_requests"] == summary["requests"]
    assert dom["total_requests_text"] == str(summary["requests"])
    assert dom["total_failures"] == summary["failures"]
    assert dom["dropped"] == summary["iterations"]["dropped"]
    assert set(dom["requests"]) == set(summary["per_request"])
    for name, r in summary["per_request"].items():
        shown = dom["requests"][name]
        assert shown["requests"] == r["requests"] and shown["failures"] == r["failures"]
        assert shown["p95_ms"] == r["latency"]["p95_ms"], name
        assert shown["shown_requests"] == str(r["requests"])
    vus = summary["per_vu"]
    assert len(vus) <= 50 and len(dom["vu_rows"]) == len(vus)
    assert sorted(dom["vu_rows"], key=lambda v: v["vu"]) == sorted(
        ({k: v[k] for k in ("vu", "requests", "ok", "failed", "iterations")} for v in vus),
        key=lambda v: v["vu"])
    sums = dom["vu_sums"]
    assert sums["vus"] == len(vus)
    for k in ("requests", "ok", "failed", "iterations"):
        assert sums[k] == sum(v[k] for v in vus), k
    assert sums["requests"] == summary["requests"]
    assert dom["checks"] == {n: c["passed"] for n, c in summary["checks"]["per_check"].items()}
    assert dom["thresholds"] == [{"threshold": o["threshold"], "passed": o["passed"]}
                                 for o in summary["thresholds"]["outcomes"]]
    assert dom["kinds"] == summary["total"]["failures_by_kind"]
    assert dom["verdict"] == "false"

    order = page["sort"]
    assert order["asc"] == sorted(order["asc"]) and order["a"] == "ascending"
    assert order["desc"] == sorted(order["asc"], reverse=True) and order["d"] == "descending"
    assert page["pdf_bytes"] > 10_000  # it prints


SERIES_PIXELS_JS = """JSON.stringify(Object.fromEntries(
  Array.from(document.querySelectorAll('.chart .plot canvas')).map(c => {
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    // pixels of the series' colours (#0072B2, #D55E00, #009E73: the light palette's first
    // three), not of the grid, the axes or the background
    const cols = [[0, 114, 178], [213, 94, 0], [0, 158, 115]];
    let n = 0;
    for (let i = 0; i < px.length; i += 4)
      if (px[i + 3] > 200 && cols.some(([r, g, b]) => Math.abs(px[i] - r) < 30
          && Math.abs(px[i + 1] - g) < 30 && Math.abs(px[i + 2] - b) < 30)) n++;
    return [c.closest('.plot').id, n];
  })))"""


async def series_pixels(report: Path, profile: Path) -> dict[str, int]:
    async with chromium_tab(profile) as (cdp, s):
        await cdp.send("Page.enable", {}, s)
        await cdp.send("Emulation.setEmulatedMedia",
                       {"features": [{"name": "prefers-color-scheme", "value": "light"}]}, s)
        await cdp.send("Page.navigate", {"url": report.as_uri()}, s)
        await cdp.wait_event("Page.loadEventFired")
        await wait_drawn(cdp, s, 4)
        return dict(json.loads(await evaluate(cdp, s, SERIES_PIXELS_JS)))


def test_a_run_shorter_than_a_second_is_drawn(target: Any, tmp_path: Path) -> None:
    """One second of data has no neighbour to draw a line to: it is drawn as a point (QA:
    a 4 ms run's three charts over time were empty, on a 0s-1m30s axis)."""
    scenario = tmp_path / "short.httpx"
    scenario.write_text(f"request a {{ curl {target.url}/get }}\n"
                        "scenario s {\n  load 10 iterations with 2 vus\n  run a\n}\n")
    report = tmp_path / "short.html"
    run = run_cli("scenario", "run", str(scenario), "--workers", "1", "--report", str(report))
    assert run.returncode == 0, run.stderr
    px = asyncio.run(series_pixels(report, tmp_path / "profile"))
    assert px["chart-rps"] > 20, px  # the requests/s point
    assert px["chart-vus"] > 20, px
    assert px["chart-latency"] > 20, px  # the percentiles' points
