"""The lean HTTP/2 framer (engine/h2conn.py, engine/h2frames.py) against the ``h2``
package's server side over loopback (tests/support/h2faults.py): flow control both ways
and header blocks split into CONTINUATION frames, both ways."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from httptool.engine.client import ConnectionPool
from httptool.engine.request import build_request
from httptool.plan import CurlOptions
from support.h2faults import H2FaultServer

pytestmark = pytest.mark.timeout(60)


def _one(url: str, method: str = "GET", body: bytes = b"",
         headers: tuple[tuple[str, str | None], ...] = (), keep: bool = True) -> Any:
    async def go() -> Any:
        pool = ConnectionPool()
        try:
            req = build_request(method, url, headers, body, CurlOptions(http="2", max_time=20))
            return await pool.send(req, keep_body=keep)
        finally:
            pool.close()

    return asyncio.run(go())


def test_a_body_larger_than_the_servers_window_is_sent_as_it_opens() -> None:
    # 300 KB through a 1000-byte stream window and the 65,535-byte connection window
    with H2FaultServer(window=1000) as srv:
        r = _one(srv.url + "/echo", "POST", b"x" * 300_000)
    assert r.error is None, r.reason
    assert r.body.startswith(b"body=300000 ")
    assert srv.streams == 1


def test_a_response_larger_than_our_window_is_credited_back() -> None:
    # 17 MiB: past the 16 MiB window we advertise, so WINDOW_UPDATE must go out
    with H2FaultServer() as srv:
        r = _one(srv.url + "/large", keep=False)
    assert r.error is None, r.reason
    assert r.status == 200 and r.body_size == 17 << 20


def test_a_response_head_in_continuation_frames_is_read_whole() -> None:
    with H2FaultServer() as srv:
        r = _one(srv.url + "/continued")
    assert r.error is None, r.reason
    assert b"x-long: " + b"b" * 40_000 + b"\r\n" in r.raw_head


def test_a_request_head_over_one_frame_goes_in_continuation_frames() -> None:
    # a 30 KB header: more than the 16 KiB frame size, so HEADERS + CONTINUATION
    with H2FaultServer() as srv:
        r = _one(srv.url + "/echo", "POST", b"hi", (("x-long", "c" * 30_000),))
    assert r.error is None, r.reason
    size = int(r.body.split(b"headers=")[1])
    assert r.body.startswith(b"body=2 ") and size > 30_000
    assert srv.streams == 1
