"""When the client sends a request again on its own (issue 16), and when it must not.

A request that got no byte back on a reused keep-alive connection is resent once on a
fresh connection only when that is safe (RFC 9110 §9.2.2: an idempotent method, or an
``Idempotency-Key`` header) and allowed (``resend = off`` forbids it). The earlier copy
stays on the response (``Response.copies``), so the caller counts every copy the server
got. Connections the server closed or said it would close are never reused.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from netutil import arun

from httptool.engine.client import ConnectionPool, not_resendable
from httptool.engine.errors import ErrorKind, cancelled_unsent
from httptool.engine.request import build_request
from httptool.plan import CurlOptions
from support.backlog import FullBacklog
from support.faultserver import FaultServer

pytestmark = pytest.mark.timeout(30)


async def _send(pool: ConnectionPool, method: str, url: str,
                headers: tuple[tuple[str, str | None], ...] = (), **opts: object):
    body = b"x=1" if method in ("POST", "PUT", "PATCH") else b""
    req = build_request(method, url, headers, body, CurlOptions(**opts))  # type: ignore[arg-type]
    return await pool.send(req, keep_body=True)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"])
def test_an_idempotent_request_dropped_on_reuse_is_resent_and_both_copies_are_kept(method):
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            first = await _send(pool, method, srv.url("/drop-reused"))
            assert first.error is None and first.copies is None
            second = await _send(pool, method, srv.url("/drop-reused"))
            assert second.error is None and second.status == 200, second
            assert second.new_connection and second.resent
            assert second.copies is not None and len(second.copies) == 1
            copy = second.copies[0]
            assert copy.error == ErrorKind.CLOSED and copy.bytes_received == 0
            assert copy.bytes_sent > 0 and copy.end_ns >= copy.start_ns
            # the server read three heads: the first request and both copies of the second
            assert srv.counts["/drop-reused"] == 3 and srv.dropped == 1

    arun(main())


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_non_idempotent_request_is_never_resent(method):
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            assert (await _send(pool, method, srv.url("/drop-reused"))).error is None
            r = await _send(pool, method, srv.url("/drop-reused"))
            assert r.error == ErrorKind.CLOSED and r.copies is None
            assert f"not resent: {method} is not idempotent" in r.reason
            assert srv.counts["/drop-reused"] == 2  # each request reached the server once
            assert pool.connections_opened == 1

    arun(main())


def test_an_idempotency_key_makes_a_post_resendable():
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            key = (("Idempotency-Key", "order-7"),)
            await _send(pool, "POST", srv.url("/drop-reused"), key)
            r = await _send(pool, "POST", srv.url("/drop-reused"), key)
            assert r.error is None and r.resent
            assert srv.counts["/drop-reused"] == 3

    arun(main())


def test_resend_off_forbids_resending_even_a_get():
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            await _send(pool, "GET", srv.url("/drop-reused"), resend=False)
            r = await _send(pool, "GET", srv.url("/drop-reused"), resend=False)
            assert r.error == ErrorKind.CLOSED and not r.resent
            assert "not resent: resend = off" in r.reason
            assert srv.counts["/drop-reused"] == 2

    arun(main())


def test_not_resendable_reasons():
    url = "http://127.0.0.1:1/"
    assert not_resendable(build_request("GET", url)) == ""
    assert not_resendable(build_request("DELETE", url)) == ""
    assert not_resendable(build_request("POST", url)) == "POST is not idempotent"
    assert not_resendable(build_request("POST", url, (("idempotency-key", "k"),))) == ""
    off = CurlOptions(resend=False)
    assert not_resendable(build_request("GET", url, options=off)) == "resend = off"


def test_a_resend_that_fails_again_keeps_the_copy_and_the_failure():
    """GET /ok, then GET /reset-conn: the reused connection is closed without an answer,
    the copy is resent on a fresh connection, which is closed too: one failure, two copies
    on the wire, both seen by the server."""
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            assert (await _send(pool, "GET", srv.url("/ok"))).error is None
            r = await _send(pool, "GET", srv.url("/reset-conn"))
            assert r.error == ErrorKind.CLOSED and r.copies is not None
            assert len(r.copies) == 1 and srv.counts["/reset-conn"] == 2

    arun(main())


@pytest.mark.parametrize("path", ["/conn-close", "/http10"])
def test_connection_close_and_http10_responses_are_not_reused(path):
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            rs = [await _send(pool, "GET", srv.url(path)) for _ in range(3)]
            assert [(r.error, r.status, r.body) for r in rs] == [(None, 200, b"ok")] * 3
            assert all(r.new_connection and not r.resent for r in rs)
            assert srv.connections == 3 and srv.total == 3 and pool.idle_count() == 0

    arun(main())


def test_http10_keep_alive_is_reused():
    async def main() -> None:
        async with FaultServer() as srv:
            pool = ConnectionPool()
            rs = [await _send(pool, "GET", srv.url("/http10-keepalive")) for _ in range(3)]
            assert [r.new_connection for r in rs] == [True, False, False]
            assert srv.connections == 1

    arun(main())


def test_a_connection_the_server_timed_out_while_idle_is_not_reused():
    """keep-alive timeout (50 ms) shorter than the pause (150 ms): the FIN arrives while
    the connection is idle, so it leaves the pool and the next request opens a new one;
    no copy is lost or resent."""
    async def main() -> None:
        async with FaultServer(idle_timeout=0.05) as srv:
            pool = ConnectionPool()
            for _ in range(3):
                r = await _send(pool, "GET", srv.url("/ok"))
                assert r.error is None and not r.resent and r.new_connection, r
                await asyncio.sleep(0.15)
                assert pool.idle_count() == 0  # dropped when the FIN came
            assert srv.total == 3 and srv.connections == 3

    arun(main())


def test_close_after_every_nth_response_with_connection_close():
    async def main() -> None:
        async with FaultServer(close_every=3) as srv:
            pool = ConnectionPool()
            rs = [await _send(pool, "GET", srv.url("/ok")) for _ in range(9)]
            assert all(r.error is None and not r.resent for r in rs)
            assert [r.new_connection for r in rs] == [True, False, False] * 3
            assert srv.total == 9 and srv.connections == 3

    arun(main())


async def _cancelled(pool: ConnectionPool, url: str, after: float) -> asyncio.CancelledError:
    task = asyncio.ensure_future(_send(pool, "GET", url))
    await asyncio.sleep(after)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError as e:
        return e
    raise AssertionError("the send finished before it was cancelled")


def test_a_send_cancelled_while_connecting_says_nothing_was_written():
    """The VU counts a cancelled request only when its bytes were written: a cancel while
    the connection is still being opened carries NOT_SENT; one after the write does not."""
    async def main() -> None:
        srv = FullBacklog(backlog=0)  # the kernel queues 1 connection, then drops SYNs
        filler = socket.create_connection(("127.0.0.1", int(srv.base.rsplit(":", 1)[1])))
        try:
            e = await _cancelled(ConnectionPool(), srv.base + "/", 0.3)
            assert cancelled_unsent(e)
        finally:
            filler.close()
            assert srv.drain() == (1, 0)
        async with FaultServer() as fs:
            e = await _cancelled(ConnectionPool(), fs.url("/slow-headers?ms=3000"), 0.3)
            assert not cancelled_unsent(e)
            assert fs.counts["/slow-headers"] == 1

    arun(main())
