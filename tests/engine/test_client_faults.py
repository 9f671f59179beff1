"""The client against a misbehaving raw server: every fault is an error value with the
right kind, and the pool keeps working afterwards."""

from __future__ import annotations

import asyncio
import resource
import socket

import pytest
from netutil import arun, free_port, has_ipv6

from httptool.engine.client import ClientContext, ConnectionPool
from httptool.engine.errors import ErrorKind
from httptool.engine.request import build_request
from httptool.plan import CurlOptions
from support.faultserver import FaultServer

pytestmark = pytest.mark.timeout(30)


async def _get(pool: ConnectionPool, url: str, keep_body: bool = True, **opts: object):
    return await pool.send(build_request("GET", url, options=CurlOptions(**opts)),
                           keep_body=keep_body)


async def _still_usable(pool: ConnectionPool, srv: FaultServer) -> None:
    r = await _get(pool, srv.url("/ok"))
    assert r.error is None and r.status == 200 and r.body == b"ok"


@pytest.mark.parametrize(
    ("path", "kind", "words"),
    [
        ("/close-no-response", ErrorKind.CLOSED, "closed before response"),
        ("/reset-mid-body", ErrorKind.RESET, "reset by peer mid-response"),
        ("/truncated-chunked", ErrorKind.CLOSED, "closed mid-response"),
        ("/bad-chunk", ErrorKind.MALFORMED, "bad chunk"),
        ("/bad-status", ErrorKind.MALFORMED, "bad status line"),
        ("/huge-header", ErrorKind.MALFORMED, "header too large"),
    ],
)
def test_fault_is_an_error_value_and_pool_survives(path: str, kind: ErrorKind, words: str):
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            await _still_usable(pool, srv)  # a warm keep-alive connection first
            r = await _get(pool, srv.url(path))
            assert r.error == kind, r
            assert words in r.reason
            assert r.status == 0 or kind != ErrorKind.MALFORMED
            await _still_usable(pool, srv)
            pool.close()

    arun(main())


def test_refused():
    async def main() -> None:
        pool = ConnectionPool()
        r = await _get(pool, f"http://127.0.0.1:{free_port()}/")
        assert r.error == ErrorKind.REFUSED
        assert "connection refused" in r.reason

    arun(main())


def test_slow_headers_past_total_timeout():
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            r = await _get(pool, srv.url("/slow-headers?ms=3000"), max_time=0.3)
            took = loop.time() - t0
            assert r.error == ErrorKind.TIMEOUT
            assert "timed out" in r.reason
            assert 0.29 <= took < 1.0
            await _still_usable(pool, srv)

    arun(main())


