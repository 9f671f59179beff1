"""httpbin-like endpoints: echo, status, delay, cookies, redirects, bytes, encodings, auth.

Every route accepts any method unless its docstring says otherwise (httpbin is stricter;
a load-test target is more useful when a scenario's method choice never causes a 405).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import gzip
import random
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import brotli
import orjson
from aiohttp import web

from httptool.target import data
from httptool.target.echo import echo, echo_headers, json_response, multi_to_dict, request_id

MAX_DELAY_MS = 10_000
MAX_BYTES = 100 * 1024 * 1024
MAX_REDIRECTS = 100
#: Unit of random-byte generation and of Content-Length writes.
BLOCK = 64 * 1024
_REDIRECT_CODES = frozenset((300, 301, 302, 303, 305, 307, 308))
_AUTH_FAIL = {"authenticated": False}

#: Client went away mid-response: nothing to answer, nothing worth logging.
_GONE = (ConnectionError,)


def _bad(message: str, status: int = 400) -> web.Response:
    return json_response({"error": message}, status=status)


def _int_param(request: web.Request, name: str) -> int | None:
    try:
        return int(request.match_info[name])
    except ValueError:
        return None


async def get(request: web.Request) -> web.Response:
    return await echo(request, body=False)


async def with_body(request: web.Request) -> web.Response:
    """/post, /put, /patch, /delete and /anything[/...]."""
    return await echo(request, body=True)


async def status(request: web.Request) -> web.Response:
    """/status/{code} or /status/503,200 (a random choice among the listed codes)."""
    try:
        codes = [int(c) for c in request.match_info["codes"].split(",")]
    except ValueError:
        return _bad("invalid status code")
    code = random.choice(codes) if len(codes) > 1 else codes[0]
    if not 200 <= code <= 599:
        return _bad("status code must be between 200 and 599")
    headers: dict[str, str] = {}
    if code in _REDIRECT_CODES:
        headers["Location"] = "/redirect/1"
    elif code == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Fake Realm"'
    return web.Response(status=code, headers=headers)


async def delay(request: web.Request) -> web.Response:
    """/delay/{ms}: answers the echo after ``ms`` milliseconds (at most 10 s)."""
    try:
        ms = float(request.match_info["ms"])
    except ValueError:
        return _bad("delay must be a number of milliseconds")
    ms = min(max(ms, 0.0), MAX_DELAY_MS)
    await asyncio.sleep(ms / 1000)
    return await echo(request, body=False)


async def headers(request: web.Request) -> web.Response:
    rid = request_id(request)
    return json_response({"headers": echo_headers(request, rid)}, headers={"X-Request-Id": rid})


async def ip(request: web.Request) -> web.Response:
    return json_response({"origin": request.remote or ""})


async def user_agent(request: web.Request) -> web.Response:
    return json_response({"user-agent": request.headers.get("User-Agent")})


async def cookies(request: web.Request) -> web.Response:
    """The cookies the request carried."""
    return json_response({"cookies": dict(request.cookies)})


def _to_cookies() -> web.Response:
    return web.Response(status=302, headers={"Location": "/cookies"})


async def cookies_set(request: web.Request) -> web.Response:
    """/cookies/set?k=v[&k2=v2]: Set-Cookie each (Path=/), then 302 to /cookies."""
    resp = _to_cookies()
    for k, v in request.query.items():
        resp.set_cookie(k, v, path="/")
    return resp


async def cookies_set_one(request: web.Request) -> web.Response:
    """/cookies/set/{name}/{value}."""
    resp = _to_cookies()
    resp.set_cookie(request.match_info["name"], request.match_info["value"], path="/")
    return resp


async def cookies_delete(request: web.Request) -> web.Response:
    """/cookies/delete?k: expires each named cookie, then 302 to /cookies."""
    resp = _to_cookies()
    for k in request.query:
        resp.del_cookie(k, path="/")
    return resp


def _hops(request: web.Request) -> int | None:
    n = _int_param(request, "n")
    return n if n is not None and 1 <= n <= MAX_REDIRECTS else None


def _chain(request: web.Request, prefix: str, absolute: bool) -> web.Response:
    """One hop of an n-hop redirect chain: 302 to ``{prefix}/{n-1}``, to /get at the end;
    ``absolute``: the Location has scheme and host."""
    n = _hops(request)
    if n is None:
        return _bad(f"redirect count must be 1..{MAX_REDIRECTS}")
    path = "/get" if n == 1 else f"{prefix}/{n - 1}"
    if absolute:
        path = f"{request.scheme}://{request.host}{path}"
    return web.Response(status=302, headers={"Location": path})


async def redirect(request: web.Request) -> web.Response:
    """/redirect/{n}: 302 to /redirect/{n-1} ... /get (absolute URLs with ?absolute=true)."""
    absolute = request.query.get("absolute", "").lower() == "true"
    resp = _chain(request, "/redirect", absolute)
    if absolute and resp.status == 302 and _hops(request) != 1:
        resp.headers["Location"] += "?absolute=true"  # the next hop stays absolute
    return resp


async def relative_redirect(request: web.Request) -> web.Response:
    """/relative-redirect/{n}: relative Location headers, ending at /get."""
    return _chain(request, "/relative-redirect", False)


async def absolute_redirect(request: web.Request) -> web.Response:
    """/absolute-redirect/{n}: absolute Location headers, ending at /get."""
    return _chain(request, "/absolute-redirect", True)


async def redirect_to(request: web.Request) -> web.Response:
    """/redirect-to?url=U&status_code=C (C in 300..308, default 302)."""
    url = request.query.get("url")
    if not url:
        return _bad("missing url parameter")
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        return _bad("url contains control characters")
    try:
        code = int(request.query.get("status_code", "302"))
    except ValueError:
        return _bad("invalid status_code")
    if not 300 <= code <= 308:
        return _bad("status_code must be a redirect (300..308)")
    return web.Response(status=code, headers={"Location": url})


def _size(request: web.Request) -> int | None:
    n = _int_param(request, "n")
    return n if n is not None and 0 <= n <= MAX_BYTES else None


def _seed(request: web.Request) -> int | None:
    try:
        seed = int(request.query.get("seed", "0"))
    except ValueError:
        return None
    return seed if seed >= 0 else None


@functools.lru_cache(maxsize=32)
def _first_block(seed: int) -> bytes:
    """Block 0 of a seed's byte sequence, cached: small /bytes answers cost no generation."""
    import numpy as np  # only the byte endpoints need it

    return np.random.default_rng(seed).bytes(BLOCK)


