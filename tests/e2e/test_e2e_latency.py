"""Latency and connect (issue 23 item 10), through the CLI over real sockets: a TLS
server that waits 300 ms before its handshake makes every new connection's set-up slow
and every response fast, so the figures that include the set-up and those that leave it
out cannot be mistaken for each other."""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2ecli import httptool_run, write_scenario

from support.listener import accept_thread

pytestmark = pytest.mark.timeout(60)

SETUP_DELAY = 0.3


class SlowHandshakeServer:
    """HTTPS on loopback: each accepted connection waits SETUP_DELAY, then does TLS,
    then answers every request on it with ``200 ok`` (keep-alive)."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self.ctx = ctx
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        accept_thread(self.sock, self._serve).start()

    def _serve(self, raw: socket.socket) -> None:
        time.sleep(SETUP_DELAY)
        try:
            with self.ctx.wrap_socket(raw, server_side=True) as conn:
                buf = b""
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                    while b"\r\n\r\n" in buf:
                        _head, buf = buf.split(b"\r\n\r\n", 1)
                        self.requests += 1
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except (OSError, ssl.SSLError):
            return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def slow_tls(target_ca: Any) -> Iterator[SlowHandshakeServer]:
    srv = SlowHandshakeServer(target_ca.server_context())
    try:
        yield srv
    finally:
        srv.close()


def run(tmp_path: Path, srv: SlowHandshakeServer, ca: str, *args: str) -> tuple[Any, dict]:
    f = write_scenario(tmp_path, f"request get {{\n  curl --cacert {ca} {srv.url}/x\n"
                                 "  assert { latency < 200ms }\n}\n"
                                 "scenario s: load 1 vus for 10s | run get\n")
    out = tmp_path / "summary.json"
    r = httptool_run(f, "--workers", "1", "--summary-json", str(out), *args)
    return r, json.loads(out.read_text(encoding="utf-8"))


def test_closed_latency_leaves_the_connection_set_up_out(slow_tls: SlowHandshakeServer,
                                                         target_ca: Any,
                                                         tmp_path: Path) -> None:
    r, s = run(tmp_path, slow_tls, target_ca.ca_file, "--iterations", "3", "--vus", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    total = s["total"]
    assert s["requests"] == slow_tls.requests == 3
    assert total["connect"]["count"] == 1  # one connection, its TLS waited 300 ms
    assert total["connect"]["min_ms"] >= SETUP_DELAY * 1000
    assert total["latency"]["max_ms"] < 200  # as k6's http_req_duration
    assert s["checks"]["passed"] == 3  # `assert latency` compares the same figure
    assert ("  latency: from the send, connection set-up (connect) left out, as k6's "
            "http_req_duration") in r.stdout


def test_open_latency_counts_from_the_schedule_service_does_not(
        slow_tls: SlowHandshakeServer, target_ca: Any, tmp_path: Path) -> None:
    r, s = run(tmp_path, slow_tls, target_ca.ca_file, "--rps", "2", "--duration", "1s",
               "--vus", "1", "--max-vus", "1")
    total = s["total"]
    assert s["requests"] == slow_tls.requests >= 1
    assert total["latency"]["max_ms"] >= SETUP_DELAY * 1000  # waited for, from the schedule
    assert total["service"]["max_ms"] < 200  # the k6-comparable figure
    assert ("  latency includes connection set-up (connect); service leaves it out, as "
            "k6's http_req_duration") in r.stdout
