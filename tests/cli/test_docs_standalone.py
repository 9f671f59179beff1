"""What a user who clones the repository meets (issue 23 item 12): docs that stand on
their own, examples that validate cleanly, a dry run that shows each request's options."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from httptool.cli.app import cli
from httptool.engine.request import DEFAULT_TOTAL_TIMEOUT

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
EXAMPLES = sorted((REPO / "examples" / "scenarios").glob("*.httpx"))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_cite_nothing_outside_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for outside in ("DSL.md", "DESIGN.md", "examples/original", "shared/"):
        assert outside not in text, f"{doc.name} cites {outside}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_shipped_examples_validate_without_a_warning(example: Path) -> None:
    r = CliRunner().invoke(cli, ["scenario", "validate", str(example)])
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    assert "examples/original" not in example.read_text(encoding="utf-8")


def test_dry_run_shows_each_requests_options_and_timeout(tmp_path: Path) -> None:
    f = tmp_path / "s.httpx"
    f.write_text("request a { curl -L --compressed -m 5 --connect-timeout 2 "
                 "-x http://u:pw@127.0.0.1:3128 https://h.test/a }\n"
                 "request b { curl http://h.test/b }\n"
                 "scenario s: load 1 vus for 1s | run a -> b\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["run", str(f), "--dry-run"])
    assert r.exit_code == 0, r.stderr
    assert ("  a: GET https://h.test/a\n    options: -L, --compressed, "
            "-x http://u:****@127.0.0.1:3128, --connect-timeout 2, -m 5 (timeout)\n") in r.stdout
    assert ("  b: GET http://h.test/b\n"
            "    options: timeout 60s (the default; -m sets it)\n") in r.stdout
    assert "pw" not in r.stdout
    running = (REPO / "docs" / "running.md").read_text(encoding="utf-8")
    assert f"without one, by the default of **{DEFAULT_TOTAL_TIMEOUT:g} s**" in running
