"""Issue 24 item 6: a summary never reads as a pass it is not (-q, no checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from wireutil import CaptureServer

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "httptool", "scenario", "run", *args],
                          capture_output=True, text=True, timeout=40, cwd=ROOT)


def test_quiet_says_requests_failed_and_no_checks_is_none(tmp_path: Path):
    with CaptureServer(idle=2.0) as cap:
        f = tmp_path / "s.httpx"
        f.write_text(f"request ok {{ curl {cap.url('/ok')} }}\n"
                     "request refused { curl http://127.0.0.1:9/x }\n"
                     "scenario s {\n  load 3 iterations with 1 vus\n  run ok\n  run refused\n}\n",
                     encoding="utf-8")
        summary, report = tmp_path / "summary.json", tmp_path / "r.html"
        q = _run(str(f), "-q", "--summary-json", str(summary), "--report", str(report))
        assert len(cap.take()) == 3
    assert q.returncode == 0, q.stderr
    assert q.stdout.splitlines() == [
        "✓ no thresholds defined",
        "  6 requests, 3 failed (50.00% errors), checks: none",
    ]
    doc = json.loads(summary.read_text(encoding="utf-8"))
    assert doc["checks"] == {"passed": 0, "failed": 0, "pass_rate": None, "per_check": {}}
    page = report.read_text(encoding="utf-8")
    assert 'id="checks-pass-rate" data-value="">none</div><div class="s">no checks defined' in page
    full = _run(str(f))
    assert "  checks .........: none\n" in full.stdout and "passed" not in full.stdout
