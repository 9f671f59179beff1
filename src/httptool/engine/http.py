"""One HTTP/1.1 connection: an asyncio ``Protocol`` fed to an ``httptools`` parser.

The hot path is callback-driven: ``start`` writes pre-encoded bytes, ``data_received``
feeds the parser, and ``on_message_complete`` hands the finished :class:`Response` to the
waiting callback (a future's ``set_result`` or a benchmark's loop) and returns the
connection to its pool. No coroutine, dict or extra future is made per request here.
Errors become values on the response (``error`` + ``reason``), never exceptions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http import HTTPStatus
from time import perf_counter_ns
from typing import Any, Protocol

from httptools import HttpParserError, HttpParserUpgrade, HttpResponseParser

from httptool.engine.errors import ErrorKind

#: A response whose status line and headers exceed this is rejected as malformed.
MAX_HEADER_BYTES = 64 * 1024
#: How the head of a response that came over HTTP/2 starts (engine/h2wire.py builds it):
#: what :attr:`Response.protocol` and the VU's protocol count read
H2_HEAD = b"HTTP/2 "


class Response:
    """The outcome of one request (or of the last hop of a redirect chain).

    Times are ``perf_counter_ns`` stamps; use the ``*_ns`` properties for durations.
    ``body`` is None unless the caller asked to keep it; ``body_size`` always counts the
    body bytes received on the wire. Headers are kept as the raw bytes received
    (``raw_head``) and split into :attr:`headers` only when someone asks: most requests
    of a load test never look at them, and a parser callback per header would cost more
    than the rest of the response handling.
    """

    __slots__ = (
        "_headers", "body", "body_size", "bytes_received", "bytes_sent", "connect_ns", "copies",
        "end_ns", "error", "first_ns", "method", "new_connection", "raw_head", "reason",
        "redirects", "sent_ns", "start_ns", "status", "tls_ns", "url",
    )

    def __init__(self, method: str, url: str, start_ns: int) -> None:
        self.method = method
        self.url = url
        self.start_ns = start_ns
        self.sent_ns = start_ns
        self.first_ns = 0
        self.end_ns = 0
        self.status = 0
        self.raw_head = b""
        self._headers: list[tuple[bytes, bytes]] | None = None
        self.body: bytes | None = None
        self.body_size = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self.error: ErrorKind | None = None
        self.reason = ""
        self.connect_ns = 0
        self.tls_ns = 0
        self.new_connection = False
        self.redirects = 0
        #: earlier copies of this request that reached the wire, got no response byte and
        #: were sent again (a stale keep-alive connection; an HTTP/2 GOAWAY). None when
        #: there were none. Each is a request of its own in the metrics: the server may
        #: have received it. A response with copies always has ``new_connection`` set
        #: (the copy that answered was sent on a fresh connection), so a recorder that
        #: looks at ``copies`` only under ``new_connection`` misses none.
        self.copies: list[Response] | None = None

    # ---- durations (ns)
    @property
    def ttfb_ns(self) -> int:
        """Request written -> first response byte (0 if none arrived)."""
        return self.first_ns - self.sent_ns if self.first_ns else 0

    @property
    def total_ns(self) -> int:
        return self.end_ns - self.start_ns

    @property
    def setup_ns(self) -> int:
        """DNS, TCP, proxy tunnel and TLS of the connection this request opened (0 when
        it went out on a kept-alive one): the summary's ``connect``."""
        return self.connect_ns + self.tls_ns if self.new_connection else 0

    @property
    def latency_ms(self) -> float:
        """Start of the request to its end without :attr:`setup_ns`, in ms: what
        ``assert latency`` compares, the summary's closed-model latency and k6's
        ``http_req_duration``."""
        return (self.end_ns - self.start_ns - self.setup_ns) / 1e6

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def resent(self) -> bool:
        """True when an earlier copy of this request was sent and got no answer."""
        return self.copies is not None

    # ---- headers
    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """(name, value) pairs of the final response, in order, as received."""
        if self._headers is None:
            self._headers = parse_head(self.raw_head)[1]
        return self._headers

    @property
    def http_version(self) -> str:
        return parse_head(self.raw_head)[0] if self.raw_head else ""

    @property
    def protocol(self) -> str:
        """``h2`` or ``http/1.1`` (as ALPN names them); "" before a response arrived."""
        head = self.raw_head
        if not head:
            return ""
        return "h2" if head.startswith(H2_HEAD) else "http/1.1"

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), decoded as latin-1."""
        key = name.lower().encode("latin-1")
        for k, v in self.headers:
            if k.lower() == key:
                return v.decode("latin-1")
        return None

    def header_values(self, name: str) -> list[str]:
        key = name.lower().encode("latin-1")
        return [v.decode("latin-1") for k, v in self.headers if k.lower() == key]

    @property
    def reason_phrase(self) -> str:
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return ""

    @property
    def text(self) -> str:
        return (self.body or b"").decode("utf-8", "replace")

    def __repr__(self) -> str:
        if self.error:
            return f"<Response {self.method} {self.url} error={self.error} {self.reason!r}>"
        return f"<Response {self.method} {self.url} {self.status} {self.body_size}B>"


def parse_head(raw: bytes) -> tuple[str, list[tuple[bytes, bytes]]]:
    """HTTP version and headers of the last non-interim response head in ``raw`` (which
    the parser already validated; it may be followed by body bytes)."""
    pos, n = 0, len(raw)
    while True:
        end = raw.find(b"\r\n\r\n", pos)
        if end < 0:
            end = n
        lines = raw[pos:end].split(b"\r\n")
        status_line = lines[0]
        code = status_line[status_line.find(b" ") + 1:][:3]
        if code[:1] == b"1" and code != b"101" and end + 4 < n:
            pos = end + 4  # skip 100 Continue / 103 Early Hints
            continue
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
                k, v = headers[-1]
                headers[-1] = (k, v + b" " + line.strip())
                continue
            name, sep, value = line.partition(b":")
            if sep:
                headers.append((name.strip(), value.strip()))
        return status_line[5:].split(b" ", 1)[0].decode("latin-1"), headers


class Owner(Protocol):
    """What a connection reports to: its pool."""

    def _lost(self, conn: HttpConnection) -> None: ...


class _HeadDone(Exception):
    """Stops the parser after a HEAD response's headers (llhttp would wait for a body)."""


