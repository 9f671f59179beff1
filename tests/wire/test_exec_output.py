"""Issue 23 item 4: ``httptool exec`` prints what curl prints. The same command runs with
real curl and with ``httptool exec`` against one loopback server; stdout, files written and
exit codes are compared (stderr differs on purpose: curl's meter vs httptool's timing)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from wireutil import BASH, CURL, CaptureServer, needs_curl

from httptool.cli.exec_cmd import exec_command

pytestmark = [pytest.mark.timeout(60), needs_curl]

_404 = (b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-Case: AbC\r\n"
        b"Content-Length: 4\r\n\r\nnope")
_200 = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"a\":1}\n"


@pytest.fixture(scope="module", params=[_200, _404], ids=["200", "404"])
def srv(request: pytest.FixtureRequest) -> Iterator[CaptureServer]:
    with CaptureServer(idle=2.0, reply=request.param) as c:
        yield c


def _curl(cmd: str) -> tuple[int, bytes, bytes]:
    p = subprocess.run([BASH, "-c", f"{CURL} {cmd[5:]}"], capture_output=True, timeout=20,
                       check=False)
    return p.returncode, p.stdout, p.stderr


def _tool(cmd: str) -> tuple[int, bytes, str]:
    r = CliRunner().invoke(exec_command, [cmd], catch_exceptions=False)
    return r.exit_code, r.stdout_bytes, r.stderr


@pytest.mark.parametrize("args", [
    "-s", "-s -i", "-s -I", "-s -f", "-s -i -f", "-s --fail-with-body", "-s -D -", "-sSf",
    "-s -w '%{http_code} %{size_download} %{url_effective} %{method} %{content_type} "
    "%{num_redirects} %{exitcode} %{response_code} %{scheme} %{http_version} %{size_header}"
    " %{size_upload} %% \\t|\\n'",
    "-s -f -w '%{http_code}:%{exitcode}\\n'",
    "-s -X POST -d 'a=1' -w '%{size_upload} %{method}\\n'",
    "--silent --include",  # long forms, and abbreviations as curl takes them:
    "--sil --inc",
])
def test_stdout_and_exit_code_are_curls(srv: CaptureServer, args: str):
    cmd = f"curl {args} {srv.url('/out')}"
    want = _curl(cmd)
    got = _tool(cmd)
    assert got[:2] == want[:2], got[2]
    if "S" in args.split()[0] and want[0] == 22:  # -S: the error is said despite -s
        assert want[2] and "(22) The requested URL returned error: 404" in got[2]
    elif args.startswith("-s"):
        assert not got[2].strip() and not want[2]
    srv.take()


def test_output_file_and_dump_header_file(srv: CaptureServer, tmp_path: Path):
    for args in ("-o {d}/body", "-i -o {d}/body", "-D {d}/head -o {d}/body",
                 "-o {d}/body -w '[%{http_code}]'"):
        files = {}
        outs = []
        for who, run in (("curl", _curl), ("tool", _tool)):
            d = tmp_path / who
            d.mkdir(exist_ok=True)
            cmd = f"curl -s {args.replace('{d}', str(d))} {srv.url('/o')}"
            code, out, _ = run(cmd)
            outs.append((code, out))
            files[who] = {p.name: p.read_bytes() for p in sorted(d.iterdir())}
            for p in d.iterdir():
                p.unlink()
        assert outs[0] == outs[1], args
        assert files["curl"] == files["tool"] and files["curl"], args
    srv.take()


def test_write_out_times_are_seconds_like_curls(srv: CaptureServer):
    fmt = "'%{time_total} %{time_connect} %{time_starttransfer} %{time_pretransfer}'"
    for run in (_curl, _tool):
        code, out, _ = run(f"curl -s -o /dev/null -w {fmt} {srv.url('/t')}")
        assert code == 0 and re.fullmatch(rb"(0\.\d{6} ?){4}", out), out
    _, out, err = _tool(f"curl -s -o /dev/null -w '%{{bogus}}%{{time_namelookup}}x' "
                        f"{srv.url('/t')}")
    assert out == b"x" and "unknown --write-out variable: 'bogus'" in err
    assert "'time_namelookup' is not measured" in err
    srv.take()


def test_verbose_shows_the_cookie_it_sends_masked(srv: CaptureServer):
    code, _, err = _tool(f"curl -s -v -b 'sid=abc123' -u me:pw {srv.url('/v')}")
    sent = srv.take()
    assert code == 0 and b"\r\nCookie: sid=abc123\r\n" in sent[0]
    assert "> Cookie: sid=****" in err and "> Authorization: Basic ****" in err
    assert "abc123" not in err and "< HTTP/1.1 " in err


def test_a_transport_error_is_quiet_with_s_and_said_with_S():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{s.getsockname()[1]}/"
    try:
        assert _curl(f"curl -s {url}")[0] == 7  # curl's "failed to connect"
        code, out, err = _tool(f"curl -s {url}")
        assert (code, out, err) == (7, b"", "")
        code, out, err = _tool(f"curl -sS {url}")
        assert code == 7 and "connection refused" in err
        code, out, _ = _tool(f"curl -s -w '%{{http_code}} %{{exitcode}}' {url}")
        assert out == b"000 7"
    finally:
        s.close()


def test_retry_repeats_as_curl_does():
    busy = b"HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy"
    with CaptureServer(idle=2.0, reply=busy) as cap:
        cmd = f"curl -s --retry 1 --retry-delay 1 -w '%{{http_code}}' {cap.url('/r')}"
        want = _curl(cmd)
        n_curl = len(cap.take())
        got = _tool(cmd)
        assert (got[0], got[1]) == (want[0], want[1]) == (0, b"busybusy503")  # each attempt
        assert len(cap.take()) == n_curl == 2


@pytest.mark.parametrize(("reply", "args"), [
    (b"", ""),  # an empty reply: 52
    (b"garbage\r\n\r\n", ""),  # not HTTP: 1
    (b"", "-m 1"),  # no answer in time: 28
    (b"HTTP/1.1 302 Found\r\nLocation: /r\r\nContent-Length: 0\r\n\r\n",
     "-L --max-redirs 1"),  # 47
    (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
     "--compressed"),  # a body that does not decode: 61
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", ""),  # cut short: 18
], ids=["empty", "not-http", "timeout", "redirects", "bad-gzip", "truncated"])
def test_transport_errors_exit_with_curls_code(reply: bytes, args: str):
    with CaptureServer(idle=2.0 if "-m" in args else 0.3, reply=reply) as cap:
        cmd = f"curl -s {args} {cap.url('/e')}"
        want, got = _curl(cmd), _tool(cmd)
        assert want[0] != 0 and got[:2] == want[:2], got[2]
