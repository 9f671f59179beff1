"""HTTP/2 faults over real loopback sockets (tests/support/h2faults.py): every failure
has a kind and a reason, the other streams go on, and the client's request count
(responses + errors + resent copies) equals the streams the server received."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from httptool.engine.client import ConnectionPool
from httptool.engine.request import build_request
from httptool.plan import CurlOptions
from support.h2faults import H2FaultServer
from support.scenariorun import scenario_run

pytestmark = pytest.mark.timeout(60)


def _requests(url: str, n: int, *, method: str = "GET", parallel: bool = False,
              max_time: float | None = None) -> tuple[list[Any], int]:
    async def go() -> tuple[list[Any], int]:
        pool = ConnectionPool()
        opts = CurlOptions(http="2", max_time=max_time)
        try:
            reqs = [build_request(method, url, (), b"", opts) for _ in range(n)]
            if parallel:
                out = list(await asyncio.gather(*[pool.send(r) for r in reqs]))
            else:
                out = [await pool.send(r) for r in reqs]
            return out, pool.connections_opened
        finally:
            pool.close()

    return asyncio.run(go())


def _sent(resps: list[Any]) -> int:
    """Requests the tool counts: each response or error, and each resent copy."""
    return sum(1 + len(r.copies or ()) for r in resps)


def test_rst_stream_every_10th_fails_that_request_only() -> None:
    with H2FaultServer(rst_every=10) as srv:
        resps, opened = _requests(srv.url + "/ok", 30)
    failed = [r for r in resps if r.error is not None]
    assert len(failed) == 3 and opened == 1
    assert {r.error.value for r in failed} == {"reset"}
    assert all("RST_STREAM INTERNAL_ERROR" in r.reason for r in failed)
    assert all(r.status == 200 and r.body_size == 2 for r in resps if r.error is None)
    assert _sent(resps) == srv.streams == 30


def test_goaway_resends_only_unprocessed_and_counts_the_copies() -> None:
    with H2FaultServer(goaway_every=5) as srv:
        resps, opened = _requests(srv.url + "/ok", 20)
    assert all(r.error is None and r.status == 200 for r in resps), \
        [r.reason for r in resps if r.error]
    resent = [r for r in resps if r.copies]
    assert len(resent) == 4  # every 5th stream of a connection was refused by GOAWAY
    assert all("GOAWAY" in c.reason for r in resent for c in r.copies)
    assert opened == 5
    assert _sent(resps) == srv.streams == 24


def test_goaway_never_resends_a_post() -> None:
    with H2FaultServer(goaway_every=2) as srv:
        resps, _ = _requests(srv.url + "/ok", 4, method="POST")
    failed = [r for r in resps if r.error is not None]
    assert failed and all(r.error.value == "closed" for r in failed)
    assert all("not processed by the server (GOAWAY" in r.reason
               and "not resent: POST is not idempotent" in r.reason for r in failed)
    assert not any(r.copies for r in resps)
    assert _sent(resps) == srv.streams == 4


def test_goaway_with_streams_in_flight_finishes_the_accepted_ones() -> None:
    with H2FaultServer(goaway_every=8, delay=0.05) as srv:
        resps, _ = _requests(srv.url + "/ok", 12, parallel=True)
    assert all(r.error is None and r.status == 200 for r in resps), \
        [r.reason for r in resps if r.error]
    assert _sent(resps) == srv.streams


def test_max_concurrent_streams_is_respected() -> None:
    with H2FaultServer(max_streams=2, delay=0.02) as srv:
        resps, opened = _requests(srv.url + "/ok", 10, parallel=True)
    assert all(r.error is None for r in resps), [r.reason for r in resps if r.error]
    assert opened == 1 and srv.peak <= 2 and srv.streams == 10


def test_a_stream_that_never_ends_times_out_and_the_connection_goes_on() -> None:
    async def go() -> tuple[Any, Any, int]:
        pool = ConnectionPool()
        opts = CurlOptions(http="2", max_time=0.3)
        try:
            hung = await pool.send(build_request("GET", srv.url + "/hang", (), b"", opts))
            ok = await pool.send(build_request("GET", srv.url + "/ok", (), b"", opts))
            return hung, ok, pool.connections_opened
        finally:
            pool.close()

    with H2FaultServer() as srv:
        hung, ok, opened = asyncio.run(go())
    assert hung.error is not None and hung.error.value == "timeout"
    assert hung.reason == "timed out reading the response"
    assert 0.25 < hung.latency_ms / 1000 < 1.0
    assert ok.error is None and ok.status == 200 and opened == 1


@pytest.mark.parametrize(("path", "reason"), [
    ("/big", "header block too large (> 64 KiB)"),
    ("/malformed", "HTTP/2 protocol error"),
])
def test_protocol_violations_fail_with_a_reason(path: str, reason: str) -> None:
    with H2FaultServer() as srv:
        resps, _ = _requests(srv.url + path, 2)
    assert all(r.error is not None and r.error.value == "malformed" for r in resps)
    assert all(reason in r.reason for r in resps), [r.reason for r in resps]
    assert _sent(resps) == srv.streams == 2


def test_ping_is_answered() -> None:
    with H2FaultServer(ping=True) as srv:
        resps, _ = _requests(srv.url + "/ok", 2)
        for _ in range(50):
            if srv.ping_acks:
                break
            asyncio.run(asyncio.sleep(0.01))
    assert all(r.error is None for r in resps) and srv.ping_acks == 1


def test_scenario_run_counts_goaway_copies_as_the_server_does(tmp_path: Any) -> None:
    with H2FaultServer(goaway_every=5) as srv:
        p, doc = scenario_run(tmp_path, f"request ok {{\n  curl --http2 {srv.url}/ok\n}}\n"
                              "scenario main {\n  load { vus = 1\n    iterations = 20 }\n"
                              "  run ok\n}\n", "--workers", "1", timeout=60)
        streams = srv.streams
    assert p.returncode == 0, p.stdout + p.stderr
    assert (doc["requests"], doc["resent"], doc["failures"]) == (24, 4, 0)
    assert streams == 24
    assert "resent .......: 4 (" in p.stdout


@pytest.mark.parametrize("workers", ["1", "2"])
def test_streams_still_queued_at_the_end_are_not_counted(tmp_path: Any, workers: str) -> None:
    """Ten VUs share one connection that allows one stream at a time: when the duration
    ends, most VUs' streams are still queued (never sent). They are not requests: the
    tool's total equals the streams the server received (issue 16's counting rule)."""
    with H2FaultServer(max_streams=1, delay=0.15) as srv:
        p, doc = scenario_run(tmp_path, f"request ok {{\n  curl --http2 {srv.url}/ok\n}}\n"
                              "scenario main {\n  connections = 1\n"
                              "  load 10 vus for 1s\n  run ok\n}\n",
                              "--workers", workers, "--graceful-stop", "0s", timeout=60)
        streams = srv.streams
    assert p.returncode in (0, 1), p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    assert doc["requests"] == streams > 0, (doc["requests"], streams)
