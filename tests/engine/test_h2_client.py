"""HTTP/2 against the built-in target's h2 (TLS, ALPN) and h2c ports, over real loopback
sockets: negotiation by curl's rules, multiplexing on one connection, bodies, cookies,
redirects and decoding through the same upper layer as HTTP/1.1, and counts that equal
the server's."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from httptool.engine.client import ConnectionPool
from httptool.engine.cookies import CookieJar
from httptool.engine.request import build_request
from httptool.plan import CurlOptions
from httptool.target.server import ProcessTarget

pytestmark = pytest.mark.timeout(60)


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _send(url: str, pool: ConnectionPool | None = None, keep_body: bool = True,
                method: str = "GET", body: bytes = b"", **opts: Any) -> Any:
    own = pool is None
    pool = pool or ConnectionPool()
    try:
        req = build_request(method, url, (), body, CurlOptions(**opts))
        return await pool.send(req, keep_body=keep_body)
    finally:
        if own:
            pool.close()


def test_https_negotiates_h2_by_alpn(h2target: tuple[ProcessTarget, str]) -> None:
    server, ca = h2target
    resp = _run(_send(server.h2_urls["h2"] + "/get?x=1", cacert=ca))
    assert resp.error is None, resp.reason
    assert (resp.status, resp.protocol, resp.http_version) == (200, "h2", "2")
    doc = json.loads(resp.body)
    assert doc["args"] == {"x": "1"}
    assert doc["headers"]["User-Agent"] == "httptool/0.1"
    assert resp.new_connection and resp.tls_ns > 0


def test_tls_verification_stays_on(h2target: tuple[ProcessTarget, str]) -> None:
    server, _ = h2target
    resp = _run(_send(server.h2_urls["h2"] + "/get"))  # no --cacert: self-signed is refused
    assert resp.error is not None and resp.error.value == "tls"
    assert "certificate verification failed" in resp.reason


def test_h2c_prior_knowledge_with_http2_flag(h2target: tuple[ProcessTarget, str]) -> None:
    server, _ = h2target
    for http in ("2", "2-prior"):
        resp = _run(_send(server.h2_urls["h2c"] + "/get", http=http))
        assert resp.error is None, resp.reason
        assert (resp.status, resp.protocol) == (200, "h2")


def test_plain_http_stays_http11_by_default(h2target: tuple[ProcessTarget, str]) -> None:
    server, _ = h2target
    resp = _run(_send(server.url + "/get"))
    assert (resp.status, resp.protocol) == (200, "http/1.1")


def test_prior_knowledge_against_http11_server_fails_clearly(
        h2target: tuple[ProcessTarget, str]) -> None:
    server, _ = h2target
    resp = _run(_send(server.url + "/get", http="2-prior"))
    assert resp.error is not None and resp.error.value in ("malformed", "closed")
    assert "HTTP/2" in resp.reason and "h2c" in resp.reason


def test_https_falls_back_to_http11_when_server_does_not_choose_h2(
        target_factory: Any) -> None:
    t = target_factory(tls=True)  # aiohttp over TLS: no ALPN h2
    resp = _run(_send(t.url + "/get", cacert=t.ca_file))
    assert (resp.error, resp.status, resp.protocol) == (None, 200, "http/1.1")
    bad = _run(_send(t.url + "/get", cacert=t.ca_file, http="2-prior"))
    assert bad.error is not None and bad.error.value == "tls"
    assert "did not choose HTTP/2" in bad.reason and "does not fall back" in bad.reason


def test_concurrent_requests_multiplex_on_one_connection(
        h2target: tuple[ProcessTarget, str]) -> None:
    server, ca = h2target
    server.reset()

    async def go() -> tuple[list[Any], int]:
        pool = ConnectionPool()
        try:
            resps = await asyncio.gather(*[
                _send(server.h2_urls["h2"] + f"/anything/{i}", pool, cacert=ca)
                for i in range(20)])
            more = await _send(server.h2_urls["h2"] + "/anything/last", pool, cacert=ca)
            return [*resps, more], pool.connections_opened
        finally:
            pool.close()

    resps, opened = _run(go())
    assert [r.status for r in resps] == [200] * 21
    assert {r.protocol for r in resps} == {"h2"}
    assert opened == 1
    assert sum(r.new_connection for r in resps) == 1
    assert server.counts()["total"] == 21


def test_post_body_cookies_redirects_and_gzip_over_h2(
        h2target: tuple[ProcessTarget, str]) -> None:
    server, _ = h2target
    base = server.h2_urls["h2c"]

    async def go() -> list[Any]:
        pool = ConnectionPool(jar=CookieJar())
        try:
            big = b"x" * 200_000  # above the default 64 KiB stream window
            posted = await _send(base + "/post", pool, method="POST", body=big, http="2")
            cookie = await _send(base + "/cookies/set?flavour=oat", pool, http="2",
                                 follow_redirects=True)
            gz = await _send(base + "/gzip", pool, http="2", compressed=True)
            return [posted, cookie, gz]
        finally:
            pool.close()

    posted, cookie, gz = _run(go())
    assert posted.status == 200 and len(json.loads(posted.body)["data"]) == 200_000
    assert cookie.status == 200 and cookie.redirects == 1
    assert json.loads(cookie.body)["cookies"] == {"flavour": "oat"}
    assert json.loads(gz.body)["gzipped"] is True


def test_large_response_body_is_read_whole(h2target: tuple[ProcessTarget, str]) -> None:
    server, _ = h2target
    resp = _run(_send(server.h2_urls["h2c"] + "/bytes/300000", http="2"))
    assert resp.error is None and resp.body_size == 300_000 and len(resp.body) == 300_000


def test_exec_prints_body_and_says_h2(h2target: tuple[ProcessTarget, str],
                                      tmp_path: Path) -> None:
    import subprocess
    import sys

    server, ca = h2target
    cmd = f"curl -sv --http2 {server.h2_urls['h2']}/get --cacert {ca}"
    p = subprocess.run([sys.executable, "-m", "httptool", "exec", cmd],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["url"].endswith("/get")
    assert "> GET /get HTTP/2\n" in p.stderr
    assert "* using HTTP/2 (h2)" in p.stderr and "< HTTP/2 200" in p.stderr


def test_https_through_an_http_proxy_tunnel_negotiates_h2(
        h2target: tuple[ProcessTarget, str]) -> None:
    from test_client_http import _Proxy

    server, ca = h2target

    async def go() -> tuple[Any, list[str]]:
        proxy = _Proxy()
        pserver = await proxy.start()
        try:
            resp = await _send(server.h2_urls["h2"] + "/get", cacert=ca,
                               proxy=f"http://127.0.0.1:{proxy.port}")
            return resp, proxy.lines
        finally:
            pserver.close()

    resp, lines = _run(go())
    assert resp.error is None, resp.reason
    assert (resp.status, resp.protocol) == (200, "h2")
    assert lines == [f"CONNECT 127.0.0.1:{server.h2_urls['h2'].rsplit(':', 1)[1]} HTTP/1.1"]
