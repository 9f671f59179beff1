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


def test_retry_maps_onto_a_retry_block():
    from httptool.plan import RetrySpec

    d = Diagnostics(file="t.httpx")
    r = parse_curl("curl --retry 3 http://x/", 1, 1, d)
    assert r is not None and r.retry == RetrySpec(4, "exponential", 1.0, 600.0, False,
                                                  (408, 429, 500, 502, 503, 504, "timeout"))
    r = parse_curl("curl --retry 1 --retry-delay 2 --retry-connrefused http://x/", 1, 1, d)
    assert r is not None and r.retry is not None
    assert (r.retry.backoff, r.retry.base_delay, r.retry.on[-1]) == ("constant", 2.0, "error")
    r = parse_curl("curl --retry 1 --retry-all-errors http://x/", 1, 1, d)
    assert r is not None and r.retry is not None and r.retry.on == ()
    r = parse_curl("curl --retry 0 http://x/", 1, 1, d)
    assert r is not None and r.retry is None
    assert not d.errors


def test_shell_variables_warn_and_suggest_env():
    d = _parse("curl -H \"Authorization: Bearer $DO_API_TOKEN\" 'http://x/$literal'")
    msgs = [(w.message, w.col) for w in d.warnings]
    assert any("'$DO_API_TOKEN' is a shell variable" in m and "${env.DO_API_TOKEN}" in m
               and col == 32 for m, col in msgs), msgs
    assert not any("$literal" in m for m, _ in msgs)  # single quotes: the shell keeps it


@pytest.mark.parametrize(("cmd", "message"), [
    ("curl --resolve nope http://x/", "expects HOST:PORT:ADDRESS"),
    ("curl --resolve h:80:not-an-ip http://x/", "expects HOST:PORT:ADDRESS"),
    ("curl --connect-to a:b http://x/", "expects HOST1:PORT1:HOST2:PORT2"),
    ("curl --tls-max 1.4 http://x/", "expects 1.0, 1.1, 1.2, 1.3 or default"),
    ("curl --range abc http://x/", "expects a byte range"),
    ("curl --retry many http://x/", "expects the number of retries"),
])
def test_bad_option_values_are_located(cmd: str, message: str):
    d = _parse(cmd)
    assert len(d.errors) == 1 and message in d.errors[0].message
    assert d.errors[0].col > 5