def _random_blocks(seed: int, n: int) -> Iterator[bytes]:
    """The first ``n`` bytes of the seed's sequence, in BLOCK-sized pieces (a numpy PCG64
    stream: ~1 GB/s, so a 100 MB body costs ~0.1 s of CPU and never sits in memory)."""
    first = _first_block(seed)
    if n <= BLOCK:
        yield first[:n]
        return
    yield first
    import numpy as np

    rng = np.random.default_rng(seed)
    rng.bytes(BLOCK)  # block 0, already sent
    left = n - BLOCK
    while left > 0:
        block = rng.bytes(BLOCK)
        yield block if left >= BLOCK else block[:left]
        left -= BLOCK


async def _stream_random(
    request: web.Request, n: int, seed: int, chunk: int | None
) -> web.StreamResponse:
    """Content-Length when ``chunk`` is None, else chunked writes of ``chunk`` bytes."""
    resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    if chunk is None:
        resp.content_length = n
    else:
        resp.enable_chunked_encoding()
    try:
        await resp.prepare(request)
        for block in _random_blocks(seed, n):
            if chunk is None or chunk >= len(block):
                await resp.write(block)
                continue
            view = memoryview(block)
            for off in range(0, len(block), chunk):
                await resp.write(view[off : off + chunk])
        await resp.write_eof()
    except _GONE:
        pass
    return resp


def _size_and_seed(request: web.Request) -> tuple[int, int] | web.Response:
    """``{n}`` and ``?seed=`` of the random-bytes endpoints, or the 400 that says which
    is wrong."""
    n, seed = _size(request), _seed(request)
    if n is None:
        return _bad(f"byte count must be 0..{MAX_BYTES}")
    if seed is None:
        return _bad("seed must be a non-negative integer")
    return n, seed


async def bytes_(request: web.Request) -> web.StreamResponse:
    """/bytes/{n}: n seeded random bytes (?seed=, default 0), Content-Length, streamed."""
    got = _size_and_seed(request)
    if isinstance(got, web.Response):
        return got
    n, seed = got
    if n <= BLOCK:
        return web.Response(body=_first_block(seed)[:n], content_type="application/octet-stream")
    return await _stream_random(request, n, seed, None)


async def stream_bytes(request: web.Request) -> web.StreamResponse:
    """/stream-bytes/{n}: the same bytes as /bytes, chunked (?chunk_size=, default 10240)."""
    got = _size_and_seed(request)
    if isinstance(got, web.Response):
        return got
    n, seed = got
    try:
        chunk = int(request.query.get("chunk_size", "10240"))
    except ValueError:
        chunk = 10240
    return await _stream_random(request, n, seed, max(1, min(chunk, BLOCK)))


def _encoded_doc(request: web.Request, flag: str) -> bytes:
    return orjson.dumps({
        flag: True,
        "headers": echo_headers(request, request_id(request)),
        "method": request.method,
        "origin": request.remote or "",
    })


