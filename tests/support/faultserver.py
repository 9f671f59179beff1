"""A raw asyncio HTTP/1.1 server that misbehaves on request, for client and end-to-end tests.

The path of each request picks the behaviour, so one server serves every fault:

=========================  ================================================================
``/ok``                    200, ``ok``, keep-alive (any unknown path too)
``/echo``                  200, JSON: method, path (with query), request headers, body
``/chunked``               200, chunked body ``hello world`` in two chunks
``/close-delimited``       200 without length, body ends when the server closes
``/big?bytes=N``           200 with an N-byte body written in 64 KiB pieces
``/slow-headers?ms=N``     waits N ms before answering
``/close-no-response``     closes the connection without a byte
``/reset-mid-body``        headers (Content-Length 100000) and 1000 body bytes, then a RST
``/truncated-chunked``     one chunk, then closes before the last chunk
``/bad-chunk``             a chunk size that is not hex
``/bad-status``            a status line that is not HTTP
``/huge-header``           a 100 KiB header
``/drop-reused``           answers the first request on a connection; on a connection that
                           already served one, closes without answering (the idle
                           keep-alive race: the server timed the connection out just as the
                           client reused it)
=========================  ================================================================

Every request received is counted per path in :attr:`FaultServer.counts` (also the ones it
then drops), and connections in :attr:`FaultServer.connections`, so tests can check what
the server really saw. Use ``async with FaultServer() as srv`` inside a loop, or
:meth:`FaultServer.start_in_thread` for subprocess tests.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections import Counter
from urllib.parse import parse_qs, urlsplit


class FaultServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.counts: Counter[str] = Counter()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def base(self) -> str:
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{h}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FaultServer:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
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
        served = 0
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
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
                keep = await self._respond(path, query, served, writer)
                served += 1
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            if not writer.is_closing():
                writer.close()

    async def _respond(
        self, path: str, q: dict[str, str], served: int, w: asyncio.StreamWriter
    ) -> bool:
        """Write the answer for ``path``; False ends the connection."""
        if path == "/close-no-response":
            return False
        if path == "/drop-reused" and served > 0:
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
