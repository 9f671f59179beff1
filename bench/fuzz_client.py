"""Client fuzzing: mutated HTTP responses against ``ConnectionPool.send``.

Not a test (tests/engine/test_client_fuzz.py is the small CI version and imports the
harness from here). Run:

    .venv/bin/python bench/fuzz_client.py [--cases 100000] [--real 2000] [--seed 0]

Valid response streams (Content-Length, chunked with and without trailers, gzip/deflate/br
bodies, ``100 Continue``, HEAD, 204/304, close-delimited, redirects, Set-Cookie, keep-alive
sequences of several responses) are mutated — byte ranges deleted, random bytes and HTTP
tokens inserted, ranges duplicated, bits flipped, the tail cut — and split at random chunk
boundaries. Each case sends the base's requests through one pool, then one more request
that must succeed (the pool stays usable). Two transports:

* fake (``--cases``): :class:`FakeTransport` feeds the chunks straight into
  ``HttpConnection`` (one chunk per loop turn, EOF after the last one while a request
  waits), so the parser, the pool, retries, redirects, cookies and decoding all run with
  no socket; ~10k cases/s.
* real (``--real``): a loopback asyncio server writes the chunks of a case on the first
  connection it accepts after the case starts (draining between chunks), then closes.

Every response must end as a ``Response`` with a status (no error) or an error kind and a
reason; nothing may raise out of ``send()`` or be reported to the loop's exception
handler; no case may hit the total timeout on the fake transport (the server always
closes, so a timeout there is a hang); no connection may stay in the watchdog's busy set.
Exit status 1 and the first failing inputs printed when any case breaks a rule.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import random
import sys
import time
import zlib
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from httptool.engine.client import ClientContext, ConnectionPool
from httptool.engine.cookies import CookieJar
from httptool.engine.errors import ErrorKind
from httptool.engine.http import HttpConnection, Response
from httptool.engine.request import PreparedRequest, build_request
from httptool.plan import CurlOptions

#: Outcomes of the fuzzed requests: "ok" or the error kind (what the run exercised).
OUTCOMES: Counter[str] = Counter()

VALID = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
_TEXT = b"hello fuzz world " * 8


def _cl(body: bytes, extra: bytes = b"", status: bytes = b"200 OK") -> bytes:
    return b"HTTP/1.1 %s\r\n%sContent-Length: %d\r\n\r\n%s" % (status, extra, len(body), body)


def _chunked(body: bytes, extra: bytes = b"", trailers: bytes = b"") -> bytes:
    parts = [body[i:i + 37] for i in range(0, len(body), 37)]
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)
    return (b"HTTP/1.1 200 OK\r\n%sTransfer-Encoding: chunked\r\n\r\n%s0\r\n%s\r\n"
            % (extra, chunks, trailers))


@dataclass(frozen=True)
class Base:
    """A valid response stream and how to request it."""

    name: str
    stream: bytes
    requests: int = 1
    method: str = "GET"
    compressed: bool = False
    follow: bool = False
    jar: bool = False


BASES: tuple[Base, ...] = (
    Base("content-length", _cl(_TEXT, b"Content-Type: text/plain\r\n")),
    Base("chunked", _chunked(_TEXT)),
    Base("chunked-trailers", _chunked(_TEXT, trailers=b"X-Trailer: yes\r\n")),
    Base("gzip", _cl(gzip.compress(_TEXT), b"Content-Encoding: gzip\r\n"), compressed=True),
    Base("gzip-chunked", _chunked(gzip.compress(_TEXT), b"Content-Encoding: gzip\r\n"),
         compressed=True),
    Base("deflate", _cl(zlib.compress(_TEXT), b"Content-Encoding: deflate\r\n"),
         compressed=True),
    Base("br", _cl(brotli.compress(_TEXT), b"Content-Encoding: br\r\n"), compressed=True),
    Base("continue", b"HTTP/1.1 100 Continue\r\n\r\n" + _cl(b"after continue"),
         method="POST"),
    Base("head", b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", method="HEAD",
         requests=2),
    Base("no-content", b"HTTP/1.1 204 No Content\r\n\r\n" + b"HTTP/1.1 304 Not Modified\r\n"
         b"ETag: x\r\n\r\n" + VALID, requests=3),
    Base("close-delimited", b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + _TEXT),
    Base("redirect", _cl(b"", b"Location: /next?a=1\r\n", b"302 Found") + _cl(b"landed"),
         follow=True),
    Base("cookies", _cl(b"c", b"Set-Cookie: a=1; Path=/; Max-Age=60\r\n"
                        b"Set-Cookie: b=2; Domain=fuzz.test; Expires=Wed, 21 Oct 2037 "
                        b"07:28:00 GMT\r\n"), requests=2, jar=True),
    Base("keep-alive", _cl(b"one") + _chunked(_TEXT) + _cl(b"three", b"Connection: keep-alive\r\n")
         + _cl(gzip.compress(b"four"), b"Content-Encoding: gzip\r\n"),
         requests=4, compressed=True),
    Base("connection-close", _cl(b"bye", b"Connection: close\r\n") + VALID, requests=2),
)

#: Inserted by the ``token`` mutation: the bytes a parser's decisions hinge on.
TOKENS = (
    b"\r\n", b"\r\n\r\n", b"\n", b"\r", b":", b" ", b"\t", b"0", b"9", b"f", b"ffffffff",
    b"-1", b"1", b";ext=1", b"chunked", b"gzip", b"identity", b"Content-Length: ",
    b"Content-Length: 5\r\n", b"Transfer-Encoding: chunked\r\n", b"Connection: close\r\n",
    b"Content-Encoding: gzip\r\n", b"HTTP/1.1 ", b"HTTP/1.0 200 OK\r\n", b"HTTP/1.1 100 x\r\n\r\n",
    b"\x00", b"\xff", b"\x80", b"0\r\n\r\n", b"Location: //x\r\n", b"Set-Cookie: =;;\r\n",
)


def mutate(rng: random.Random, data: bytes, n: int) -> bytes:
    """``data`` with ``n`` random edits (delete, insert, token, duplicate, flip, cut)."""
    b = bytearray(data)
    for _ in range(n):
        op = rng.randrange(11)
        i = rng.randrange(len(b) + 1)
        if op <= 1 and b:
            del b[i:i + rng.randint(1, 8)]
        elif op <= 3:
            b[i:i] = rng.randbytes(rng.randint(1, 4))
        elif op <= 6:
            b[i:i] = rng.choice(TOKENS)
        elif op == 7 and b:
            j = min(len(b), i + rng.randint(1, 24))
            b[j:j] = b[i:j]
        elif op <= 9 and b:
            k = min(i, len(b) - 1)
            b[k] ^= 1 << rng.randrange(8)
        elif op == 10:
            del b[i:]
    return bytes(b)


def split(rng: random.Random, data: bytes) -> list[bytes]:
    """``data`` cut at random boundaries: whole, a few cuts, or byte by byte."""
    mode = rng.randrange(8)
    if mode == 0 or not data:
        return [data] if data else []
    if mode == 1:
        return [data[i:i + 1] for i in range(len(data))]
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 8)))) \
        if len(data) > 1 else []
    edges = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@dataclass(frozen=True)
class Case:
    base: Base
    chunks: tuple[bytes, ...]
    eager: bool  # keep writing when no request waits (pipelined stream), else pause

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


def make_case(rng: random.Random) -> Case:
    base = rng.choice(BASES)
    n = 0 if rng.random() < 0.03 else rng.choice((1, 1, 1, 2, 2, 3, 4, 6, 12))
    return Case(base, tuple(split(rng, mutate(rng, base.stream, n))), rng.random() < 0.3)


# ------------------------------------------------------------------ fake transport


class FakeTransport(asyncio.Transport):
    """A server behind no socket: one chunk per loop turn while a request waits (or always
    when ``eager``), EOF when the chunks run out while a request waits."""

    def __init__(self, loop: asyncio.AbstractEventLoop, proto: HttpConnection,
                 chunks: list[bytes], eager: bool) -> None:
        super().__init__()
        self.loop, self.proto, self.eager = loop, proto, eager
        self.chunks = deque(chunks)
        self.closed = False
        self._feeding = False
        self._lost_sent = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self.closed and not self._feeding:
            self._feeding = True
            self.loop.call_soon(self._feed)

    def _feed(self) -> None:
        self._feeding = False
        if self.closed:
            return
        waiting = self.proto.resp is not None
        if self.chunks and (waiting or self.eager):
            self.proto.data_received(self.chunks.popleft())
            if not self.closed:
                self._feeding = True
                self.loop.call_soon(self._feed)
        elif waiting:  # nothing left to say: the server closes
            self.closed = True
            self.proto.eof_received()
            self._lose()

    def _lose(self) -> None:
        if not self._lost_sent:
            self._lost_sent = True
            self.loop.call_soon(self.proto.connection_lost, None)

    def close(self) -> None:
        self.closed = True
        self._lose()

    def abort(self) -> None:
        self.close()

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


class FakePool(ConnectionPool):
    """A pool whose first connection serves ``chunks``; later ones serve valid answers."""

    def __init__(self, context: ClientContext, chunks: list[bytes], eager: bool,
                 jar: Any = None) -> None:
        super().__init__(context, jar)
        self._script: list[list[bytes]] = [chunks]
        self._eager = eager
        self.transports: list[FakeTransport] = []

    async def _connect(self, req: PreparedRequest, resp: Response,
                       deadline: int) -> HttpConnection:
        loop = asyncio.get_running_loop()
        conn = self._new_connection(req.origin)
        chunks, eager = (self._script.pop(), self._eager) if self._script else ([VALID] * 4,
                                                                                False)
        t = FakeTransport(loop, conn, chunks, eager)
        self.transports.append(t)
        conn.connection_made(t)
        resp.new_connection = True
        self._all.add(conn)
        self.connections_opened += 1
        return conn


# ------------------------------------------------------------------ the rules


def check_response(r: object, fake: bool) -> str | None:
    """What is wrong with one outcome (None: nothing)."""
    if not isinstance(r, Response):
        return f"send() returned {type(r).__name__}"
    if r.error is None:
        if not 100 <= r.status <= 999:
            return f"no error but status {r.status}"
    elif not isinstance(r.error, ErrorKind) or not r.reason:
        return f"error {r.error!r} without a kind or reason"
    elif fake and r.error == ErrorKind.TIMEOUT:
        return f"hang: the total timeout fired ({r.reason})"
    if r.body_size > r.bytes_received:
        return f"body_size {r.body_size} > bytes_received {r.bytes_received}"
    return None


def request_for(base: Base, url: str, max_time: float) -> PreparedRequest:
    opts = CurlOptions(max_time=max_time, compressed=base.compressed,
                       follow_redirects=base.follow, max_redirs=3)
    body = b"x=1" if base.method == "POST" else b""
    return build_request(base.method, url, body=body, options=opts)


async def _drive(pool: ConnectionPool, base: Base, req: PreparedRequest, fake: bool,
                 bound: float) -> list[str]:
    problems: list[str] = []
    for i in range(base.requests):
        try:
            r = await asyncio.wait_for(pool.send(req, keep_body=i % 2 == 0), bound)
        except TimeoutError:
            return [f"request {i + 1}: no answer within {bound}s"]
        except Exception as e:  # the point of the fuzzer
            return [f"request {i + 1}: send() raised {type(e).__name__}: {e}"]
        OUTCOMES[str(r.error or "ok")] += 1
        p = check_response(r, fake)
        if p:
            problems.append(f"request {i + 1}: {p}")
    return problems


async def run_fake(case: Case, ctx: ClientContext, errors: list[str]) -> list[str]:
    """One case on the fake transport; ``errors`` collects loop exception-handler calls."""
    base = case.base
    pool = FakePool(ctx, list(case.chunks), case.eager, CookieJar() if base.jar else None)
    req = request_for(base, "http://fuzz.test/a", 2.0)
    problems = await _drive(pool, base, req, True, 5.0)
    # the case's server has had its say; from now on it answers correctly, on the same
    # connection if the client reuses it: the pool must answer a valid request
    for t in pool.transports:
        t.chunks = deque([VALID])
        t.eager = False
    try:
        r = await asyncio.wait_for(pool.send(build_request("GET", "http://fuzz.test/ok"),
                                             keep_body=True), 5.0)
        if r.error is not None or r.status != 200 or r.body != b"ok":
            problems.append(f"pool unusable afterwards: {r!r}")
    except Exception as e:
        problems.append(f"pool unusable afterwards: {type(e).__name__}: {e}")
    await asyncio.sleep(0)  # let pending connection_lost calls run
    await asyncio.sleep(0)
    if any(c.lost for conns in pool._idle.values() for c in conns):
        problems.append("a lost connection is idle in the pool")
    pool.close()
    await asyncio.sleep(0)
    if ctx.busy:
        problems.append(f"{len(ctx.busy)} connection(s) left in the busy set")
        ctx.busy.clear()
    problems += errors
    errors.clear()
    return problems


# ------------------------------------------------------------------ real sockets


class CaseServer:
    """Loopback server: the first connection accepted after :meth:`arm` gets the case's
    chunks (after the first request head; drained one by one), then is closed; every
    other connection answers ``VALID`` per request, keep-alive."""

    def __init__(self) -> None:
        self._chunks: list[bytes] | None = None
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> CaseServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    def arm(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def _handle(self, reader: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        chunks, self._chunks = self._chunks, None
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if b"content-length: 3" in head.lower():
                    await reader.readexactly(3)
                if chunks is None:
                    w.write(VALID)
                    await w.drain()
                    continue
                for c in chunks:
                    w.write(c)
                    await w.drain()
                return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            return
        finally:
            w.close()


async def run_real(case: Case, srv: CaseServer, pool: ConnectionPool,
                   errors: list[str]) -> list[str]:
    """One case over loopback, on a long-lived pool (it must keep working)."""
    base = case.base
    pool.close()  # the case must reach the armed server on a new connection
    pool.jar = CookieJar() if base.jar else None
    srv.arm(list(case.chunks))
    url = f"http://127.0.0.1:{srv.port}"
    req = request_for(base, url + "/a", 2.0)
    problems = await _drive(pool, base, req, False, 5.0)
    try:
        r = await asyncio.wait_for(pool.send(build_request("GET", url + "/ok")), 5.0)
        if r.error is not None or r.status != 200:
            problems.append(f"pool unusable afterwards: {r!r}")
    except Exception as e:
        problems.append(f"pool unusable afterwards: {type(e).__name__}: {e}")
    problems += errors
    errors.clear()
    return problems


# ------------------------------------------------------------------ the run


@dataclass
class Report:
    cases: int = 0
    real: int = 0
    failures: list[tuple[Case, list[str]]] | None = None
    kinds: dict[str, int] | None = None
    seconds: float = 0.0


def _recorder(errors: list[str]) -> Any:
    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        errors.append(f"loop exception handler: {context.get('message')} {exc!r}")
    return handler


async def fuzz(cases: int, real: int, seed: int, stop_after: int = 5) -> Report:
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    errors: list[str] = []
    loop.set_exception_handler(_recorder(errors))
    rep = Report(failures=[], kinds={})
    assert rep.failures is not None and rep.kinds is not None
    t0 = time.perf_counter()
    ctx = ClientContext()
    for _ in range(cases):
        case = make_case(rng)
        problems = await run_fake(case, ctx, errors)
        rep.cases += 1
        if problems:
            rep.failures.append((case, problems))
            if len(rep.failures) >= stop_after:
                break
    srv = await CaseServer().start()
    pool = ConnectionPool(ClientContext())
    try:
        for _ in range(real):
            case = make_case(rng)
            problems = await run_real(case, srv, pool, errors)
            rep.real += 1
            if problems:
                rep.failures.append((case, problems))
                if len(rep.failures) >= stop_after:
                    break
    finally:
        pool.close()
        await srv.stop()
    rep.seconds = time.perf_counter() - t0
    return rep


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=100_000, help="fake-transport cases")
    ap.add_argument("--real", type=int, default=2_000, help="cases over loopback sockets")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    from httptool.engine.loop import run

    rep = run(fuzz(a.cases, a.real, a.seed))
    assert rep.failures is not None
    print(f"fuzz_client: seed {a.seed}: {rep.cases:,} fake-transport + {rep.real:,} "
          f"real-socket cases in {rep.seconds:.1f} s, {len(rep.failures)} failing")
    total = sum(OUTCOMES.values())
    print(f"{total:,} fuzzed responses: " + ", ".join(
        f"{k} {v / total:.1%}" for k, v in OUTCOMES.most_common()))
    for case, problems in rep.failures:
        print(f"- base {case.base.name}, eager={case.eager}, chunks={list(case.chunks)!r}")
        for p in problems:
            print(f"    {p}")
    return 1 if rep.failures else 0


if __name__ == "__main__":
    sys.exit(main())
