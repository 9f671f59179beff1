"""``httptool target`` as a user runs it: a subprocess, its listening line, clean exits."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from httptool.target.server import LISTENING_PREFIX

pytestmark = pytest.mark.timeout(60)

CMD = [sys.executable, "-m", "httptool", "target"]


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*CMD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith(LISTENING_PREFIX), (line, proc.stderr.read() if proc.stderr else "")
    return proc, line[len(LISTENING_PREFIX):].strip()


def _get_json(url: str) -> dict:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as r:
        return json.loads(r.read())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_listens_serves_and_stops_cleanly(sig: signal.Signals) -> None:
    proc, url = _start("--port", "0")
    try:
        assert url.startswith("http://127.0.0.1:")
        assert _get_json(url + "/get?a=b")["args"] == {"a": "b"}
        assert _get_json(url + "/__counts")["total"] == 1
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert out == ""  # the listening line was the only stdout line
    assert "Traceback" not in err
    assert "1 requests counted" in err


def test_quiet_prints_only_the_listening_line() -> None:
    proc, url = _start("--port", "0", "--quiet")
    _get_json(url + "/uuid")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    assert (proc.returncode, out, err) == (0, "", "")


def test_port_in_use_exits_2_with_one_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([*CMD, "--port", str(port)], capture_output=True, text=True,
                           timeout=30)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--tls-cert", "/nonexistent/cert.pem"], "cannot load TLS certificate"),
        (["--tls-key", "k.pem"], "--tls-key needs --tls-cert"),
        (["--port", "70000"], "70000"),
        (["--host", "256.1.1.1"], "cannot listen on 256.1.1.1"),
    ],
)
def test_bad_options_exit_2(args: list[str], needle: str) -> None:
    r = subprocess.run([*CMD, "--port", "0", *args], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_tls_listening_line_is_https(target_ca) -> None:
    proc, url = _start("--port", "0", "--quiet", "--tls-cert", target_ca.cert_file,
                       "--tls-key", target_ca.key_file)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=15)
    assert url.startswith("https://127.0.0.1:")
    assert proc.returncode == 0
