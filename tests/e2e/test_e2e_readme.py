"""The README's example scenario runs as printed (pointed at the built-in target)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from e2ecli import REPO, httptool_run, run_cli, write_scenario

pytestmark = pytest.mark.timeout(120)


def readme_scenario() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"## A scenario\s+```\n(.*?)```", text, re.S)
    assert m, "README.md has no '## A scenario' code block"
    return m.group(1)


def test_readme_scenario_validates_and_runs(tmp_path: Path, fresh_target: Any) -> None:
    f = write_scenario(tmp_path, readme_scenario(), name="readme.httpx")
    v = run_cli("scenario", "validate", str(f))
    assert v.returncode == 0, v.stderr
    r = httptool_run(f, "--iterations", "4", "--vus", "2", "--workers", "1",
                     "--base-url-map", f"http://127.0.0.1:8080={fresh_target.url}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.console().summary_requests == 8 == fresh_target.counts()["total"]
