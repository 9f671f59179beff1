"""The same bytes through a scenario run: plan -> VU (templates rendered per request, or
pre-rendered once when static) -> engine, compared with real curl's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from wireutil import CaptureServer, curl_sends, needs_curl, normalise

pytestmark = [pytest.mark.timeout(60), needs_curl]
ROOT = Path(__file__).resolve().parents[2]


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "httptool", "scenario", "run", str(path), "-q"],
                          capture_output=True, text=True, timeout=40, cwd=ROOT)


def test_scenario_sends_curls_bytes_static_and_templated(tmp_path: Path):
    with CaptureServer(idle=2.0) as cap:
        static = (f"curl -H 'Transfer-Encoding: chunked' -d $'caf\\xe9 \\ud83d\\ude00 \\xeb' "
                  f"'http://u%40x:p%40ss@127.0.0.1:{cap.port}/a/./b/../c?f\\[s\\]=1'")
        templated = (f"curl --data-binary $'\\xeb${{VU}}\\xc3\\xa9' "
                     f"'{cap.url('/vu/${VU}/')}é'")
        scenario = tmp_path / "wire.httpx"
        scenario.write_text(
            f"request fixed {{\n  {static}\n}}\n"
            f"request varying {{\n  {templated}\n}}\n"
            "scenario main {\n  load 2 iterations with 1 vus\n  run fixed\n  run varying\n}\n",
            encoding="utf-8")
        p = _run(scenario)
        assert p.returncode == 0, p.stdout + p.stderr
        got = [normalise(r) for r in cap.take()]
        want = curl_sends(cap, static) + curl_sends(cap, templated.replace("${VU}", "1"))
        assert got == want * 2
