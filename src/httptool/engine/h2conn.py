"""One HTTP/2 connection: a lean client-side framer as an asyncio ``Protocol``.

Why not the ``h2`` package (issue 17 allowed leaving it if the benchmark said so): it
cost ~70 % of the client's CPU per request (bench/h2_vs_h2load.py, docs/benchmarks.md):
an event object per frame, a state machine per stream, per-header validation and an
HPACK encoder that indexes. A client sending GETs needs much less: frames are parsed and
built with ``struct`` (engine/h2frames.py), request header blocks are encoded once per
request shape (static table, no dynamic state), and responses are decoded by
engine/h2hpack.py (``hpack.Decoder`` was then half the CPU left; the Huffman code and
the static table are still the ``hpack`` library's).

Each request is a stream (:class:`H2Stream`). Streams beyond the server's
SETTINGS_MAX_CONCURRENT_STREAMS wait in a queue; request bodies are sent as the
connection and stream send windows allow; received data is credited back with
WINDOW_UPDATE once half a window is consumed. Outcomes are values on the
:class:`Response`, as for HTTP/1.1:

* RST_STREAM fails that request only (``reset``, with the error code);
  REFUSED_STREAM means the server did not process it (RFC 9113 §8.7), like GOAWAY.
* GOAWAY: streams up to ``last_stream_id`` finish; those above it, and queued ones,
  end ``unprocessed`` and the pool sends them again on a new connection (a copy that
  reached the wire is counted, as issue 16's resend accounting says).
* A frame the protocol forbids (malformed, a header block over 64 KiB) breaks the
  connection: every open stream fails ``malformed`` with the reason, and the server
  gets GOAWAY PROTOCOL_ERROR.
* PING is answered with its ACK; timeouts come from the client's watchdog, which
  sees streams as it sees HTTP/1.1 connections (``deadline``, ``resp``, ``fail``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from time import perf_counter_ns
from typing import Any, Protocol

from httptool.engine import h2frames as f
from httptool.engine.errors import ErrorKind
from httptool.engine.h2hpack import DecodeError, Decoder, TooLarge
from httptool.engine.h2wire import Headers, request_headers, response_head
from httptool.engine.http import MAX_HEADER_BYTES, Response
from httptool.engine.request import PreparedRequest

#: Our receive windows (per stream and for the connection): large enough that a 1 MiB
#: body is not paced by WINDOW_UPDATE round trips.
RECEIVE_WINDOW = 1 << 24
DEFAULT_WINDOW = 65_535
MAX_FRAME = 16_384  # what we accept (the protocol's default; we do not raise it)
MAX_WINDOW = (1 << 31) - 1
OnDone = Callable[[Response], Any]
#: error codes (RFC 9113 §7) by value, for reasons
CODES = ("NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
         "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
         "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY",
         "HTTP_1_1_REQUIRED")
NO_ERROR, PROTOCOL_ERROR, FLOW_CONTROL_ERROR, REFUSED_STREAM, CANCEL = 0, 1, 3, 7, 8
#: our SETTINGS (no push, 100 streams, big windows, 64 KiB header lists) and the
#: connection window raised to match, sent once after the preface
_HELLO = (f.PREFACE
          + f.settings({2: 0, 3: 100, 4: RECEIVE_WINDOW, 6: MAX_HEADER_BYTES})
          + f.window_update(0, RECEIVE_WINDOW - DEFAULT_WINDOW))
_SETTINGS_ACK = f.frame(f.SETTINGS, f.ACK, 0)
_HEAD = f.FRAME_HEAD


class _Broken(Exception):
    """A connection error (RFC 9113 §5.4.1): the reason after 'malformed response: '."""


class Owner(Protocol):
    def _lost(self, conn: Any) -> None: ...


class H2Stream:
    """One request on an HTTP/2 connection (watched by the client's timeout watchdog)."""

    __slots__ = ("body", "chunks", "conn", "deadline", "headers", "id", "is_head", "on_done",
                 "resp", "sent", "unacked", "unprocessed", "window")

    def __init__(self, resp: Response, headers: Headers, body: bytes, on_done: OnDone,
                 keep_body: bool, is_head: bool, deadline: int) -> None:
        self.resp: Response | None = resp
        self.headers = headers
        self.body = body  # what is left to send
        self.on_done: OnDone | None = on_done
        self.chunks: list[bytes] | None = [] if keep_body else None
        self.is_head = is_head
        self.deadline = deadline
        self.conn: H2Connection | None = None
        self.id = 0
        #: the server did not process it (GOAWAY above last_stream_id, REFUSED_STREAM, or
        #: still queued when the connection went): the pool may send it again
        self.unprocessed = False
        #: its HEADERS reached the wire (a copy the server may have received)
        self.sent = False
        self.window = DEFAULT_WINDOW  # what we may still send (set on open)
        self.unacked = 0  # received bytes not yet credited back with WINDOW_UPDATE

    def fail(self, kind: ErrorKind, reason: str) -> None:
        """End this request with an error (the watchdog's timeout, a cancel)."""
        if self.conn is not None:
            self.conn.end_stream(self, kind, reason, reset=True)


class H2Connection(asyncio.Protocol):
    """A multiplexed connection; the pool hands it streams with :meth:`submit`."""

    def __init__(self, owner: Owner, origin: tuple, busy_set: set[Any]) -> None:
        self.owner = owner
        self.origin = origin
        self.busy_set = busy_set
        self.transport: asyncio.Transport | None = None
        self.streams: dict[int, H2Stream] = {}
        self.queue: deque[H2Stream] = deque()
        self.blocked: list[H2Stream] = []  # bodies waiting for window
        self.lost = False
        self.goaway = False  # no new streams (GOAWAY received or sent)
        self.heard = False  # the server sent something: it speaks HTTP/2 or said otherwise
        #: the server's SETTINGS arrived: until then one stream is open, so a limit below
        #: the protocol's default (unlimited) is never exceeded before it is known
        self.settled = False
        self.uses = 0
        self.max_streams = 1 << 31
        self.next_id = 1
        self.send_window = DEFAULT_WINDOW  # connection-level, what we may send
        self.stream_window = DEFAULT_WINDOW  # the server's SETTINGS_INITIAL_WINDOW_SIZE
        self.max_frame = MAX_FRAME  # the server's SETTINGS_MAX_FRAME_SIZE
        self.unacked = 0  # connection-level bytes received, not credited back
        self.decoder = Decoder(MAX_HEADER_BYTES)
        self.buf = b""
        self.block: list[bytes] = []  # a header block continued by CONTINUATION
        self.block_id = 0
        self.block_flags = 0
        self.block_size = 0
        self.out: list[bytes] = []
        self.first_block = True
        self._last: tuple[Headers, bytes] | None = None  # the last request shape's block
        self._last_head: tuple[Headers, bytes] | None = None  # the last response head

    @property
    def usable(self) -> bool:
        return not self.lost and not self.goaway

    # ------------------------------------------------------------------ requests
    def request(self, resp: Response, req: PreparedRequest, cookie: str | None,
                on_done: OnDone, keep_body: bool, deadline: int) -> H2Stream:
        """``req`` as a new stream (started now or queued); its outcome goes to
        ``on_done``. ``cookie``: the Cookie value to add (the jar's and ``-b``'s)."""
        st = H2Stream(resp, request_headers(req, cookie), req.body, on_done, keep_body,
                      req.is_head, deadline)
        self.submit(st)
        return st

    def submit(self, st: H2Stream) -> None:
        """Start ``st`` now, or queue it behind the server's concurrency limit."""
        st.conn = self
        self.busy_set.add(st)
        if not self.usable:
            self._unprocessed(st, "connection closed before the request was sent")
            return
        if len(self.streams) >= self._limit():
            self.queue.append(st)
            return
        self._open(st)
        self._flush()

    def _open(self, st: H2Stream) -> None:
        sid = self.next_id
        self.next_id = sid + 2
        if self.next_id > MAX_WINDOW:  # stream ids are spent: the next request opens anew
            self.goaway = True
            self.owner._lost(self)
        st.id = sid
        st.window = self.stream_window
        self.streams[sid] = st
        self.uses += 1
        resp = st.resp
        assert resp is not None
        last = self._last
        if last is not None and last[0] is st.headers:
            block = last[1]
        else:
            block = f.encode(st.headers)
            self._last = (st.headers, block)
        if self.first_block:
            self.first_block = False
            block = f.TABLE_SIZE_ZERO + block
        data = f.headers_frames(sid, block, not st.body, self.max_frame)
        st.sent = True
        resp.sent_ns = perf_counter_ns()
        resp.bytes_sent += len(data)
        self.out.append(data)
        if st.body:
            self._send_body(st)

    def _send_body(self, st: H2Stream) -> None:
        """DATA as the windows allow; none before the server's SETTINGS, whose initial
        window may be below the default (a server's window must not be overrun)."""
        if not self.settled:
            self.blocked.append(st)
            return
        resp = st.resp
        while st.body:
            room = min(st.window, self.send_window, self.max_frame)
            if room <= 0:
                self.blocked.append(st)
                return
            piece, st.body = st.body[:room], st.body[room:]
            n = len(piece)
            st.window -= n
            self.send_window -= n
            data = f.frame(f.DATA, 0 if st.body else f.END_STREAM, st.id, piece)
            if resp is not None:
                resp.bytes_sent += len(data)
            self.out.append(data)

    def end_stream(self, st: H2Stream, kind: ErrorKind, reason: str, reset: bool) -> None:
        """Fail ``st``; ``reset`` also tells the server (RST_STREAM CANCEL)."""
        if st.id and self.streams.get(st.id) is st:
            del self.streams[st.id]
            if reset and not self.lost:
                self.out.append(f.rst_stream(st.id, CANCEL))
                self._flush()
        elif st in self.queue:
            self.queue.remove(st)
        self._finish(st, kind, reason)
        self._next()

    def close(self) -> None:
        """Close the connection; running streams fail ``closed``."""
        self._broken(ErrorKind.CLOSED, "pool closed", goaway=True)

    # ------------------------------------------------------------------ protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.out.append(_HELLO)
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = perf_counter_ns()
        if not self.heard:
            self.heard = True
            if data.startswith(b"HTTP/1."):  # not a frame: say what it is
                self._broken(ErrorKind.MALFORMED, "malformed response: the server answered in "
                             "HTTP/1.x: it does not speak HTTP/2 on this port (h2c needs "
                             "prior-knowledge support)", goaway=False)
                return
        buf = self.buf + data if self.buf else data
        pos, end = 0, len(buf)
        try:
            while end - pos >= 9:
                hi, lo, kind, flags, sid = _HEAD.unpack_from(buf, pos)
                n = hi << 16 | lo
                if n > MAX_FRAME:
                    raise _Broken(f"HTTP/2 frame too large ({n} bytes, the limit is "
                                  f"{MAX_FRAME})")
                if end - pos < 9 + n:
                    break
                payload = buf[pos + 9:pos + 9 + n]
                pos += 9 + n
                self._frame(kind, flags, sid & MAX_WINDOW, payload, now)
                if self.lost:
                    return
        except _Broken as e:
            self._broken(ErrorKind.MALFORMED, f"malformed response: {e}", goaway=True)
            return
        self.buf = buf[pos:] if pos < end else b""
        self._next()
        self._flush()

    def eof_received(self) -> bool | None:
        self.goaway = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.lost:
            return
        where = "connection reset by peer" if isinstance(exc, ConnectionResetError) \
            else "connection closed"
        kind = ErrorKind.RESET if isinstance(exc, ConnectionResetError) else ErrorKind.CLOSED
        if not self.heard:
            where += (" before any HTTP/2 frame from the server (does it speak HTTP/2 on "
                      "this port? h2c needs prior-knowledge support)")
        self._broken(kind, where, goaway=False)

    # ------------------------------------------------------------------ frames
    def _frame(self, kind: int, flags: int, sid: int, payload: bytes, now: int) -> None:
        if self.block and kind != f.CONTINUATION:
            raise _Broken("HTTP/2 protocol error (a header block was not continued)")
        if kind == f.DATA:
            self._data(flags, sid, payload)
        elif kind == f.HEADERS:
            if not sid:
                raise _Broken("HTTP/2 protocol error (HEADERS on stream 0)")
            payload = _unpad(flags, payload)
            if flags & f.PRIORITY_FLAG:
                payload = payload[5:]
            self.block_id, self.block_flags, self.block_size = sid, flags, len(payload)
            if flags & f.END_HEADERS:
                self._headers(sid, flags, payload, now)
            else:
                self.block = [payload]
        elif kind == f.CONTINUATION:
            if not self.block or sid != self.block_id:
                raise _Broken("HTTP/2 protocol error (CONTINUATION without HEADERS)")
            self.block.append(payload)
            self.block_size += len(payload)
            if self.block_size > MAX_HEADER_BYTES:
                raise _Broken("header block too large (> 64 KiB)")
            if flags & f.END_HEADERS:
                block, self.block = b"".join(self.block), []
                self._headers(sid, self.block_flags, block, now)
        elif kind == f.RST_STREAM:
            if len(payload) != 4 or not sid:
                raise _Broken("HTTP/2 protocol error (bad RST_STREAM frame)")
            self._reset(sid, f.u32(payload))
        elif kind == f.SETTINGS:
            if sid or len(payload) % 6:
                raise _Broken("HTTP/2 protocol error (bad SETTINGS frame)")
            if not flags & f.ACK:
                self._settings(payload)
        elif kind == f.WINDOW_UPDATE:
            self._window(sid, payload)
        elif kind == f.PING:
            if sid or len(payload) != 8:
                raise _Broken("HTTP/2 protocol error (bad PING frame)")
            if not flags & f.ACK:
                self.out.append(f.frame(f.PING, f.ACK, 0, payload))
        elif kind == f.GOAWAY:
            if sid or len(payload) < 8:
                raise _Broken("HTTP/2 protocol error (bad GOAWAY frame)")
            self._goaway(f.u32(payload) & MAX_WINDOW, f.u32(payload, 4))
        elif kind == f.PUSH_PROMISE:
            raise _Broken("HTTP/2 protocol error (PUSH_PROMISE, but push is disabled)")
        # PRIORITY and unknown frame types are ignored (RFC 9113 §5.5)

    def _data(self, flags: int, sid: int, payload: bytes) -> None:
        if not sid:
            raise _Broken("HTTP/2 protocol error (DATA frame on stream 0)")
        n = len(payload)
        if n:
            self.unacked += n
            if self.unacked >= RECEIVE_WINDOW // 2:
                self.out.append(f.window_update(0, self.unacked))
                self.unacked = 0
        st = self.streams.get(sid)
        if st is None or st.resp is None:
            return  # a stream we reset or ended: its data still counted for the connection
        resp = st.resp
        if not resp.status:
            self.end_stream(st, ErrorKind.MALFORMED, "malformed response: DATA before the "
                            "response head", reset=True)
            return
        resp.bytes_received += n + 9
        data = _unpad(flags, payload)
        resp.body_size += len(data)
        if st.chunks is not None and data:
            st.chunks.append(data)
        if flags & f.END_STREAM:
            del self.streams[sid]
            self._complete(st, perf_counter_ns())
        elif n:
            st.unacked += n
            if st.unacked >= RECEIVE_WINDOW // 2:
                self.out.append(f.window_update(sid, st.unacked))
                st.unacked = 0

    def _headers(self, sid: int, flags: int, block: bytes, now: int) -> None:
        if len(block) > MAX_HEADER_BYTES:
            raise _Broken("header block too large (> 64 KiB)")
        try:  # every block is decoded: the server's dynamic table must stay in step
            headers = self.decoder.decode(block)
        except TooLarge:
            raise _Broken("header block too large (> 64 KiB)") from None
        except DecodeError as e:
            raise _Broken(f"HTTP/2 protocol error (bad header block: {e})") from None
        st = self.streams.get(sid)
        if st is None or st.resp is None:
            return
        if not st.resp.status:
            status = _status(headers)
            if 100 <= status < 200 and not flags & f.END_STREAM:
                return  # informational: the final head follows
            self._head(st, status, headers, now)
            if self.streams.get(sid) is not st:
                return  # the head was refused
        if flags & f.END_STREAM:
            del self.streams[sid]
            self._complete(st, now)

    def _reset(self, sid: int, code: int) -> None:
        st = self.streams.pop(sid, None)
        if st is None:
            return
        if code == REFUSED_STREAM:
            self._unprocessed(st, "stream refused by the server (RST_STREAM "
                              "REFUSED_STREAM: not processed)")
        else:
            self._finish(st, ErrorKind.RESET,
                         f"stream reset by the server (RST_STREAM {_code_name(code)})")

    def _settings(self, payload: bytes) -> None:
        for key, value in f.parse_settings(payload):
            if key == 3:
                self.max_streams = value
            elif key == 4:
                if value > MAX_WINDOW:
                    raise _Broken("HTTP/2 protocol error (SETTINGS_INITIAL_WINDOW_SIZE "
                                  "too large)")
                delta, self.stream_window = value - self.stream_window, value
                for st in self.streams.values():
                    st.window += delta
            elif key == 5:
                if not MAX_FRAME <= value <= 16_777_215:
                    raise _Broken("HTTP/2 protocol error (bad SETTINGS_MAX_FRAME_SIZE)")
                self.max_frame = value
        self.out.append(_SETTINGS_ACK)
        self.settled = True
        self._resume()

    def _window(self, sid: int, payload: bytes) -> None:
        if len(payload) != 4:
            raise _Broken("HTTP/2 protocol error (bad WINDOW_UPDATE frame)")
        inc = f.u32(payload) & MAX_WINDOW
        if not inc:
            raise _Broken("HTTP/2 protocol error (WINDOW_UPDATE of 0)")
        if not sid:
            self.send_window += inc
            if self.send_window > MAX_WINDOW:
                raise _Broken("HTTP/2 protocol error (flow-control window over 2^31-1)")
        else:
            st = self.streams.get(sid)
            if st is None:
                return
            st.window += inc
        if self.blocked:
            self._resume()

    # ------------------------------------------------------------------ internals
    def _head(self, st: H2Stream, status: int, headers: Headers, now: int) -> None:
        resp = st.resp
        assert resp is not None
        if not 200 <= status <= 599:
            self.end_stream(st, ErrorKind.MALFORMED,
                            f"malformed response: bad :status {status:03d}", reset=True)
            return
        resp.status = status
        last = self._last_head
        if last is not None and last[0] is headers:  # the decoder's memo: the same head
            head = last[1]
        else:
            head = response_head(status, headers)
            self._last_head = (headers, head)
        resp.raw_head = head
        resp.bytes_received += len(head)
        if not resp.first_ns:
            resp.first_ns = now

    def _complete(self, st: H2Stream, now: int) -> None:
        resp = st.resp
        if resp is None:
            return
        if not resp.status:
            self._finish(st, ErrorKind.MALFORMED, "malformed response: stream ended without "
                         "a response head")
            return
        st.resp = None
        self.busy_set.discard(st)
        if st.chunks is not None:
            resp.body = b"".join(st.chunks)
            st.chunks = None
        resp.end_ns = now
        on_done, st.on_done = st.on_done, None
        if on_done is not None:
            on_done(resp)

    def _finish(self, st: H2Stream, kind: ErrorKind, reason: str) -> None:
        resp = st.resp
        if resp is None:
            return
        st.resp = None
        self.busy_set.discard(st)
        resp.error, resp.reason = kind, reason
        resp.status = 0
        resp.end_ns = perf_counter_ns()
        on_done, st.on_done = st.on_done, None
        if on_done is not None:
            on_done(resp)

    def _unprocessed(self, st: H2Stream, reason: str) -> None:
        st.unprocessed = True
        self._finish(st, ErrorKind.CLOSED, reason)

    def _goaway(self, last: int, code: int) -> None:
        """RFC 9113 §6.8: streams up to ``last`` may still complete; the rest were not
        processed. No new stream is opened; the accepted streams' frames are still read."""
        was = self.goaway
        self.goaway = True
        if not was:
            self.owner._lost(self)
        why = f"not processed by the server (GOAWAY {_code_name(code)}, last stream {last})"
        for sid in [s for s in self.streams if s > last]:
            self._unprocessed(self.streams.pop(sid), why)
        while self.queue:
            self._unprocessed(self.queue.popleft(), why)
        if not self.streams and self.transport is not None:
            self._flush()
            self.lost = True
            self.transport.close()

    def _broken(self, kind: ErrorKind, reason: str, goaway: bool) -> None:
        """The connection cannot go on: every stream fails, queued ones unprocessed."""
        was_lost, self.lost, self.goaway = self.lost, True, True
        if not was_lost:
            self.owner._lost(self)
        if goaway and not was_lost and self.transport is not None:
            code = NO_ERROR if kind is ErrorKind.CLOSED else PROTOCOL_ERROR
            self.out.append(f.goaway(max(self.next_id - 2, 0), code))
            self.transport.write(b"".join(self.out))
        self.out = []
        if self.transport is not None:
            if kind is ErrorKind.CLOSED:
                self.transport.close()
            else:
                self.transport.abort()
        streams, self.streams = self.streams, {}
        for st in streams.values():
            resp = st.resp
            got = resp is not None and resp.bytes_received
            why = reason if kind is not ErrorKind.CLOSED and kind is not ErrorKind.RESET \
                else f"{reason} {'mid-response' if got else 'before response'}"
            self._finish(st, kind, why)
        while self.queue:
            self._unprocessed(self.queue.popleft(), f"{reason} before the request was sent")

    def _resume(self) -> None:
        blocked, self.blocked = self.blocked, []
        for st in blocked:
            if self.streams.get(st.id) is st:
                self._send_body(st)

    def _next(self) -> None:
        """Open queued streams while the server's limit allows."""
        queue = self.queue
        if not queue or not self.usable:
            return
        limit = self._limit()
        while queue and len(self.streams) < limit and self.usable:
            self._open(queue.popleft())

    def _limit(self) -> int:
        return self.max_streams if self.settled else 1

    def _flush(self) -> None:
        out = self.out
        if out:
            self.out = []
            if self.transport is not None and not self.lost:
                self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        if self.goaway and not self.streams and not self.lost and self.transport is not None:
            self.lost = True
            self.transport.close()


def _unpad(flags: int, payload: bytes) -> bytes:
    if not flags & f.PADDED:
        return payload
    if not payload or payload[0] >= len(payload):
        raise _Broken("HTTP/2 protocol error (bad padding)")
    return payload[1:len(payload) - payload[0]]


def _status(headers: Headers) -> int:
    for k, v in headers:
        if k == b":status":
            return int(v) if v.isdigit() else 0
    return 0


def _code_name(code: int) -> str:
    return CODES[code] if 0 <= code < len(CODES) else f"error {code}"
