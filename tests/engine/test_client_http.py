"""curl semantics against real aiohttp.web servers on loopback: redirects, cookies,
compression, HEAD/204/304, keep-alive, auth, TLS (trustme) and proxies."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib

import brotli
import pytest
import trustme
from aiohttp import web
from netutil import arun, serve

from httptool.engine.client import ConnectionPool
from httptool.engine.cookies import CookieJar
from httptool.engine.errors import ErrorKind
from httptool.engine.request import build_request
from httptool.plan import CurlOptions

pytestmark = pytest.mark.timeout(30)


def _app(seen: list[tuple[str, str, bytes, dict[str, str]]]) -> web.Application:
    async def echo(r: web.Request) -> web.Response:
        body = await r.read()
        seen.append((r.method, r.path_qs, body, dict(r.headers)))
        return web.json_response({"method": r.method, "path": r.path_qs,
                                  "body": body.decode(), "cookie": r.headers.get("Cookie")})

    async def redirect(r: web.Request) -> web.Response:
        await r.read()
        seen.append((r.method, r.path_qs, b"", dict(r.headers)))
        code = int(r.match_info["code"])
        to = r.path_qs if "loop" in r.query else r.query.get("to", "/echo")
        return web.Response(status=code, headers={"Location": to})

    async def login(r: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/echo",
                                                 "Set-Cookie": "session=abc; Path=/"})

    async def encoded(r: web.Request) -> web.Response:
        enc = r.match_info["enc"]
        data = b"compressed " * 50
        packed = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[enc]
        return web.Response(body=packed(data), headers={"Content-Encoding": enc})

    async def chunked(r: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(r)
        for i in range(5):
            await resp.write(b"part%d;" % i)
        await resp.write_eof()
        return resp

    async def status(r: web.Request) -> web.Response:
        return web.Response(status=int(r.match_info["code"]), headers={"X-S": "1"})

    async def close(r: web.Request) -> web.Response:
        return web.Response(text="bye", headers={"Connection": "close"})

    async def head_target(r: web.Request) -> web.Response:
        return web.Response(body=b"x" * 1234)

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_route("*", "/redirect/{code}", redirect)
    app.router.add_get("/login", login)
    app.router.add_get("/enc/{enc}", encoded)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/close", close)
    app.router.add_get("/sized", head_target)
    return app


async def _server(seen: list | None = None) -> tuple[web.AppRunner, str]:
    runner, port = await serve(_app(seen if seen is not None else []))
    return runner, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("code", "method_after", "body_after"),
    [(301, "GET", b""), (302, "GET", b""), (303, "GET", b""),
     (307, "POST", b"payload"), (308, "POST", b"payload")],
)
def test_redirect_codes(code: int, method_after: str, body_after: bytes):
    async def main() -> None:
        seen: list = []
        runner, base = await _server(seen)
        try:
            req = build_request("POST", f"{base}/redirect/{code}",
                                [("Content-Type", "text/plain")], b"payload",
                                CurlOptions(follow_redirects=True))
            r = await ConnectionPool().send(req, keep_body=True)
            assert r.error is None and r.status == 200 and r.redirects == 1
            assert r.url == f"{base}/echo"
            assert seen[0][:3] == ("POST", f"/redirect/{code}", b"")
            method, path, body, headers = seen[1]
            assert (method, path, body) == (method_after, "/echo", body_after)
            if not body_after:
                assert "Content-Length" not in headers and "Content-Type" not in headers
        finally:
            await runner.cleanup()

    arun(main())


def test_redirect_not_followed_without_L_and_max_redirs():
    async def main() -> None:
        runner, base = await _server()
        try:
            pool = ConnectionPool()
            r = await pool.send(build_request("GET", f"{base}/redirect/302"))
            assert (r.error, r.status, r.redirects) == (None, 302, 0)
            loop_url = f"{base}/redirect/301?loop=1"
            r = await pool.send(build_request(
                "GET", loop_url, options=CurlOptions(follow_redirects=True, max_redirs=3)))
            assert r.error == ErrorKind.REDIRECTS and "maximum (3) redirects" in r.reason
            # relative Location
            r = await pool.send(build_request(
                "GET", f"{base}/redirect/302?to=../echo?x=1",
                options=CurlOptions(follow_redirects=True)), keep_body=True)
            assert r.status == 200 and b'"/echo?x=1"' in (r.body or b"")
        finally:
            await runner.cleanup()

    arun(main())


def test_cookies_set_on_redirect_are_sent_on_the_next_hop_and_after():
    async def main() -> None:
        seen: list = []
        runner, base = await _server(seen)
        try:
            jar = CookieJar()
            pool = ConnectionPool(jar=jar)
            opts = CurlOptions(follow_redirects=True)
            r = await pool.send(build_request("GET", f"{base}/login", options=opts),
                                keep_body=True, cookies="extra=1")
            assert r.status == 200
            assert seen[-1][3]["Cookie"] == "extra=1; session=abc"
            r = await pool.send(build_request("GET", f"{base}/echo"), keep_body=True)
            assert seen[-1][3]["Cookie"] == "session=abc"
        finally:
            await runner.cleanup()

    arun(main())


def test_jar_protocol_double_is_enough():
    class Double:
        def __init__(self) -> None:
            self.stored: list = []

        def header_for(self, secure: bool, host: str, path: str) -> str | None:
            return "a=b" if path == "/echo" else None

        def store(self, secure: bool, host: str, path: str, values: list[str]) -> None:
            self.stored.append((secure, host, path, values))

    async def main() -> None:
        seen: list = []
        runner, base = await _server(seen)
        try:
            jar = Double()
            r = await ConnectionPool(jar=jar).send(
                build_request("GET", f"{base}/login", options=CurlOptions(follow_redirects=True)))
            assert r.status == 200
            assert jar.stored == [(False, "127.0.0.1", "/login", ["session=abc; Path=/"])]
            assert seen[-1][3]["Cookie"] == "a=b"
        finally:
            await runner.cleanup()

    arun(main())


@pytest.mark.parametrize("enc", ["gzip", "deflate", "br"])
def test_compressed_bodies_are_decoded(enc: str):
    async def main() -> None:
        runner, base = await _server()
        try:
            req = build_request("GET", f"{base}/enc/{enc}", options=CurlOptions(compressed=True))
            assert b"Accept-Encoding: deflate, gzip, br, zstd\r\n" in req.head
            r = await ConnectionPool().send(req, keep_body=True)
            assert r.error is None and r.body == b"compressed " * 50
            assert r.body_size < len(r.body)  # counted on the wire, compressed
        finally:
            await runner.cleanup()

    arun(main())


def test_chunked_head_204_304_and_keepalive_reuse():
    async def main() -> None:
        runner, base = await _server()
        try:
            pool = ConnectionPool()
            r = await pool.send(build_request("GET", f"{base}/chunked"), keep_body=True)
            assert r.body == b"part0;part1;part2;part3;part4;"
            r = await pool.send(build_request("HEAD", f"{base}/sized"), keep_body=True)
            assert (r.status, r.body, r.header("content-length")) == (200, b"", "1234")
            for code in (204, 304):
                r = await pool.send(build_request("GET", f"{base}/status/{code}"))
                assert (r.error, r.status, r.body_size) == (None, code, 0)
            r = await pool.send(build_request("GET", f"{base}/echo"), keep_body=True)
            assert r.status == 200
            assert pool.connections_opened == 1  # every request above reused one connection
        finally:
            await runner.cleanup()

    arun(main())


def test_connection_close_is_honoured_and_parallel_requests_open_more():
    async def main() -> None:
        runner, base = await _server()
        try:
            pool = ConnectionPool()
            r = await pool.send(build_request("GET", f"{base}/close"))
            assert r.status == 200 and pool.idle_count() == 0
            req = build_request("GET", f"{base}/echo")
            rs = await asyncio.gather(*(pool.send(req) for _ in range(3)))
            assert all(x.status == 200 for x in rs)
            assert pool.connections_opened == 4 and pool.idle_count(req.origin) == 3
            await pool.send(req)
            assert pool.connections_opened == 4
        finally:
            await runner.cleanup()

    arun(main())


def test_basic_auth_and_user_headers():
    async def main() -> None:
        seen: list = []
        runner, base = await _server(seen)
        try:
            req = build_request("GET", f"{base}/echo", [("X-Trace", "1"), ("Accept", None)],
                                auth=("user", "pa:ss"))
            r = await ConnectionPool().send(req)
            assert r.status == 200
            h = seen[-1][3]
            assert h["Authorization"] == "Basic dXNlcjpwYTpzcw=="
            assert h["X-Trace"] == "1" and "Accept" not in h
        finally:
            await runner.cleanup()

    arun(main())


# ------------------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _tls_server_ctx(ca: trustme.CA, require_client: bool = False) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    if require_client:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ca.configure_trust(ctx)
    return ctx


def test_tls_verified_insecure_and_failure(ca: trustme.CA, tmp_path):
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))

    async def main() -> None:
        runner, port = await serve(_app([]), ssl_context=_tls_server_ctx(ca))
        try:
            url = f"https://127.0.0.1:{port}/echo"
            pool = ConnectionPool()
            r = await pool.send(build_request("GET", url, options=CurlOptions(cacert=str(cafile))))
            assert r.error is None and r.status == 200
            assert r.new_connection and r.tls_ns > 0 and r.connect_ns > 0
            r = await pool.send(build_request("GET", url, options=CurlOptions(insecure=True)))
            assert r.error is None and r.status == 200
            r = await pool.send(build_request("GET", url))  # system store: not trusted
            assert r.error == ErrorKind.TLS
            assert "certificate verification failed" in r.reason
        finally:
            await runner.cleanup()

    arun(main())


def test_tls_client_certificate(ca: trustme.CA, tmp_path):
    cafile, certfile = tmp_path / "ca.pem", tmp_path / "client.pem"
    ca.cert_pem.write_to_path(str(cafile))
    client = ca.issue_cert("client@example.test")
    client.private_key_and_cert_chain_pem.write_to_path(str(certfile))

    async def main() -> None:
        runner, port = await serve(_app([]), ssl_context=_tls_server_ctx(ca, True))
        try:
            url = f"https://127.0.0.1:{port}/echo"
            ok = CurlOptions(cacert=str(cafile), cert=str(certfile))
            r = await ConnectionPool().send(build_request("GET", url, options=ok))
            assert r.error is None and r.status == 200
            r = await ConnectionPool().send(
                build_request("GET", url, options=CurlOptions(cacert=str(cafile))))
            assert r.error is not None  # the server wants a client certificate
        finally:
            await runner.cleanup()

    arun(main())


# ------------------------------------------------------------------------------ proxy


class _Proxy:
    """A minimal HTTP proxy: CONNECT tunnels and absolute-form forwarding."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.port = 0

    async def start(self) -> asyncio.Server:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode()
            self.lines.append(line)
            method, target, _ = line.split(" ")
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                up_r, up_w = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                hostport = target.split("://", 1)[1].split("/", 1)[0]
                host, port = hostport.rsplit(":", 1)
                up_r, up_w = await asyncio.open_connection(host, int(port))
                up_w.write(head)  # forwarded as is (servers accept absolute-form)
            await asyncio.gather(self._pipe(reader, up_w), self._pipe(up_r, writer))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        finally:
            w.close()


def test_http_proxy_absolute_form_and_https_connect(ca: trustme.CA, tmp_path):
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))

    async def main() -> None:
        proxy = _Proxy()
        pserver = await proxy.start()
        runner, port = await serve(_app([]))
        trunner, tport = await serve(_app([]), ssl_context=_tls_server_ctx(ca))
        try:
            via = f"http://127.0.0.1:{proxy.port}"
            pool = ConnectionPool()
            r = await pool.send(build_request(
                "GET", f"http://127.0.0.1:{port}/echo?a=1", options=CurlOptions(proxy=via)),
                keep_body=True)
            assert r.error is None and r.status == 200 and b'"/echo?a=1"' in (r.body or b"")
            assert proxy.lines[-1] == f"GET http://127.0.0.1:{port}/echo?a=1 HTTP/1.1"
            r = await pool.send(build_request(
                "GET", f"https://127.0.0.1:{tport}/echo",
                options=CurlOptions(proxy=via, cacert=str(cafile))))
            assert r.error is None and r.status == 200, r
            assert proxy.lines[-1] == f"CONNECT 127.0.0.1:{tport} HTTP/1.1"
            pool.close()
        finally:
            pserver.close()
            await runner.cleanup()
            await trunner.cleanup()

    arun(main())
