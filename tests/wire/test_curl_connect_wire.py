"""Issue 23 item 2: the curl options a load test needs, compared with real curl over
loopback sockets (cookie files, proxies, where to connect, TLS versions, redirects)."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from wireutil import CaptureServer, aimed, curl_sends, needs_curl, same_as_curl, tool_sends

pytestmark = [pytest.mark.timeout(60), needs_curl]

_JAR = (
    "# Netscape HTTP Cookie File\n"
    "127.0.0.1\tFALSE\t/\tFALSE\t0\tsess\tabc\n"
    "#HttpOnly_127.0.0.1\tFALSE\t/p\tFALSE\t0\tlong\tx1\n"
    ".example.com\tTRUE\t/\tFALSE\t0\tother\tno\n"
    "127.0.0.1\tFALSE\t/\tTRUE\t0\tsec\tloopback-is-secure\n"
    "127.0.0.1\tFALSE\t/\tFALSE\t1000\texpired\tno\n"
    "127.0.0.1\tFALSE\t/q\tFALSE\t0\telsewhere\tno\n"
)


def test_cookie_file_sends_curls_cookies_in_curls_order(cap: CaptureServer, tmp_path: Path):
    jar = tmp_path / "cookies.txt"
    jar.write_text(_JAR, encoding="utf-8")
    sent = same_as_curl(cap, aimed(cap, f"curl -b {jar} -b 'z=1' -b y=2 URL/p/x"))
    assert b"\r\nCookie: long=x1; sess=abc; sec=loopback-is-secure; z=1;y=2\r\n" in sent[0]
    same_as_curl(cap, aimed(cap, f"curl -b {jar} URL/q"))


def test_a_missing_cookie_file_is_a_located_error(cap: CaptureServer, tmp_path: Path):
    sent, code, err = tool_sends(cap, aimed(cap, f"curl -b {tmp_path}/nope.txt URL/p"))
    assert (sent, code) == ([], 2)
    assert "<command>:1:9: error: cannot read cookie file" in err and "^" in err


def test_cookie_jar_is_accepted_with_a_warning(cap: CaptureServer, tmp_path: Path):
    same_as_curl(cap, aimed(cap, f"curl -c {tmp_path}/jar.txt URL/p"))
    _, code, err = tool_sends(cap, aimed(cap, f"curl -c {tmp_path}/jar.txt URL/p"))
    assert code == 0 and "nothing is written" in err


@pytest.mark.parametrize("args", [
    "--range 0-99 URL/r", "-r 500- URL/r", "--basic -u a:b URL/a", "--no-basic -u a:b URL/a",
    "--trace-ascii /dev/null URL/t", "--no-keepalive URL/k", "--sil URL/s",
    "-4 'http://localhost:PORT/v4'", "--tlsv1.2 URL/t", "--tls-max 1.3 URL/t",
])
def test_options_send_curls_bytes(cap: CaptureServer, args: str):
    same_as_curl(cap, aimed(cap, f"curl {args}"))


def test_proxy_user_and_proxy_credentials(cap: CaptureServer):
    # the capture server is the proxy: an http URL is sent to it in absolute form
    proxy = f"127.0.0.1:{cap.port}"
    for args in (f"-x {proxy} -U 'u:p%40s'", f"-x http://q:r@{proxy}", f"-U u:p -x {proxy}"):
        cmd = f"curl {args} http://example.test/a"
        # curl's Proxy-Connection header is the one documented difference (docs/curl.md)
        want = [r.replace(b"\r\nProxy-Connection: Keep-Alive", b"")
                for r in curl_sends(cap, cmd)]
        got, code, err = tool_sends(cap, cmd)
        assert got == want and code == 0, err
        assert b"\r\nProxy-Authorization: Basic " in got[0]


def test_noproxy_bypasses_the_proxy(cap: CaptureServer):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))  # a port nobody listens on: using the proxy would fail
    port = dead.getsockname()[1]
    try:
        for rule in ("127.0.0.1", "*", "10.0.0.0/8,127.0.0.0/8"):
            same_as_curl(cap, aimed(cap, f"curl -x 127.0.0.1:{port} --noproxy '{rule}' URL/n"))
    finally:
        dead.close()


def test_resolve_and_connect_to_keep_the_urls_host(cap: CaptureServer):
    for args in (f"--resolve api.example.test:{cap.port}:127.0.0.1 "
                 f"http://api.example.test:{cap.port}/r",
                 f"--connect-to api.example.test:80:127.0.0.1:{cap.port} "
                 "http://api.example.test/c",
                 f"--connect-to ::127.0.0.1:{cap.port} http://other.example.test/any"):
        sent = same_as_curl(cap, f"curl {args}")
        assert b"\r\nHost: api.example.test" in sent[0] or b"other.example.test" in sent[0]


def test_ipv6_only_fails_like_curl_on_an_ipv4_server(cap: CaptureServer):
    assert curl_sends(cap, aimed(cap, "curl -6 'http://127.0.0.1:PORT/x'")) == []
    sent, code, err = tool_sends(cap, aimed(cap, "curl -6 'http://127.0.0.1:PORT/x'"))
    # exit 6, "not resolved" (curl says 7 for an address of the other family, 6 for a
    # name without one): nothing sent either way
    assert (sent, code) == ([], 6) and "no IPv6 address" in err


class _UnixCapture(CaptureServer):
    """The capture server on a Unix domain socket."""

    def __init__(self, path: str) -> None:
        super().__init__(idle=2.0)
        self._sock.close()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(path)
        self._sock.listen()


def test_unix_socket(tmp_path: Path):
    path = str(tmp_path / "s.sock")
    with _UnixCapture(path) as cap:
        cmd = f"curl --unix-socket {path} http://svc.local/over/unix"
        want = curl_sends(cap, cmd)
        got, code, err = tool_sends(cap, cmd)
        assert code == 0, err
        assert got == want and want and b"\r\nHost: svc.local\r\n" in want[0]


def _tls_server(tmp_path: Path, tls_max: ssl.TLSVersion) -> tuple[CaptureServer, str]:
    """A capture server behind TLS with a certificate for api.example.test only; returns
    it and its CA file."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("api.example.test")
    ca_file = str(tmp_path / "ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    ctx.maximum_version = tls_max
    srv = CaptureServer(idle=2.0)
    srv._sock = ctx.wrap_socket(srv._sock, server_side=True)
    return srv, ca_file


def test_resolve_sends_the_urls_name_as_sni_and_checks_it(tmp_path: Path):
    srv, ca = _tls_server(tmp_path, ssl.TLSVersion.TLSv1_3)
    with srv:
        cmd = (f"curl --cacert {ca} --resolve api.example.test:{srv.port}:127.0.0.1 "
               f"https://api.example.test:{srv.port}/tls")
        want = curl_sends(srv, cmd)
        got, code, err = tool_sends(srv, cmd)
        assert code == 0, err
        assert got == want and len(want) == 1


def test_tls_version_bounds(tmp_path: Path):
    srv, ca = _tls_server(tmp_path, ssl.TLSVersion.TLSv1_2)  # a server that stops at 1.2
    # a refused handshake ends that server's accept thread: a second server for the rest
    with srv:
        base = (f"--cacert {ca} --resolve api.example.test:{srv.port}:127.0.0.1 "
                f"https://api.example.test:{srv.port}/v")
        _, code, err = tool_sends(srv, f"curl --tlsv1.3 {base}")
        assert code == 35 and "TLS" in err  # curl's "SSL connect error"
    srv, ca = _tls_server(tmp_path, ssl.TLSVersion.TLSv1_2)
    with srv:
        base = (f"--cacert {ca} --resolve api.example.test:{srv.port}:127.0.0.1 "
                f"https://api.example.test:{srv.port}/v")
        sent, code, err = tool_sends(srv, f"curl --tls-max 1.2 --tlsv1.2 {base}")
        assert code == 0 and len(sent) == 1, err


def test_capath_is_a_directory_of_trusted_cas(tmp_path: Path):
    srv, ca = _tls_server(tmp_path, ssl.TLSVersion.TLSv1_3)
    cadir = tmp_path / "cas"
    cadir.mkdir()
    h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", ca], capture_output=True,
                       text=True, check=False).stdout.strip()
    if not h:
        pytest.skip("needs the openssl command (Debian package 'openssl') to hash the CA")
    os.symlink(ca, cadir / f"{h}.0")
    with srv:
        cmd = (f"curl --capath {cadir} --resolve api.example.test:{srv.port}:127.0.0.1 "
               f"https://api.example.test:{srv.port}/capath")
        sent, code, err = tool_sends(srv, cmd)
        assert code == 0 and len(sent) == 1, err