class _HeaderTooLarge(Exception):
    """Stops the parser when the header block passes :data:`MAX_HEADER_BYTES`."""


class _Unsolicited(Exception):
    """Stops the parser at a message that begins after the response was complete: bytes
    nobody asked for, in the same read as the response (the connection is out of step)."""


class _BadStatus(Exception):
    """Stops the parser at a status code below 100: llhttp accepts any three digits
    (``000``, ``004``), but no such status exists and a status of 0 means "no response"
    everywhere downstream."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _bad_status_reason(status: int) -> str:
    return f"malformed response: bad status line (status {status:03d})"


OnDone = Callable[[Response], Any]


class HttpConnection(asyncio.Protocol):
    """A keep-alive connection that runs one request at a time."""

    __slots__ = (
        "busy_set", "chunks", "deadline", "headers_done", "idle", "is_head", "lost",
        "on_done", "origin", "owner", "parser", "read_ns", "resp", "transport", "uses",
    )

    def __init__(
        self, owner: Owner, origin: tuple, busy_set: set[HttpConnection],
        idle: list[HttpConnection],
    ) -> None:
        self.owner = owner
        self.origin = origin
        self.busy_set = busy_set  # watched for the total timeout while a request runs
        #: the owner's idle list for this origin: a finished request appends the
        #: connection to it directly (a method call per request costs more)
        self.idle = idle
        self.read_ns = 0  # perf_counter_ns of the last read: the end of a response in it
        self.transport: asyncio.Transport | None = None
        self.parser = HttpResponseParser(self)
        self.resp: Response | None = None
        self.on_done: OnDone | None = None
        self.chunks: list[bytes] | None = None
        self.is_head = False
        self.headers_done = False
        self.lost = False
        self.deadline = 0  # perf_counter_ns; checked by the client's watchdog
        self.uses = 0

    # ------------------------------------------------------------------ requests
    def start(
        self, resp: Response, wire: bytes, on_done: OnDone, keep_body: bool, is_head: bool,
        sent_ns: int = 0,
    ) -> None:
        """Send ``wire``; ``on_done(resp)`` is called exactly once with the outcome.

        ``sent_ns`` is the caller's stamp when it took just before (a warm connection:
        the start of the request); 0 takes a new one."""
        self.resp = resp
        self.on_done = on_done
        self.chunks = [] if keep_body else None
        self.is_head = is_head
        self.headers_done = False
        self.uses += 1
        resp.bytes_sent = len(wire)
        self.busy_set.add(self)
        if self.lost:
            self.fail(ErrorKind.CLOSED, "connection closed before response")
            return
        resp.sent_ns = sent_ns or perf_counter_ns()
        self.transport.write(wire)  # type: ignore[union-attr]

    def fail(self, kind: ErrorKind, reason: str) -> None:
        """End the running request with an error; the connection is closed."""
        resp = self.resp
        self.lost = True
        if self.transport is not None:
            self.transport.abort()
        if resp is None:
            return
        resp.error = kind
        resp.reason = reason
        self._done(resp)

    def _done(self, resp: Response) -> None:
        self.resp = None
        self.busy_set.discard(self)
        if self.chunks is not None:
            resp.body = b"".join(self.chunks)
            self.chunks = None
        resp.end_ns = perf_counter_ns()
        on_done = self.on_done
        self.on_done = None
        if on_done is not None:
            on_done(resp)

    # ------------------------------------------------------------------ protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        resp = self.resp
        if resp is None:  # bytes nobody asked for: the connection is out of step
            self.lost = True
            if self.transport is not None:
                self.transport.abort()
            return
        # one stamp per read: the first read's is the first byte, the completing read's
        # is the end of the response (when its last byte arrived, not when we parsed it)
        self.read_ns = now = perf_counter_ns()
        if not self.headers_done:
            if resp.raw_head:
                resp.raw_head += data  # a head split over reads (rare)
            else:
                resp.raw_head = data
                resp.first_ns = now
        resp.bytes_received += len(data)
        try:
            self.parser.feed_data(data)
        except HttpParserUpgrade:
            self._complete(False)
        except HttpParserError as e:
            if isinstance(e.__context__, _HeadDone):
                self.parser = HttpResponseParser(self)  # the old one expects a body
                self._complete(self._head_keep_alive())
            elif self.resp is resp:
                ctx = e.__context__
                if isinstance(ctx, _BadStatus):
                    self.fail(ErrorKind.MALFORMED, _bad_status_reason(ctx.status))
                    return
                too_large = isinstance(ctx, _HeaderTooLarge)
                reason = "header too large (> 64 KiB)" if too_large else _parser_reason(e)
                self.fail(ErrorKind.MALFORMED, f"malformed response: {reason}")
            else:
                # the response completed earlier in this read and the bytes after it broke
                # the parser: the connection (already back in the pool) must not be reused
                # with a parser in an error state, which would fail the next request on it
                # although the server answers that one correctly
                self.fail(ErrorKind.MALFORMED,
                          "malformed response: unexpected bytes after the previous response")
            return
        if resp.bytes_received > MAX_HEADER_BYTES and not self.headers_done and self.resp is resp:
            self.fail(ErrorKind.MALFORMED, "malformed response: header too large (> 64 KiB)")

    def eof_received(self) -> bool | None:
        # the peer closed: never hand this connection out again, even if the loop runs
        # something before connection_lost (which reports a running request's outcome)
        self.lost = True
        if self.resp is None:
            self.owner._lost(self)
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.owner._lost(self)
        resp = self.resp
        if resp is None:
            return
        if self.headers_done and self._close_delimited(resp):
            self._complete(False)
            return
        where = "mid-response" if resp.bytes_received else "before response"
        if isinstance(exc, ConnectionResetError):
            self.fail(ErrorKind.RESET, f"connection reset by peer {where}")
        else:
            self.fail(ErrorKind.CLOSED, f"connection closed {where}")

    # ------------------------------------------------------------------ parser callbacks
    def on_message_begin(self) -> None:
        if self.resp is None:  # a second message in the read that completed the response
            raise _Unsolicited

    def on_headers_complete(self) -> None:
        self.headers_done = True
        raw = self.resp.raw_head  # type: ignore[union-attr]
        if len(raw) > MAX_HEADER_BYTES and not 0 <= raw.find(b"\r\n\r\n") < MAX_HEADER_BYTES:
            raise _HeaderTooLarge
        if self.is_head and self.parser.get_status_code() >= 200:
            self.resp.status = self.parser.get_status_code()  # type: ignore[union-attr]
            raise _HeadDone

    def on_body(self, body: bytes) -> None:
        self.resp.body_size += len(body)  # type: ignore[union-attr]
        chunks = self.chunks
        if chunks is not None:
            chunks.append(body)

    def on_message_complete(self) -> None:
        parser = self.parser
        status = parser.get_status_code()
        if status < 200 and status != 101:  # interim (100 Continue, 103): wait for the real one
            if status < 100:
                raise _BadStatus(status)
            self.headers_done = False
            return
        resp = self.resp
        if resp is None:
            return
        resp.status = status
        # _complete and _done, inlined: this runs once per request
        if parser.should_keep_alive() and not self.lost:
            self.idle.append(self)
        else:
            self.lost = True
            self.transport.close()  # type: ignore[union-attr]
        self.resp = None
        self.busy_set.discard(self)
        chunks = self.chunks
        if chunks is not None:
            resp.body = b"".join(chunks)
            self.chunks = None
        resp.end_ns = self.read_ns
        on_done = self.on_done
        self.on_done = None
        on_done(resp)  # type: ignore[misc]

    # ------------------------------------------------------------------ internals
    def _complete(self, keep_alive: bool) -> None:
        resp = self.resp
        if resp is None:
            return
        if not resp.status:
            resp.status = self.parser.get_status_code()
        if resp.status < 100:  # close-delimited or upgrade with a status llhttp let through
            status, resp.status = resp.status, 0
            self.fail(ErrorKind.MALFORMED, _bad_status_reason(status))
            return
        if keep_alive and not self.lost:
            self.idle.append(self)
        else:
            self.lost = True
            if self.transport is not None:
                self.transport.close()
        self._done(resp)

    def _head_keep_alive(self) -> bool:
        resp = self.resp
        if resp is None:
            return False
        conn = resp.header("connection")
        if conn is not None and "close" in conn.lower():
            return False
        keep = conn is not None and "keep-alive" in conn.lower()
        return resp.http_version != "1.0" or keep

    @staticmethod
    def _close_delimited(resp: Response) -> bool:
        """The body ends at EOF (no Content-Length, not chunked): EOF completes it."""
        for k, v in resp.headers:
            lk = k.lower()
            if lk == b"content-length" or (lk == b"transfer-encoding" and b"chunked" in v.lower()):
                return False
        return True


def _parser_reason(e: HttpParserError) -> str:
    text = str(e) or type(e).__name__
    if "chunk" in text.lower():
        return f"bad chunk ({text})"
    if "HTTP/" in text or "status" in text.lower() or "version" in text.lower():
        return f"bad status line ({text})"
    return text
