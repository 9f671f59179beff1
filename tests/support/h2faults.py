"""An HTTP/2 (h2c) server that misbehaves on purpose, for the client's fault tests.

It runs on its own event loop in a thread, on 127.0.0.1, and counts every stream whose
HEADERS it received (``streams``): the number a truthful client's request count must
equal. What it does is chosen by the request path and by its settings:

* ``/ok``       200 with a small body (after ``delay`` seconds)
* ``/hang``     response headers, then nothing: the stream never ends
* ``/rst``      RST_STREAM INTERNAL_ERROR
* ``/big``      a response header block over 64 KiB
* ``/malformed`` a frame the protocol forbids (DATA on stream 0)
* ``rst_every=N``    every Nth stream of the server is reset (INTERNAL_ERROR)
* ``goaway_every=N`` on a connection's Nth stream: GOAWAY with ``last_stream_id`` below
  it (that stream is "not processed"), then the connection closes when the accepted
  ones are answered
* ``max_streams``    SETTINGS_MAX_CONCURRENT_STREAMS; ``peak`` records the most streams
  open at once
* ``ping``           send a PING on each connection; ``ping_acks`` counts the answers
* ``/echo``     reads the request body, then answers its size and the size of the request's
  header list (``body=N headers=M``); ``window`` sets the server's
  SETTINGS_INITIAL_WINDOW_SIZE, so a body larger than it needs the client to wait for
  WINDOW_UPDATE (the server credits data as it reads it)
* ``/large``    a 17 MiB body: more than the client's 16 MiB receive window, so it must
  send WINDOW_UPDATE for the rest to come
* ``/continued`` a 40 KB response header block (HEADERS + CONTINUATION frames)
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from h2.config import H2Configuration
from h2.connection import ConnectionState, H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    DataReceived,
    PingAckReceived,
    RequestReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import ProtocolError
from h2.settings import SettingCodes, Settings


@dataclass
class H2FaultServer:
    rst_every: int = 0
    goaway_every: int = 0
    max_streams: int = 100
    delay: float = 0.0
    ping: bool = False
    window: int = 65_535
    streams: int = 0
    peak: int = 0
    ping_acks: int = 0
    connections: int = 0
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _server: asyncio.Server | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> H2FaultServer:
        ready = threading.Event()

        def run() -> None:
            loop = self._loop = asyncio.new_event_loop()

            async def start() -> None:
                self._server = await loop.create_server(
                    lambda: _Conn(self), "127.0.0.1", 0)
                self.port = self._server.sockets[0].getsockname()[1]

            loop.run_until_complete(start())
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        loop = self._loop
        if loop is not None and self._server is not None:
            loop.call_soon_threadsafe(self._server.close)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)


class _Conn(asyncio.Protocol):
    def __init__(self, srv: H2FaultServer) -> None:
        self.srv = srv
        self.h2 = H2Connection(H2Configuration(client_side=False, header_encoding=None))
        self.transport: asyncio.Transport | None = None
        self.open: set[int] = set()
        self.seen = 0  # streams of this connection
        self.last_ok = 0  # GOAWAY's last_stream_id once sent
        self.closing = False
        self.pending: list[int] = []  # /large: stream id, bytes left to send
        self.echo: dict[int, list[int]] = {}  # /echo streams: body bytes, header list size

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.srv.connections += 1
        self.h2.local_settings = Settings(client=False, initial_values={
            SettingCodes.MAX_CONCURRENT_STREAMS: self.srv.max_streams,
            SettingCodes.INITIAL_WINDOW_SIZE: self.srv.window})
        self.h2.initiate_connection()
        if self.srv.ping:
            self.h2.ping(b"12345678")
        self.flush()

    def data_received(self, data: bytes) -> None:
        try:
            events = self.h2.receive_data(data)
        except ProtocolError:
            self.transport.close()  # type: ignore[union-attr]
            return
        for ev in events:
            if isinstance(ev, RequestReceived):
                path = dict(ev.headers)[b":path"].decode()
                if path == "/echo":
                    self.echo[ev.stream_id] = [0, sum(len(k) + len(v) for k, v in ev.headers)]
                self.request(ev.stream_id, path)
            elif isinstance(ev, DataReceived):
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if ev.stream_id in self.echo:
                    self.echo[ev.stream_id][0] += len(ev.data)
            elif isinstance(ev, StreamEnded) and ev.stream_id in self.echo:
                got, size = self.echo.pop(ev.stream_id)
                self.answer(ev.stream_id, b"body=%d headers=%d" % (got, size))
            elif isinstance(ev, StreamReset):
                self.open.discard(ev.stream_id)
            elif isinstance(ev, PingAckReceived):
                self.srv.ping_acks += 1
            elif isinstance(ev, WindowUpdated):
                self.send_large()
        self.flush()

    def request(self, sid: int, path: str) -> None:
        srv = self.srv
        srv.streams += 1
        self.seen += 1
        self.open.add(sid)
        srv.peak = max(srv.peak, len(self.open))
        if srv.goaway_every and self.seen % srv.goaway_every == 0 and not self.closing:
            self.closing = True
            self.last_ok = sid - 2
            self.h2.close_connection(ErrorCodes.NO_ERROR, last_stream_id=self.last_ok)
            # h2 closes its state machine on GOAWAY; the accepted streams still get answers
            self.h2.state_machine.state = ConnectionState.SERVER_OPEN
            self.open.discard(sid)
            self.maybe_close()
            return
        if self.closing and sid > self.last_ok:
            self.open.discard(sid)
            return
        if (srv.rst_every and srv.streams % srv.rst_every == 0) or path == "/rst":
            self.h2.reset_stream(sid, ErrorCodes.INTERNAL_ERROR)
            self.open.discard(sid)
            return
        if path == "/hang":
            self.h2.send_headers(sid, [(b":status", b"200")])
            return
        if path == "/big":
            self.h2.send_headers(sid, [(b":status", b"200"), (b"x-big", b"a" * 100_000)],
                                 end_stream=True)
            self.open.discard(sid)
            return
        if path == "/echo":
            return  # answered when the body has been read
        if path == "/continued":
            self.h2.send_headers(sid, [(b":status", b"200"), (b"x-long", b"b" * 40_000)],
                                 end_stream=True)
            self.open.discard(sid)
            return
        if path == "/large":
            self.h2.send_headers(sid, [(b":status", b"200")])
            self.pending = [sid, 17 << 20]
            self.send_large()
            return
        if path == "/malformed":
            # a DATA frame on stream 0: a connection error (RFC 9113 §6.1)
            self.transport.write(b"\x00\x00\x01\x00\x00\x00\x00\x00\x00x")  # type: ignore[union-attr]
            return
        if srv.delay:
            asyncio.get_running_loop().call_later(srv.delay, self.answer, sid)
        else:
            self.answer(sid)

    def send_large(self) -> None:
        """As much of /large's body as the client's windows allow (again on each
        WINDOW_UPDATE)."""
        if not self.pending:
            return
        sid, left = self.pending
        chunk = b"z" * self.h2.max_outbound_frame_size
        while left:
            room = min(self.h2.local_flow_control_window(sid), len(chunk), left)
            if room <= 0:
                break
            left -= room
            self.h2.send_data(sid, chunk[:room], end_stream=not left)
        self.pending = [sid, left] if left else []
        if not left:
            self.open.discard(sid)

    def answer(self, sid: int, body: bytes = b"ok") -> None:
        if sid not in self.open:
            return
        try:
            self.h2.send_headers(sid, [(b":status", b"200"),
                                       (b"content-length", str(len(body)).encode())])
            self.h2.send_data(sid, body, end_stream=True)
        except ProtocolError:
            pass
        self.open.discard(sid)
        self.flush()
        self.maybe_close()

    def maybe_close(self) -> None:
        if self.closing and not self.open and self.transport is not None:
            self.flush()
            self.transport.close()

    def flush(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)
