"""The committed Chromium recording, imported and run against the built-in target: with
correlation it runs clean at 5 VUs for 5 s; replayed literally it fails (so the first
result is evidence). The tool's request total is the server's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from importkit import RECORDED_HAR, RECORDED_ORIGIN, httptool

pytestmark = pytest.mark.slow


def _run(target: Any, tmp_path: Path, *flags: str) -> tuple[dict[str, Any], int]:
    out = tmp_path / "session.httpx"
    imp = httptool("import", "har", str(RECORDED_HAR), "-o", str(out), *flags)
    assert imp.returncode == 0, imp.stderr
    summary = tmp_path / "summary.json"
    target.reset()
    run = httptool("scenario", "run", str(out), "-q", "--vus", "5", "--duration", "5s",
                   "--base-url-map", f"{RECORDED_ORIGIN}={target.url}",
                   "--summary-json", str(summary), timeout=90)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    return json.loads(summary.read_text()), target.counts()["total"]


def _totals(doc: dict[str, Any]) -> tuple[int, int]:
    return int(doc["requests"]), int(doc["failures"])


def test_correlated_import_runs_clean_and_literal_replay_fails(target: Any,
                                                               tmp_path: Path) -> None:
    doc, served = _run(target, tmp_path)
    requests, failures = _totals(doc)
    assert requests > 9 * 5 and failures == 0
    assert requests == served
    doc, served = _run(target, tmp_path, "--no-correlate")
    requests, failures = _totals(doc)
    assert requests == served
    # only the JSON login needs no server-issued value: every other request is refused
    assert failures >= requests * 7 // 9
