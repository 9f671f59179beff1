"""``httptool report CURRENT.json --baseline BASE.json`` in headless Chromium: the
baseline is drawn (grey) in the latency distribution and the time series, and the page's
comparison table says what ``httptool compare`` says. Two short real runs (1 s each)
against the session's target; the browser is driven as in test_html_browser.py."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from support import livecli
from support.chromium import CHROMIUM, chromium_tab, evaluate, wait_drawn

if CHROMIUM is None:
    pytest.skip("chromium is not on PATH (scripts/ensure-chromium.sh installs it: apt-get "
                "install chromium); the browser test of the baseline overlay is skipped",
                allow_module_level=True)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return livecli.run_cli(*args, timeout=120)

SCENARIO = """\
request a {{
  curl {url}/get
  assert {{ status == 200 }}
}}
request b {{ curl {url}/delay/5 }}
scenario s {{
  load {{ vus = 2  duration = 2s }}
  run a -> b
}}
"""

#: per chart: pixels of the baseline's colour (the light palette's muted #5c5c5c, used by
#: nothing else drawn on a canvas), and the legend's labels
PROBE = """JSON.stringify({
  grey: Object.fromEntries(Array.from(document.querySelectorAll('.chart .plot canvas'))
    .map(c => {
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4)
        if (px[i + 3] > 150 && Math.abs(px[i] - 92) < 14 && Math.abs(px[i + 1] - 92) < 14
            && Math.abs(px[i + 2] - 92) < 14) n++;
      return [c.closest('.plot').id, n];
    })),
  legend: Array.from(document.querySelectorAll('.u-legend .u-label')).map(e => e.textContent),
  rows: Array.from(document.querySelectorAll('#compare-table tbody tr')).map(tr =>
    [tr.dataset.request, tr.dataset.metric, tr.dataset.verdict]),
  errors: window.__errors || [],
})"""


async def probe(report: Path, profile: Path) -> tuple[dict[str, Any], list[Any]]:
    async with chromium_tab(profile) as (cdp, s):
        for domain in ("Page", "Runtime"):
            await cdp.send(f"{domain}.enable", {}, s)
        await cdp.send("Emulation.setEmulatedMedia",
                       {"features": [{"name": "prefers-color-scheme", "value": "light"}]}, s)
        await cdp.send("Page.navigate", {"url": report.as_uri()}, s)
        await cdp.wait_event("Page.loadEventFired")
        await wait_drawn(cdp, s, 4)
        page = json.loads(await evaluate(cdp, s, PROBE))
        return page, cdp.named("Runtime.exceptionThrown")


def test_baseline_overlay_in_chromium(target: Any, tmp_path: Path) -> None:
    scenario = tmp_path / "s.httpx"
    scenario.write_text(SCENARIO.format(url=target.url), encoding="utf-8")
    paths = {n: tmp_path / f"{n}.json" for n in ("base", "cur")}
    for path in paths.values():
        r = run_cli("scenario", "run", str(scenario), "--workers", "1", "-q",
                    "--summary-json", str(path))
        assert r.returncode == 0, r.stderr
    plain, over = tmp_path / "plain.html", tmp_path / "over.html"
    r = run_cli("report", str(paths["cur"]), "-o", str(plain))
    assert r.returncode == 0, r.stderr
    r = run_cli("report", str(paths["cur"]), "--baseline", str(paths["base"]), "-o", str(over))
    assert r.returncode == 0, r.stderr

    without, _ = asyncio.run(probe(plain, tmp_path / "p1"))
    page, exceptions = asyncio.run(probe(over, tmp_path / "p2"))
    assert exceptions == []
    for chart in ("chart-curve", "chart-latency", "chart-rps"):
        assert page["grey"][chart] > 200 > without["grey"][chart], (chart, page["grey"],
                                                                    without["grey"])
    for label in ("baseline: all requests", "baseline p50", "baseline p95",
                  "baseline requests/s"):
        assert label in page["legend"], page["legend"]
    assert not any(x.startswith("baseline") for x in without["legend"])

    cmp = run_cli("compare", str(paths["base"]), str(paths["cur"]), "--format", "json")
    assert cmp.returncode == 0, cmp.stderr
    want = [[r["request"], r["metric"], r["verdict"]] for r in json.loads(cmp.stdout)["rows"]]
    assert page["rows"] == want
