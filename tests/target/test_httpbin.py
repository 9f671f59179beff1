"""httpbin-like endpoints over real loopback sockets (the session target subprocess)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import time
import uuid
import zlib

import aiohttp
import brotli
import pytest
from targetutil import call, new_session, run, send

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("path", ["/get", "/post", "/put", "/patch", "/delete", "/anything"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_echo_any_method(target, path: str, method: str) -> None:
    r = call(method, f"{target.url}{path}?a=1&a=2&b=x", headers={"x-custom-thing": "v"})
    assert r.status == 200
    body = r.json()
    assert body["args"] == {"a": ["1", "2"], "b": "x"}
    assert body["method"] == method
    assert body["origin"] == "127.0.0.1"
    assert body["url"] == f"{target.url}{path}?a=1&a=2&b=x"
    assert body["headers"]["X-Custom-Thing"] == "v"
    assert body["headers"]["Host"] == target.url.split("://")[1]
    # A fresh uuid4 stamped both in the echo and on the response.
    rid = body["headers"]["X-Request-Id"]
    assert uuid.UUID(rid).version == 4
    assert r.headers["X-Request-Id"] == rid
    assert ("data" in body) == (path != "/get")


def test_request_id_is_the_clients_own(target) -> None:
    r = call("GET", target.url + "/get", headers={"x-request-id": "abc-123"})
    assert r.json()["headers"]["X-Request-Id"] == "abc-123"
    assert r.headers["X-Request-Id"] == "abc-123"
    a = call("GET", target.url + "/headers").json()["headers"]["X-Request-Id"]
    b = call("GET", target.url + "/headers").json()["headers"]["X-Request-Id"]
    assert a != b


def test_anything_subpath_and_json_body(target) -> None:
    r = call("PATCH", target.url + "/anything/a/b?q=1", data=b'{"email":"u@x","n":[1,2]}',
             headers={"Content-Type": "application/json"})
    body = r.json()
    assert body["url"].endswith("/anything/a/b?q=1")
    assert body["json"] == {"email": "u@x", "n": [1, 2]}
    assert body["data"] == '{"email":"u@x","n":[1,2]}'
    assert body["form"] == {} and body["files"] == {}
    assert body["headers"]["Content-Type"] == "application/json"


def test_urlencoded_form(target) -> None:
    r = call("POST", target.url + "/post", data={"a": "1", "b": "two words"})
    body = r.json()
    assert body["form"] == {"a": "1", "b": "two words"}
    assert body["data"] == "" and body["json"] is None


def test_multipart_form_and_files(target) -> None:
    form = aiohttp.FormData()
    form.add_field("field", "value")
    form.add_field("upload", b"file text\n", filename="a.txt", content_type="text/plain")
    form.add_field("bin", b"\xff\x00\x01", filename="b.bin",
                   content_type="application/octet-stream")
    body = call("POST", target.url + "/post", data=form).json()
    assert body["form"] == {"field": "value"}
    assert body["files"]["upload"] == "file text\n"
    assert body["files"]["bin"] == "data:application/octet-stream;base64,/wAB"


def test_text_and_binary_bodies(target) -> None:
    body = call("PUT", target.url + "/put", data=b"plain text",
                headers={"Content-Type": "text/plain"}).json()
    assert body["data"] == "plain text" and body["json"] is None
    body = call("POST", target.url + "/post", data=b"\x80\x81",
                headers={"Content-Type": "application/octet-stream"}).json()
    assert body["data"] == "data:application/octet-stream;base64,gIE="


def test_header_names_are_title_case(target) -> None:
    async def go() -> dict:
        async with new_session(skip_auto_headers=["User-Agent"]) as s:
            r = await send(s, "GET", target.url + "/headers",
                           headers={"x-lower-case": "1", "ACCEPT-LANGUAGE": "en"})
            return r.json()["headers"]

    headers = run(go())
    assert headers["X-Lower-Case"] == "1"
    assert headers["Accept-Language"] == "en"
    assert "User-Agent" not in headers


@pytest.mark.parametrize("code", [200, 201, 204, 301, 400, 401, 404, 418, 500, 503, 599])
def test_status(target, code: int) -> None:
    r = call("POST", f"{target.url}/status/{code}")
    assert r.status == code
    if code == 301:
        assert r.headers["Location"] == "/redirect/1"
    if code == 401:
        assert "WWW-Authenticate" in r.headers


def test_status_random_choice_and_bad_codes(target) -> None:
    seen = {call("GET", f"{target.url}/status/503,200").status for _ in range(40)}
    assert seen == {200, 503}
    assert call("GET", f"{target.url}/status/abc").status == 400
    assert call("GET", f"{target.url}/status/99").status == 400


def test_delay(target) -> None:
    t0 = time.perf_counter()
    r = call("GET", f"{target.url}/delay/300?x=1")
    took = time.perf_counter() - t0
    assert r.status == 200 and r.json()["args"] == {"x": "1"}
    assert 0.29 <= took < 2.0
    assert call("GET", f"{target.url}/delay/nope").status == 400


def test_small_info_endpoints(target) -> None:
    assert call("GET", target.url + "/ip").json() == {"origin": "127.0.0.1"}
    ua = call("GET", target.url + "/user-agent", headers={"User-Agent": "ua/1"}).json()
    assert ua == {"user-agent": "ua/1"}
    assert uuid.UUID(call("GET", target.url + "/uuid").json()["uuid"]).version == 4
    assert call("GET", target.url + "/json").json()["slideshow"]["title"] == "Sample Slide Show"
    r = call("GET", target.url + "/html")
    assert r.headers["Content-Type"].startswith("text/html") and b"Moby-Dick" in r.body


def test_cookies_set_redirects_then_cookies_are_sent(target) -> None:
    async def go() -> None:
        async with new_session() as s:
            r = await send(s, "POST", target.url + "/cookies/set?session=abc123&user_id=42")
            assert r.status == 302
            assert r.headers["Location"] == "/cookies"
            set_cookies = r.headers.getall("Set-Cookie")
            assert sorted(c.split(";")[0] for c in set_cookies) == ["session=abc123",
                                                                   "user_id=42"]
            assert all("Path=/" in c for c in set_cookies)
            r = await send(s, "GET", target.url + "/cookies")
            assert r.json() == {"cookies": {"session": "abc123", "user_id": "42"}}
            # followed like a browser would
            r = await send(s, "GET", target.url + "/cookies/set/theme/dark", allow_redirects=True)
            assert r.json()["cookies"]["theme"] == "dark"
            r = await send(s, "GET", target.url + "/cookies/delete?session", allow_redirects=True)
            assert r.json() == {"cookies": {"user_id": "42", "theme": "dark"}}

    run(go())


def test_cookies_reports_cookie_header(target) -> None:
    r = call("POST", target.url + "/cookies", headers={"Cookie": "a=1; b=2"}, json={"x": 1})
    assert r.json() == {"cookies": {"a": "1", "b": "2"}}


def test_redirect_chain_to_get(target) -> None:
    async def go() -> None:
        async with new_session() as s:
            r = await send(s, "GET", target.url + "/redirect/3")
            assert (r.status, r.headers["Location"]) == (302, "/redirect/2")
            r = await send(s, "GET", target.url + "/redirect/1")
            assert r.headers["Location"] == "/get"
            async with s.get(target.url + "/redirect/3") as resp:
                assert resp.status == 200
                assert [h.status for h in resp.history] == [302, 302, 302]
                assert str(resp.url) == target.url + "/get"
            r = await send(s, "GET", target.url + "/redirect/2?absolute=true")
            assert r.headers["Location"] == target.url + "/redirect/1?absolute=true"
            r = await send(s, "GET", target.url + "/relative-redirect/2")
            assert r.headers["Location"] == "/relative-redirect/1"
            r = await send(s, "GET", target.url + "/absolute-redirect/1")
            assert r.headers["Location"] == target.url + "/get"
            assert (await send(s, "GET", target.url + "/redirect/0")).status == 400

    run(go())


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_to(target, code: int) -> None:
    r = call("POST", f"{target.url}/redirect-to?url=/anything/x&status_code={code}", data=b"b")
    assert r.status == code
    assert r.headers["Location"] == "/anything/x"


def test_redirect_to_errors(target) -> None:
    assert call("GET", target.url + "/redirect-to").status == 400
    assert call("GET", target.url + "/redirect-to?url=/get&status_code=200").status == 400
    r = call("GET", target.url + "/redirect-to?url=http://example.invalid/")
    assert (r.status, r.headers["Location"]) == (302, "http://example.invalid/")


def test_bytes_are_seeded_and_sized(target) -> None:
    a = call("GET", target.url + "/bytes/100000")
    b = call("GET", target.url + "/bytes/100000")
    c = call("GET", target.url + "/bytes/100000?seed=7")
    assert a.headers["Content-Length"] == "100000"
    assert a.headers["Content-Type"] == "application/octet-stream"
    assert len(a.body) == len(c.body) == 100000
    assert a.body == b.body != c.body
    assert len(set(a.body)) == 256
    assert call("GET", target.url + "/bytes/0").body == b""
    assert call("GET", target.url + f"/bytes/{100 * 1024 * 1024 + 1}").status == 400


def test_large_bytes_are_streamed(target) -> None:
    """A 20 MB body arrives completely, in many reads (it is not one buffer)."""

    async def go() -> tuple[int, int, str]:
        async with new_session() as s, s.get(target.url + "/bytes/20000000?seed=3") as r:
            h = hashlib.sha256()
            n = reads = 0
            async for chunk in r.content.iter_any():
                h.update(chunk)
                n += len(chunk)
                reads += 1
            return n, reads, h.hexdigest()

    n, reads, digest = run(go())
    assert n == 20_000_000 and reads > 10
    assert run(go())[2] == digest


def test_stream_bytes_is_chunked(target) -> None:
    r = call("GET", target.url + "/stream-bytes/50000?chunk_size=1000")
    assert r.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in r.headers
    assert len(r.body) == 50000
    assert r.body == call("GET", target.url + "/stream-bytes/50000").body
    # one byte sequence per seed, whatever the endpoint, size or chunking
    big = call("GET", target.url + "/bytes/200000?seed=9").body
    r = call("GET", target.url + "/stream-bytes/200000?seed=9&chunk_size=999")
    assert r.body == big
    assert call("GET", target.url + "/bytes/70000?seed=9").body == big[:70000]
    assert call("GET", target.url + "/bytes/100?seed=9").body == big[:100]
    assert call("GET", target.url + "/bytes/10?seed=-1").status == 400


def test_chunked_json(target) -> None:
    r = call("GET", target.url + "/chunked")
    assert r.headers["Transfer-Encoding"] == "chunked"
    body = r.json()
    assert body["chunked"] is True and [i["index"] for i in body["items"]] == list(range(10))


@pytest.mark.parametrize(
    ("path", "encoding", "decode", "flag"),
    [
        ("/gzip", "gzip", gzip.decompress, "gzipped"),
        ("/deflate", "deflate", zlib.decompress, "deflated"),
        ("/brotli", "br", brotli.decompress, "brotli"),
    ],
)
def test_compressed(target, path: str, encoding: str, decode, flag: str) -> None:
    r = call("GET", target.url + path, headers={"Accept-Encoding": encoding})
    assert r.headers["Content-Encoding"] == encoding
    body = __import__("json").loads(decode(r.body))
    assert body[flag] is True
    assert body["headers"]["Accept-Encoding"] == encoding


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_basic_auth(target) -> None:
    url = target.url + "/basic-auth/alice/s3cret"
    r = call("GET", url)
    assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
    assert call("GET", url, headers=_basic("alice", "nope")).status == 401
    assert call("GET", url, headers={"Authorization": "Basic !!"}).status == 401
    r = call("GET", url, headers=_basic("alice", "s3cret"))
    assert r.status == 200 and r.json() == {"authenticated": True, "user": "alice"}


def test_bearer(target) -> None:
    assert call("GET", target.url + "/bearer").status == 401
    assert call("GET", target.url + "/bearer", headers={"Authorization": "Bearer "}).status == 401
    assert call("GET", target.url + "/bearer", headers={"Authorization": "Basic x"}).status == 401
    r = call("GET", target.url + "/bearer", headers={"Authorization": "Bearer tok"})
    assert r.json() == {"authenticated": True, "token": "tok"}


def test_head_has_no_body(target) -> None:
    r = call("HEAD", target.url + "/get")
    assert r.status == 200 and r.body == b""
    assert int(r.headers["Content-Length"]) > 0


def test_unknown_path_is_404(target) -> None:
    assert call("GET", target.url + "/no/such/thing").status == 404


def test_concurrent_requests(target) -> None:
    """Many keep-alive connections at once, each answered once."""

    async def go() -> list[int]:
        conn = aiohttp.TCPConnector(limit=100)
        async with new_session(connector=conn) as s:
            replies = await asyncio.gather(
                *(send(s, "GET", f"{target.url}/anything/{i}") for i in range(300))
            )
            return [int(r.json()["url"].rsplit("/", 1)[1]) for r in replies]

    assert sorted(run(go())) == list(range(300))
