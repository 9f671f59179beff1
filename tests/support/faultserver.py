"""A raw asyncio HTTP/1.1 server that misbehaves on request, for client and end-to-end tests.

The path of each request picks the behaviour, so one server serves every fault:

=========================  ================================================================
``/ok``                    200, ``ok``, keep-alive (any unknown path too)
``/echo``                  200, JSON: method, path (with query), request headers, body
``/chunked``               200, chunked body ``hello world`` in two chunks
``/close-delimited``       200 without length, body ends when the server closes
``/big?bytes=N``           200 with an N-byte body written in 64 KiB pieces
``/slow-headers?ms=N``     waits N ms before answering
``/close-no-response``     closes the connection without a byte (also ``/reset-conn``)
``/reset-mid-body``        headers (Content-Length 100000) and 1000 body bytes, then a RST
``/truncated-chunked``     one chunk, then closes before the last chunk
``/bad-chunk``             a chunk size that is not hex
``/bad-status``            a status line that is not HTTP
``/huge-header``           a 100 KiB header
``/drop-reused``           answers the first request on a connection; on a connection that
                           already served one, closes without answering (the idle
                           keep-alive race: the server timed the connection out just as the
                           client reused it)
``/idle-close``            200 (keep-alive, no ``Connection: close``), then the server closes
                           the connection at once, before the client's next request
``/close-after-headers``   headers (Content-Length 100) and no body, then closes
``/conn-close``            200 ``ok`` with ``Connection: close``, then closes
``/http10``                an HTTP/1.0 200 ``ok`` without keep-alive, then closes
``/http10-keepalive``      an HTTP/1.0 200 ``ok`` with ``Connection: keep-alive``, kept open
``/status?code=N``         status N with a 2-byte body, keep-alive
``/flaky?every=K``         503 except for every K-th request to /flaky (K-th, 2K-th, ...)
``/trailing-garbage``      200 ``ok`` followed, in the same write, by bytes that are not HTTP;
                           keeps the connection open
``/trailing-response``     200 ``ok`` followed, in the same write, by the start of a second,
                           unasked-for response; keeps the connection open
=========================  ================================================================

Counting (what "the server saw"): every request head read is counted per path in
:attr:`FaultServer.counts` (also the ones it then drops); :attr:`FaultServer.dropped`
counts the heads it read and then dropped without a byte of answer (``/drop-reused`` on a
reused connection, ``/close-no-response``). A client that resends a request dropped on a
stale keep-alive connection thus shows up twice in ``counts`` and once in ``dropped``: the
requests *answered* are :attr:`FaultServer.answered` = total − dropped.
:attr:`FaultServer.connections` counts accepted connections.

``stop_after=N`` makes the server stop listening and close every connection after it has
answered N requests (a server going down mid-run: later connects are refused).
``idle_timeout=S`` closes a connection that waited S seconds for its next request (a
keep-alive timeout, as nginx's ``keepalive_timeout``). ``close_every=N`` answers the N-th
request of a connection with ``Connection: close`` and closes it (nginx's
``keepalive_requests``); with ``close_silently=True`` it closes without saying so.
``ssl_context`` serves TLS. Use ``async with FaultServer() as srv`` inside a loop, or
:meth:`FaultServer.start_in_thread` for subprocess tests.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import struct
import threading
from collections import Counter
from urllib.parse import parse_qs, urlsplit


class FaultServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 ssl_context: ssl.SSLContext | None = None,
                 stop_after: int | None = None, idle_timeout: float | None = None,
                 close_every: int | None = None, close_silently: bool = False) -> None:
        self.host = host
        self.idle_timeout = idle_timeout
        self.close_every = close_every
        self.close_silently = close_silently
        self.port = port
        self.ssl = ssl_context
        self.stop_after = stop_after
        self.counts: Counter[str] = Counter()
        self.dropped = 0
        self.connections = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._flaky = 0
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def base(self) -> str:
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.ssl else 'http'}://{h}:{self.port}"

    @property
    def total(self) -> int:
        """Request heads read, on every path."""
        return sum(self.counts.values())

    @property
    def answered(self) -> int:
        """Request heads read and not dropped unanswered."""
        return self.total - self.dropped

    def url(self, path: str) -> str:
        return self.base + path

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FaultServer:
        self._server = await asyncio.start_server(self._handle, self.host, self.port,
                                                  ssl=self.ssl)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.transport.abort()
            try:
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            except TimeoutError:
                pass

    async def __aenter__(self) -> FaultServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_in_thread(self) -> FaultServer:
        """Serve from a daemon thread (for tests that run the CLI as a subprocess)."""
        ready = threading.Event()

        def main() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=main, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop_thread(self) -> None:
        if self._loop is not None:
            loop = self._loop
            fut = asyncio.run_coroutine_threadsafe(self.stop(), loop)
            fut.result(5)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    # ------------------------------------------------------------------ serving
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        served = 0
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"),
                                                  self.idle_timeout if served else None)
                except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                _method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
                length = 0
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip()] = value.strip()
                    if name.strip().lower() == "content-length":
                        length = int(value.strip() or 0)
                body = await reader.readexactly(length) if length else b""
                parts = urlsplit(target)
                path = parts.path
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                self.counts[path] += 1
                if path == "/echo":
                    echo = json.dumps({"method": _method, "path": target, "headers": headers,
                                       "body": body.decode("utf-8", "replace")}).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(echo), echo))
                    served += 1
                    continue
                last = self.close_every is not None and served + 1 >= self.close_every
                if last and not self.close_silently:
                    path = "/conn-close"
                keep = await self._respond(path, query, served, writer) and not last
                served += 1
                if self.stop_after is not None and self.answered >= self.stop_after:
                    self._go_down(writer)
                    return
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            if not writer.is_closing():
                writer.close()

    def _go_down(self, current: asyncio.StreamWriter) -> None:
        """Stop listening and drop every other connection; ``current`` closes gracefully
        (its answer is flushed) when its handler returns."""
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):
            if w is not current:
                w.transport.abort()

    async def _respond(
        self, path: str, q: dict[str, str], served: int, w: asyncio.StreamWriter
    ) -> bool:
        """Write the answer for ``path``; False ends the connection."""
        if path in ("/close-no-response", "/reset-conn") or (path == "/drop-reused"
                                                             and served > 0):
            self.dropped += 1
            return False
        if path == "/slow-headers":
            await asyncio.sleep(int(q.get("ms", "1000")) / 1000)
        if path == "/chunked":
            w.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n")
        elif path == "/close-delimited":
            w.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
            await w.drain()
            return False
        elif path == "/big":
            n = int(q.get("bytes", "0"))
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
            piece = b"x" * 65536
            left = n
            while left > 0:
                w.write(piece[: min(left, 65536)])
                left -= 65536
                await w.drain()
        elif path == "/reset-mid-body":
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 1000)
            await w.drain()
            await asyncio.sleep(0.05)
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            w.transport.abort()
            return False
        elif path == "/truncated-chunked":
            w.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
            await w.drain()
            await asyncio.sleep(0.02)
            return False
        elif path == "/idle-close":
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await w.drain()
            return False
        elif path == "/close-after-headers":
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            await w.drain()
            return False
        elif path in ("/conn-close", "/http10"):
            v = b"1.1" if path == "/conn-close" else b"1.0"
            extra = b"Connection: close\r\n" if path == "/conn-close" else b""
            w.write(b"HTTP/%s 200 OK\r\n%sContent-Length: 2\r\n\r\nok" % (v, extra))
            await w.drain()
            return False
        elif path == "/http10-keepalive":
            w.write(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok")
        elif path == "/trailing-garbage":
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokgarbage!")
        elif path == "/trailing-response":
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")
        elif path in ("/status", "/flaky"):
            code = int(q.get("code", "503"))
            if path == "/flaky":
                self._flaky += 1
                code = 200 if self._flaky % int(q.get("every", "2")) == 0 else 503
            w.write(b"HTTP/1.1 %d X\r\nContent-Length: 2\r\n\r\nno" % code)
        elif path == "/bad-chunk":
            w.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n")
        elif path == "/bad-status":
            w.write(b"HTTZ/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok")
        elif path == "/huge-header":
            big = b"a" * 100_000
            w.write(b"HTTP/1.1 200 OK\r\nX-Big: " + big + b"\r\nContent-Length: 2\r\n\r\nok")
        else:
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
        await w.drain()
        return True