def _encoded(body: bytes, encoding: str) -> web.Response:
    return web.Response(
        body=body,
        headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
    )


async def gzip_(request: web.Request) -> web.Response:
    return _encoded(gzip.compress(_encoded_doc(request, "gzipped"), 6), "gzip")


async def deflate(request: web.Request) -> web.Response:
    """zlib-wrapped deflate (RFC 9110's "deflate"), as httpbin sends it."""
    return _encoded(zlib.compress(_encoded_doc(request, "deflated"), 6), "deflate")


async def brotli_(request: web.Request) -> web.Response:
    return _encoded(brotli.compress(_encoded_doc(request, "brotli")), "br")


async def chunked(request: web.Request) -> web.StreamResponse:
    """A JSON document sent as several chunks (Transfer-Encoding: chunked)."""
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    try:
        await resp.prepare(request)
        await resp.write(b'{"chunked": true, "items": [')
        for i in range(10):
            item = orjson.dumps({"index": i, "text": f"chunk {i}"})
            await resp.write(item if i == 0 else b"," + item)
        await resp.write(b"]}")
        await resp.write_eof()
    except _GONE:
        pass
    return resp


async def json_(request: web.Request) -> web.Response:
    return json_response(data.SLIDESHOW)


async def html(request: web.Request) -> web.Response:
    return web.Response(body=data.HTML, content_type="text/html", charset="utf-8")


async def uuid_(request: web.Request) -> web.Response:
    return json_response({"uuid": str(uuid.uuid4())})


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(encoded.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    login, sep, password = text.partition(":")
    return (login, password) if sep else None


async def basic_auth(request: web.Request) -> web.Response:
    """/basic-auth/{user}/{passwd}: 401 unless the Basic credentials match."""
    user, passwd = request.match_info["user"], request.match_info["passwd"]
    if _basic_credentials(request.headers.get("Authorization", "")) != (user, passwd):
        return json_response(
            _AUTH_FAIL, status=401, headers={"WWW-Authenticate": 'Basic realm="Fake Realm"'}
        )
    return json_response({"authenticated": True, "user": user})


async def bearer(request: web.Request) -> web.Response:
    """/bearer: 401 unless ``Authorization: Bearer <something>``."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return json_response(_AUTH_FAIL, status=401, headers={"WWW-Authenticate": "Bearer"})
    return json_response({"authenticated": True, "token": token})


async def index(request: web.Request) -> web.Response:
    """A short list of routes, so a person opening the target in a browser sees something."""
    routes = sorted(
        {r.resource.canonical for r in request.app.router.routes() if r.resource is not None}
    )
    return json_response({"service": "httptool target", "routes": routes,
                          "args": multi_to_dict(request.query)})


async def reset_conn(request: web.Request) -> web.StreamResponse:
    """Closes the connection without a byte of answer: a server dropping a request it
    read (a crash, a proxy timing out), for trying how a client counts it. ``/__counts``
    counts the request, under status 499 (nothing was sent)."""
    if request.transport is not None:
        request.transport.close()
    raise _Dropped


class _Dropped(web.HTTPException):
    """Ends a handler whose connection is already closed (nothing is sent)."""

    status_code = 499


def add_routes(router: web.UrlDispatcher) -> None:
    any_ = "*"
    table: list[tuple[str, Any]] = [
        ("/", index),
        ("/get", get),
        ("/post", with_body),
        ("/put", with_body),
        ("/patch", with_body),
        ("/delete", with_body),
        ("/anything", with_body),
        ("/anything/{tail:.*}", with_body),
        ("/status/{codes}", status),
        ("/delay/{ms}", delay),
        ("/headers", headers),
        ("/ip", ip),
        ("/user-agent", user_agent),
        ("/cookies", cookies),
        ("/cookies/set", cookies_set),
        ("/cookies/set/{name}/{value}", cookies_set_one),
        ("/cookies/delete", cookies_delete),
        ("/redirect/{n}", redirect),
        ("/relative-redirect/{n}", relative_redirect),
        ("/absolute-redirect/{n}", absolute_redirect),
        ("/redirect-to", redirect_to),
        ("/bytes/{n}", bytes_),
        ("/stream-bytes/{n}", stream_bytes),
        ("/gzip", gzip_),
        ("/deflate", deflate),
        ("/brotli", brotli_),
        ("/chunked", chunked),
        ("/json", json_),
        ("/html", html),
        ("/uuid", uuid_),
        ("/basic-auth/{user}/{passwd}", basic_auth),
        ("/bearer", bearer),
        ("/reset-conn", reset_conn),
    ]
    for path, handler in table:
        router.add_route(any_, path, handler)
