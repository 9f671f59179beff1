"""One HTTP/2 connection: an asyncio ``Protocol`` over the ``h2`` state machine.

Each request is a stream (:class:`H2Stream`). Streams beyond the server's
SETTINGS_MAX_CONCURRENT_STREAMS wait in a queue; request bodies are sent as the
flow-control windows allow; received data is acknowledged at once (the window is the
server's to fill). Outcomes are values on the :class:`Response`, as for HTTP/1.1:

* RST_STREAM fails that request only (``reset``, with the error code);
  REFUSED_STREAM means the server did not process it (RFC 9113 §8.7), like GOAWAY.
* GOAWAY: streams up to ``last_stream_id`` finish; those above it, and queued ones,
  end ``unprocessed`` and the pool sends them again on a new connection (a copy that
  reached the wire is counted, as issue 16's resend accounting says).
* A frame the state machine refuses (malformed, a header block over 64 KiB) breaks the
  connection: every open stream fails ``malformed`` with the reason.
* PING is answered by ``h2`` itself; timeouts come from the client's watchdog, which
  sees streams as it sees HTTP/1.1 connections (``deadline``, ``resp``, ``fail``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from time import perf_counter_ns
from typing import Any, Protocol

import hpack.hpack
import hpack.table
from h2.config import H2Configuration
from h2.connection import ConnectionState
from h2.connection import H2Connection as _Machine
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    RemoteSettingsChanged,
    ResponseReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import DenialOfServiceError, FrameTooLargeError, ProtocolError
from h2.settings import SettingCodes, Settings

from httptool.engine.errors import ErrorKind
from httptool.engine.h2wire import Headers, response_head
from httptool.engine.http import MAX_HEADER_BYTES, Response

#: Our receive windows (per stream and for the connection): large enough that a 1 MiB
#: body is not paced by WINDOW_UPDATE round trips.
RECEIVE_WINDOW = 1 << 24
OnDone = Callable[[Response], Any]
#: Our own headers are built lower-case and validated (engine/request.py, h2wire.py), so
#: h2 does not check and normalise them again: that is a third of its CPU per request
#: (bench/h2_vs_h2load.py). What the server sends is still validated.
_CONFIG = H2Configuration(client_side=True, header_encoding=None,
                          validate_outbound_headers=False, normalize_outbound_headers=False)


class _Quiet:
    """hpack logs every integer it codes at DEBUG (~28 calls per request, each a method
    call even when DEBUG is off): a logger that does nothing, for its two modules."""

    def debug(self, *args: object, **kwargs: object) -> None:
        pass


hpack.hpack.log = hpack.table.log = _Quiet()  # type: ignore[assignment]


class Owner(Protocol):
    def _lost(self, conn: Any) -> None: ...


class H2Stream:
    """One request on an HTTP/2 connection (watched by the client's timeout watchdog)."""

    __slots__ = ("body", "chunks", "conn", "deadline", "headers", "id", "is_head", "on_done",
                 "resp", "sent", "unprocessed")

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
        self.h2 = _Machine(_CONFIG)
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

    @property
    def usable(self) -> bool:
        return not self.lost and not self.goaway

    # ------------------------------------------------------------------ requests
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
        h2 = self.h2
        sid = h2.get_next_available_stream_id()
        st.id = sid
        self.streams[sid] = st
        self.uses += 1
        resp = st.resp
        assert resp is not None
        h2.send_headers(sid, st.headers, end_stream=not st.body)
        st.sent = True
        resp.sent_ns = perf_counter_ns()
        if st.body:
            self._send_body(st)
        data = h2.data_to_send()  # this stream's frames (and any pending acks)
        resp.bytes_sent += len(data)
        if self.transport is not None:
            self.transport.write(data)

    def _send_body(self, st: H2Stream) -> None:
        h2 = self.h2
        while st.body:
            room = min(h2.local_flow_control_window(st.id), h2.max_outbound_frame_size)
            if room <= 0:
                self.blocked.append(st)
                return
            piece, st.body = st.body[:room], st.body[room:]
            h2.send_data(st.id, piece, end_stream=not st.body)

    def end_stream(self, st: H2Stream, kind: ErrorKind, reason: str, reset: bool) -> None:
        """Fail ``st``; ``reset`` also tells the server (RST_STREAM CANCEL)."""
        if st.id and self.streams.get(st.id) is st:
            del self.streams[st.id]
            if reset and not self.lost:
                try:
                    self.h2.reset_stream(st.id, ErrorCodes.CANCEL)
                except ProtocolError:
                    pass
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
        h2 = self.h2
        h2.local_settings = Settings(client=True, initial_values={
            SettingCodes.ENABLE_PUSH: 0,
            SettingCodes.MAX_CONCURRENT_STREAMS: 100,
            SettingCodes.INITIAL_WINDOW_SIZE: RECEIVE_WINDOW,
            SettingCodes.MAX_HEADER_LIST_SIZE: MAX_HEADER_BYTES,
        })
        h2.initiate_connection()
        h2.increment_flow_control_window(RECEIVE_WINDOW)
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = perf_counter_ns()
        if not self.heard:
            self.heard = True
            if data.startswith(b"HTTP/1."):  # h2 would wait for the rest of a "frame"
                self._broken(ErrorKind.MALFORMED, "malformed response: the server answered in "
                             "HTTP/1.x: it does not speak HTTP/2 on this port (h2c needs "
                             "prior-knowledge support)", goaway=False)
                return
        try:
            events = self.h2.receive_data(data)
        except ProtocolError as e:
            self._broken(ErrorKind.MALFORMED, f"malformed response: {_protocol_reason(e)}",
                         goaway=True)
            return
        streams = self.streams
        for ev in events:
            if isinstance(ev, DataReceived):
                st = streams.get(ev.stream_id)
                if ev.flow_controlled_length:
                    self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if st is not None and st.resp is not None:
                    st.resp.body_size += len(ev.data)
                    st.resp.bytes_received += ev.flow_controlled_length + 9
                    if st.chunks is not None:
                        st.chunks.append(ev.data)
            elif isinstance(ev, ResponseReceived):
                st = streams.get(ev.stream_id)
                if st is not None and st.resp is not None:
                    self._head(st, ev.headers, now)
            elif isinstance(ev, StreamEnded):
                st = streams.pop(ev.stream_id, None)
                if st is not None:
                    self._complete(st, now)
            elif isinstance(ev, StreamReset):
                st = streams.pop(ev.stream_id, None)
                if st is not None:
                    code = _code_name(ev.error_code)
                    if ev.error_code == ErrorCodes.REFUSED_STREAM:
                        self._unprocessed(st, "stream refused by the server (RST_STREAM "
                                          "REFUSED_STREAM: not processed)")
                    else:
                        self._finish(st, ErrorKind.RESET,
                                     f"stream reset by the server (RST_STREAM {code})")
            elif isinstance(ev, RemoteSettingsChanged):
                self.settled = True
                self._resume()
            elif isinstance(ev, WindowUpdated):
                self._resume()
            elif isinstance(ev, ConnectionTerminated):
                self._goaway(ev)
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

    # ------------------------------------------------------------------ internals
    def _head(self, st: H2Stream, headers: Headers, now: int) -> None:
        resp = st.resp
        assert resp is not None
        status = 0
        for k, v in headers:
            if k == b":status":
                status = int(v) if v.isdigit() else 0
                break
        if not 200 <= status <= 599:
            self.end_stream(st, ErrorKind.MALFORMED,
                            f"malformed response: bad :status {status:03d}", reset=True)
            return
        resp.status = status
        resp.raw_head = head = response_head(status, headers)
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

    def _goaway(self, ev: ConnectionTerminated) -> None:
        """RFC 9113 §6.8: streams up to ``last_stream_id`` may still complete; the rest
        were not processed. ``h2`` closes its state machine on GOAWAY; it is put back to
        open so the accepted streams' frames are still read (no new stream is opened)."""
        self.goaway = True
        self.owner._lost(self)
        last = ev.last_stream_id or 0
        code = _code_name(ev.error_code)
        why = f"not processed by the server (GOAWAY {code}, last stream {last})"
        for sid in [s for s in self.streams if s > last]:
            self._unprocessed(self.streams.pop(sid), why)
        while self.queue:
            self._unprocessed(self.queue.popleft(), why)
        if self.streams:
            self.h2.state_machine.state = ConnectionState.CLIENT_OPEN
        elif self.transport is not None:
            self.lost = True
            self.transport.close()

    def _broken(self, kind: ErrorKind, reason: str, goaway: bool) -> None:
        """The connection cannot go on: every stream fails, queued ones unprocessed."""
        was_lost, self.lost, self.goaway = self.lost, True, True
        if not was_lost:
            self.owner._lost(self)
        if goaway and not was_lost and self.transport is not None:
            try:
                code = ErrorCodes.NO_ERROR if kind is ErrorKind.CLOSED \
                    else ErrorCodes.PROTOCOL_ERROR
                self.h2.close_connection(code)
                self.transport.write(self.h2.data_to_send())
            except ProtocolError:
                pass
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
        while queue and len(self.streams) < limit:
            self._open(queue.popleft())

    def _limit(self) -> int:
        return self.h2.remote_settings.max_concurrent_streams if self.settled else 1

    def _flush(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.lost:
            self.transport.write(data)
        if self.goaway and not self.streams and not self.lost and self.transport is not None:
            self.lost = True
            self.transport.close()


def _code_name(code: object) -> str:
    try:
        return ErrorCodes(code).name  # type: ignore[arg-type]
    except ValueError:
        return f"error {code}"


def _protocol_reason(e: ProtocolError) -> str:
    if isinstance(e, DenialOfServiceError) and "header" in str(e).lower():
        return "header block too large (> 64 KiB)"
    if isinstance(e, FrameTooLargeError):
        return f"HTTP/2 frame too large ({e})"
    text = str(e) or type(e).__name__
    return f"HTTP/2 protocol error ({text})"

