"""``header:NAME regex:PATTERN``: part of a header's value (the code in a redirect's
``Location`` query), extracted in a real run against the built-in target and sent on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from e2ecli import cli_env, httptool_run, run_cli, write_scenario

SCENARIO = """\
request go {
  curl ${BASE}/redirect-to?url=/get%3Fcode%3Dabc123%26x%3D1
  extract {
    code = header:Location regex:"[?&]code=([^&]*)"
    missing = header:Location regex:"nothing=(\\\\d+)"
  }
  assert { status == 302 }
}

request use {
  curl ${BASE}/anything/${code}
  assert { $.url contains "/anything/abc123" }
}

scenario main {
  load 1 iterations with 1 vus
  run go -> use
}
"""


def test_part_of_a_header_is_extracted_and_sent(tmp_path: Path, target: Any) -> None:
    f = write_scenario(tmp_path, SCENARIO.replace("${BASE}", target.url))
    summary = tmp_path / "s.json"
    r = httptool_run(f, "--workers", "1", "--summary-json", str(summary), env=cli_env())
    assert "Traceback" not in r.stderr
    doc = json.loads(summary.read_text())
    # `code` was found and sent; `missing` failed as an extraction, not as a crash
    assert doc["requests"] == 2, r.stdout
    assert doc["failures"] == 1 and "extraction ...: 1  (go 1)" in r.stdout
    per_check = doc["checks"]["per_check"]
    assert per_check['use $.url contains "/anything/abc123"'] == {
        "passed": 1, "failed": 0, "pass_rate": 1.0}

def test_a_bad_pattern_is_a_located_error(tmp_path: Path) -> None:
    f = write_scenario(tmp_path, "request go {\n  curl http://127.0.0.1:1/\n"
                       "  extract { c = header:Location regex:\"((\" }\n}\n"
                       "scenario main {\n  load 1 iterations with 1 vus\n  run go\n}\n")
    r = run_cli("scenario", "validate", str(f))
    assert r.returncode == 2
    assert f"{f}:3:" in r.stderr + r.stdout and "invalid regex '(('" in r.stderr + r.stdout
    assert "Traceback" not in r.stderr