def test_connect_timeout():
    """A listener whose accept backlog is full drops SYNs: connect hangs."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    port = lst.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(s)

        async def main() -> None:
            pool = ConnectionPool()
            r = await _get(pool, f"http://127.0.0.1:{port}/", connect_timeout=0.3)
            assert r.error == ErrorKind.CONNECT_TIMEOUT, r
            assert "connect timed out after 0.3s" in r.reason

        arun(main())
    finally:
        for s in fillers:
            s.close()
        lst.close()


def test_idle_keepalive_closed_by_server_is_resent_exactly_once():
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            first = await _get(pool, srv.url("/drop-reused"))
            assert first.error is None and not first.resent
            second = await _get(pool, srv.url("/drop-reused"))
            assert second.error is None and second.status == 200, second
            assert second.resent and second.new_connection
            # the server saw the dropped request plus exactly one resend
            assert srv.counts["/drop-reused"] == 3
            assert srv.connections == 2
            assert pool.connections_opened == 2

    arun(main())


def test_no_resend_once_response_bytes_arrived():
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            await _still_usable(pool, srv)
            r = await _get(pool, srv.url("/truncated-chunked"))
            assert r.error == ErrorKind.CLOSED and not r.resent
            assert srv.counts["/truncated-chunked"] == 1

    arun(main())


def test_fresh_connection_closed_without_response_is_not_resent():
    async def main() -> None:
        async with FaultServer() as srv:
            r = await _get(ConnectionPool(), srv.url("/close-no-response"))
            assert r.error == ErrorKind.CLOSED
            assert srv.counts["/close-no-response"] == 1

    arun(main())


def test_chunked_and_close_delimited_bodies():
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            r = await _get(pool, srv.url("/chunked"))
            assert (r.error, r.body, r.body_size) == (None, b"hello world", 11)
            r = await _get(pool, srv.url("/close-delimited"))
            assert (r.error, r.body) == (None, b"until the end")
            await _still_usable(pool, srv)

    arun(main())


def test_100mb_body_is_streamed_not_held():
    size = 100 * 1024 * 1024

    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            await _still_usable(pool, srv)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
            r = await _get(pool, srv.url(f"/big?bytes={size}"), keep_body=False)
            grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            assert r.error is None and r.status == 200
            assert r.body is None
            assert r.body_size == size
            assert r.bytes_received > size
            assert grown_mib < 40, f"RSS grew {grown_mib:.0f} MiB for a 100 MiB body"
            await _still_usable(pool, srv)

    arun(main(), timeout=60)


def test_timings_and_sizes():
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            req = build_request("GET", srv.url("/ok"))
            r1 = await pool.send(req)
            r2 = await pool.send(req)
            assert r1.new_connection and r1.connect_ns > 0 and r1.tls_ns == 0
            assert not r2.new_connection and r2.connect_ns == 0
            for r in (r1, r2):
                assert r.bytes_sent == len(req.wire)
                assert r.bytes_received == len(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
                assert 0 < r.ttfb_ns <= r.total_ns
                assert r.body is None and r.body_size == 2

    arun(main())


@pytest.mark.skipif(not has_ipv6(), reason="no IPv6 loopback (::1) on this machine")
def test_ipv6_loopback():
    async def main() -> None:
        async with FaultServer(host="::1") as srv:
            assert srv.base.startswith("http://[::1]:")
            pool = ConnectionPool()
            r = await _get(pool, srv.url("/chunked"))
            assert (r.error, r.body) == (None, b"hello world")

    arun(main())


def test_dns_resolved_once_per_host(monkeypatch: pytest.MonkeyPatch):
    async def main() -> None:
        loop = asyncio.get_running_loop()
        calls: list[str] = []
        real = loop.getaddrinfo

        async def counting(host, *a, **kw):  # type: ignore[no-untyped-def]
            calls.append(host)
            return await real("127.0.0.1", *a, **kw)  # 'localhost' without the resolver

        monkeypatch.setattr(loop, "getaddrinfo", counting)
        async with FaultServer() as srv:
            url = f"http://localhost:{srv.port}/close-delimited"  # a new connection each time
            pool = ConnectionPool(context=ClientContext())
            for _ in range(3):
                r = await _get(pool, url)
                assert r.error is None and r.new_connection
            assert calls == ["localhost"]
            assert srv.connections == 3

    arun(main())


def test_dns_failure_is_an_error_value(monkeypatch: pytest.MonkeyPatch):
    async def main() -> None:
        loop = asyncio.get_running_loop()

        async def failing(host, *a, **kw):  # type: ignore[no-untyped-def]
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        monkeypatch.setattr(loop, "getaddrinfo", failing)
        r = await ConnectionPool(ClientContext()).send(
            build_request("GET", "http://no-such-host.test/"))
        assert r.error == ErrorKind.DNS
        assert "could not resolve host no-such-host.test" in r.reason

    arun(main())


def test_plain_asyncio_loop_works_too():
    """The fallback when uvloop is missing: same client, stdlib loop."""

    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool(ClientContext())
            r = await _get(pool, srv.url("/chunked"))
            assert (r.error, r.body) == (None, b"hello world")
            r = await _get(pool, srv.url("/slow-headers?ms=2000"), max_time=0.2)
            assert r.error == ErrorKind.TIMEOUT

    asyncio.run(asyncio.wait_for(main(), 10))
