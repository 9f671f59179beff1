"""Issue 23 item 1: every curl option is honoured, accepted without effect, or refused
with a reason; the table in docs/curl.md is the code's, and the list is curl's own."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from httptool.dsl.curl import _LONG, parse_curl
from httptool.dsl.curl_options import OPTIONS, SHORT
from httptool.dsl.diagnostics import Diagnostics

ROOT = Path(__file__).resolve().parents[2]


def _parse(cmd: str) -> Diagnostics:
    d = Diagnostics(file="t.httpx")
    parse_curl(cmd, 1, 1, d, base_dir=str(ROOT))
    return d


@pytest.mark.parametrize("name", list(OPTIONS))
def test_every_option_has_a_fate_and_never_reads_unknown(name: str):
    opt = OPTIONS[name]
    arg = " pyproject.toml" if opt.takes_arg else ""
    d = _parse(f"curl --{name}{arg} http://127.0.0.1:9/")
    messages = [e.message for e in d.errors]
    assert not any("unknown curl option" in m for m in messages), messages
    if name in _LONG or opt.fate == "ignored":
        assert not any(f"'--{name}' is not supported" in m for m in messages), messages
    else:
        assert f"curl option '--{name}' is not supported by httptool: {opt.why}" in messages
        assert len(messages) == 1  # its argument is never taken for a second URL
    if opt.short:
        d = _parse(f"curl -{opt.short}{arg} http://127.0.0.1:9/")
        assert not any("unknown curl option" in e.message for e in d.errors)


def test_docs_table_is_the_codes():
    spec = importlib.util.spec_from_file_location("t", ROOT / "scripts/curl_options_table.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    doc = (ROOT / "docs/curl.md").read_text(encoding="utf-8")
    assert mod.table() in doc, "regenerate: .venv/bin/python scripts/curl_options_table.py"


@pytest.mark.skipif(shutil.which("curl") is None,
                    reason="needs the Debian package 'curl' (make test installs it)")
def test_the_table_lists_curls_own_options():
    out = subprocess.run(["curl", "--help", "all"], capture_output=True, text=True,
                         timeout=10).stdout
    theirs = dict.fromkeys(re.findall(r"^\s*(?:-(.), )?--(\S+)", out, re.M))
    names = {long for _, long in theirs}
    assert names <= set(OPTIONS), names - set(OPTIONS)
    assert {s: long for s, long in theirs if s} == {s: n for s, n in SHORT.items()
                                                    if n in names}