def test_location_trusted_keeps_credentials_on_another_host():
    with CaptureServer(idle=2.0) as cap:
        cap.reply = (f"HTTP/1.1 302 Found\r\nLocation: http://localhost:{cap.port}/next\r\n"
                     "Content-Length: 0\r\n\r\n").encode()
        for flags in ("-L", "--location-trusted"):
            sent = same_as_curl(cap, aimed(cap, f"curl {flags} --max-redirs 1 -u a:b URL/start"))
            assert len(sent) == 2
            assert (b"Authorization: Basic" in sent[1]) == (flags != "-L")


def test_retry_becomes_the_requests_retry_block(tmp_path: Path):
    with CaptureServer(idle=2.0, reply=b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n") as cap:
        scenario = tmp_path / "retry.httpx"
        scenario.write_text(
            f"request flaky {{\n  curl --retry 2 --retry-delay 0.05 {cap.url('/flaky')}\n}}\n"
            "scenario main {\n  load 1 iterations with 1 vus\n  run flaky\n}\n",
            encoding="utf-8")
        p = subprocess.run([sys.executable, "-m", "httptool", "scenario", "run", str(scenario),
                            "-q"], capture_output=True, text=True, timeout=40)
        assert len(cap.take()) == 3, p.stdout + p.stderr  # 1 + 2 retries, as curl sends
        assert "3 requests, 3 failed" in p.stdout  # each attempt counted


def test_validate_warns_of_shell_variables_and_locates_a_missing_cookie_file(tmp_path: Path):
    f = tmp_path / "v.httpx"
    f.write_text("request get {\n"
                 "  curl -H \"Authorization: Bearer $API_TOKEN\" -b nope.txt http://127.0.0.1:9/\n"
                 "}\nscenario main {\n  load 1 iterations with 1 vus\n  run get\n}\n",
                 encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "httptool", "scenario", "validate", str(f)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert f"{f}:2:34: warning: '$API_TOKEN' is a shell variable" in p.stderr
    assert "write ${env.API_TOKEN}" in p.stderr
    assert f"{f}:2:49: error: cannot read cookie file 'nope.txt'" in p.stderr
