"""The target's HTTP/2 ports: an h2 server (the ``h2`` package) that forwards each stream
to the target's own HTTP/1.1 listener on loopback.

aiohttp does not serve HTTP/2; forwarding keeps one app, so the h2 and h2c ports serve the
same endpoints and every request lands in the same counters (``/__counts``). The hop costs
CPU in the target, which is why benchmarks use nginx as the server, not this.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import Any

import aiohttp
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    RequestReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import ProtocolError

Headers = list[tuple[bytes, bytes]]
#: response headers HTTP/2 must not carry (RFC 9113 §8.2.2)
_HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding",
                  b"upgrade"})
#: aiohttp would add these when absent; the echo endpoints must show what the client sent
_NO_AUTO = ("User-Agent", "Accept-Encoding", "Accept", "Content-Type")


class Forwarder:
    """Sends one request to the HTTP/1.1 listener and returns status, headers, body."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._session: aiohttp.ClientSession | None = None

    async def forward(self, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), auto_decompress=False,
                skip_auto_headers=_NO_AUTO, trust_env=False)
        method, path, fields = "GET", "/", []
        for k, v in headers:
            if k == b":method":
                method = v.decode("latin-1")
            elif k == b":path":
                path = v.decode("latin-1")
            elif k == b":authority":
                fields.append(("Host", v.decode("latin-1")))
            elif not k.startswith(b":"):
                fields.append((k.decode("latin-1"), v.decode("latin-1")))
        async with self._session.request(method, self.base_url + path, headers=fields,
                                         data=body or None, allow_redirects=False,
                                         ssl=not self.base_url.startswith("https")) as resp:
            data = await resp.read()
            out = [(k.lower(), v) for k, v in resp.raw_headers if k.lower() not in _HOP]
            return resp.status, out, data

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class _H2Server(asyncio.Protocol):
    """One client connection: streams in, forwarded responses out (flow-controlled)."""

    def __init__(self, forwarder: Forwarder) -> None:
        self.fw = forwarder
        self.h2 = H2Connection(H2Configuration(client_side=False, header_encoding=None))
        self.transport: asyncio.Transport | None = None
        self.requests: dict[int, tuple[Headers, bytearray]] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.out: dict[int, bytes] = {}  # response bytes waiting for window

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.h2.initiate_connection()
        self._flush()

    def data_received(self, data: bytes) -> None:
        try:
            events = self.h2.receive_data(data)
        except ProtocolError:
            self._flush()
            if self.transport is not None:
                self.transport.close()
            return
        for ev in events:
            if isinstance(ev, RequestReceived):
                self.requests[ev.stream_id] = (ev.headers, bytearray())
                if ev.stream_ended is not None:
                    self._start(ev.stream_id)
            elif isinstance(ev, DataReceived):
                req = self.requests.get(ev.stream_id)
                if req is not None:
                    req[1].extend(ev.data)
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, StreamEnded):
                self._start(ev.stream_id)
            elif isinstance(ev, StreamReset):
                task = self.tasks.pop(ev.stream_id, None)
                if task is not None:
                    task.cancel()
                self.out.pop(ev.stream_id, None)
            elif isinstance(ev, WindowUpdated):
                for sid in list(self.out):
                    self._send(sid, self.out.pop(sid))
            elif isinstance(ev, ConnectionTerminated) and self.transport is not None:
                self.transport.close()
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        for task in self.tasks.values():
            task.cancel()
        self.tasks.clear()

    def _start(self, sid: int) -> None:
        req = self.requests.pop(sid, None)
        if req is not None and sid not in self.tasks:
            self.tasks[sid] = asyncio.get_running_loop().create_task(self._answer(sid, *req))

    async def _answer(self, sid: int, headers: Headers, body: bytearray) -> None:
        try:
            status, out, data = await self.fw.forward(headers, bytes(body))
        except (aiohttp.ClientError, OSError):
            status, out, data = 502, [(b"content-type", b"text/plain")], b"bad gateway\n"
        finally:
            self.tasks.pop(sid, None)
        with contextlib.suppress(ProtocolError):  # the client reset the stream meanwhile
            self.h2.send_headers(sid, [(b":status", str(status).encode()), *out],
                                 end_stream=not data)
            if data:
                self._send(sid, data)
            self._flush()

    def _send(self, sid: int, data: bytes) -> None:
        h2 = self.h2
        while data:
            try:
                room = min(h2.local_flow_control_window(sid), h2.max_outbound_frame_size)
            except ProtocolError:
                return  # stream gone
            if room <= 0:
                self.out[sid] = data
                return
            piece, data = data[:room], data[room:]
            h2.send_data(sid, piece, end_stream=not data)

    def _flush(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


def h2_tls_context(cert: str, key: str | None = None) -> ssl.SSLContext:
    """A server context for the h2 port: ALPN h2 only."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["h2"])
    return ctx


async def start_h2(forwarder: Forwarder, host: str, port: int,
                   ssl_context: ssl.SSLContext | None) -> tuple[asyncio.Server, int]:
    """Listen for h2 (with ``ssl_context``) or h2c (without) and forward to the app."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _H2Server(forwarder), host, port,
                                      ssl=ssl_context, backlog=2048)
    bound: Any = server.sockets[0].getsockname()[1] if server.sockets else port
    return server, int(bound)


def self_signed_context(ca_out: str | None) -> ssl.SSLContext:
    """An h2 server context with a certificate for 127.0.0.1, ::1 and localhost from a
    fresh CA (trustme); the CA is written to ``ca_out`` for the client's ``--cacert``."""
    import trustme  # only when the target serves h2 without a certificate of its own

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "::1", "localhost")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    ctx.set_alpn_protocols(["h2"])
    if ca_out:
        ca.cert_pem.write_to_path(ca_out)
    return ctx


async def start_h2_ports(
    h1_url: str, host: str, h2_port: int | None, h2c_port: int | None,
    tls: ssl.SSLContext | None,
) -> tuple[list[tuple[str, str]], list[asyncio.Server], Forwarder]:
    """Start the h2 (TLS, ``tls``) and h2c listeners asked for; returns their
    ``(label, url)`` pairs, the servers and the forwarder (close both on shutdown)."""
    fw = Forwarder(h1_url)
    shown = f"[{host}]" if ":" in host else host
    urls: list[tuple[str, str]] = []
    servers: list[asyncio.Server] = []
    try:
        if h2_port is not None:
            server, bound = await start_h2(fw, host, h2_port, tls)
            servers.append(server)
            urls.append(("h2", f"https://{shown}:{bound}"))
        if h2c_port is not None:
            server, bound = await start_h2(fw, host, h2c_port, None)
            servers.append(server)
            urls.append(("h2c", f"http://{shown}:{bound}"))
    except OSError:
        for s in servers:
            s.close()
        await fw.close()
        raise
    return urls, servers, fw
