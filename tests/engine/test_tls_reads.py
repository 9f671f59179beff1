"""TLS reads go through one buffer per thread (engine/tlsread.py), not a fresh 256 KiB
allocation per read: the bytes must still arrive whole and in order, over HTTP/1.1 and
HTTP/2, when responses are bigger than the buffer and when many connections share it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from httptool.engine.client import ConnectionPool
from httptool.engine.request import build_request
from httptool.engine.tlsread import READ_SIZE
from httptool.plan import CurlOptions
from httptool.target.server import ProcessTarget

pytestmark = pytest.mark.timeout(60)
N = READ_SIZE * 3 + 12_345  # several buffer fills per response


async def _get(pool: ConnectionPool, url: str, **opts: Any) -> Any:
    resp = await pool.send(build_request("GET", url, (), b"", CurlOptions(**opts)),
                           keep_body=True)
    assert resp.error is None, resp.reason
    return resp


async def _over_tls(url: str, ca: str, http: str) -> tuple[Any, Any, int]:
    pool = ConnectionPool()
    try:
        first = await _get(pool, url, cacert=ca, http=http)
        second = await _get(pool, url, cacert=ca, http=http)  # again, same connection
        return first, second, pool.connections_opened
    finally:
        pool.close()


async def _plain(url: str, http: str) -> bytes:  # the reference: no TLS, no shared buffer
    pool = ConnectionPool()
    try:
        return bytes((await _get(pool, url, http=http)).body)
    finally:
        pool.close()


def _check(tls_base: str, ca: str, plain_base: str, http: str, protocol: str) -> None:
    paths = [f"/bytes/{N}?seed={seed}" for seed in range(6)]

    async def go() -> tuple[list[Any], list[bytes]]:
        got = await asyncio.gather(*(_over_tls(tls_base + p, ca, http) for p in paths))
        return got, [await _plain(plain_base + p, http) for p in paths]

    got, expected = asyncio.run(go())
    assert len(set(expected)) == len(paths) and all(len(b) == N for b in expected)
    for (first, second, opened), want in zip(got, expected, strict=True):
        for resp in (first, second):
            assert resp.protocol == protocol
            assert resp.body == want
        assert opened == 1


def test_http2_bodies_larger_than_the_buffer_on_concurrent_connections(
        h2target: tuple[ProcessTarget, str]) -> None:
    server, ca = h2target
    _check(server.h2_urls["h2"], ca, server.h2_urls["h2c"], "2", "h2")


def test_http11_bodies_larger_than_the_buffer_on_concurrent_connections(
        target_factory: Any) -> None:
    tls, plain = target_factory(tls=True), target_factory()
    _check(tls.url, tls.ca_file, plain.url, "1.1", "http/1.1")


def test_tls_connections_are_read_into_a_buffer(h2target: tuple[ProcessTarget, str],
                                                target_factory: Any) -> None:
    server, ca = h2target
    tls = target_factory(tls=True)

    async def go() -> list[bool]:
        pool = ConnectionPool()
        try:
            await _get(pool, tls.url + "/get", cacert=tls.ca_file)
            await _get(pool, server.h2_urls["h2"] + "/get", cacert=ca)
            conns = [*pool._all, *(c for cs in pool._h2.conns.values() for c in cs)]
            return [isinstance(c.transport.get_protocol(), asyncio.BufferedProtocol)
                    for c in conns]
        finally:
            pool.close()

    assert asyncio.run(go()) == [True, True]
