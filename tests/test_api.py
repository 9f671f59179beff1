"""The public Python API (issue 22): ``httptool.load``/``run``/``HttptoolError``; the
example in docs/api.md is run as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import httptool
from httptool.dsl import ScenarioFileError

REPO = Path(__file__).resolve().parents[1]


def test_the_docs_example_is_a_passing_test(tmp_path: Path) -> None:
    doc = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", doc, re.DOTALL)
    example = tmp_path / "test_example.py"
    example.write_text(block, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--rootdir", str(tmp_path), str(example)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 passed" in r.stdout


def _file(tmp_path: Path, base: str, extra: str = "") -> Path:
    f = tmp_path / "s.httpx"
    f.write_text(f"""request ok {{
  curl {base}/get
  assert {{ status == 200 }}
}}
request missing {{ curl {base}/status/404 }}
scenario s {{
  load 4 iterations with 2 vus
  {extra}
  run ok -> missing
}}
""", encoding="utf-8")
    return f


def test_same_numbers_as_summary_json(tmp_path: Path, target: Any) -> None:
    f = _file(tmp_path, target.url)
    target.reset()
    result = httptool.run(f, workers=2)
    assert target.counts()["total"] == 8 == result.requests
    assert result.failures == 4 and result.error_rate == 0.5
    out = tmp_path / "summary.json"
    r = subprocess.run([sys.executable, "-m", "httptool", "scenario", "run", str(f),
                        "--workers", "2", "--summary-json", str(out)],
                       capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr
    cli = json.loads(out.read_text())
    for key in ("schema", "schema_version", "requests", "failures", "error_rate", "checks"):
        assert result.summary[key] == cli[key], key
    assert result.summary["per_request"].keys() == cli["per_request"].keys()
    assert result.summary["run"]["scenario"] == cli["run"]["scenario"] == "s"


def test_thresholds_are_evaluated_not_raised(tmp_path: Path, target: Any) -> None:
    f = _file(tmp_path, target.url, "thresholds { error_rate < 1% }")
    plan = httptool.load(f)
    result = httptool.run(plan, iterations=2, vus=1)
    assert result.requests == 4 and not result.thresholds_passed
    assert result.summary["thresholds"]["outcomes"][0]["passed"] is False


def test_errors_share_one_root(tmp_path: Path, target: Any) -> None:
    f = _file(tmp_path, target.url)
    with pytest.raises(httptool.SettingError, match="vus"):
        httptool.run(f, vus=0, duration=1)
    with pytest.raises(httptool.SettingError, match="no scenario 'nope'"):
        httptool.run(f, "nope")
    with pytest.raises(ScenarioFileError) as e:
        httptool.load(tmp_path / "absent.httpx")
    assert isinstance(e.value, httptool.HttptoolError)
    bad = tmp_path / "bad.httpx"
    bad.write_text("request r {\n  curl http://127.0.0.1:9/\n  assert { staus == 200 }\n}\n"
                   "scenario s: load 1 iterations with 1 vus | run r\n")
    with pytest.raises(httptool.ScenarioError) as se:
        httptool.load(bad)
    assert isinstance(se.value, httptool.HttptoolError)
    assert (se.value.file, se.value.line, se.value.col) == (str(bad), 3, 12)
    assert f"{bad}:3:12: error:" in str(se.value) and "^" in str(se.value)


def test_import_is_cheap() -> None:
    code = ("import sys, httptool; httptool.HttptoolError; "
            "print(sorted(m for m in ('numpy', 'aiohttp', 'httptool.engine', 'httptool.api')"
            " if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=30)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr
