"""HTTP proxies (``-x``): https goes through a ``CONNECT`` tunnel, http is sent to the
proxy in absolute form (the request line carries the full URL; see request.py)."""

from __future__ import annotations

import asyncio
import base64

from httptool.engine.request import URL
from httptool.errors import HttptoolError

MAX_PROXY_HEADER = 16 * 1024


class ProxyError(HttptoolError):
    """The proxy refused or broke the tunnel; the message says how."""


class TunnelProtocol(asyncio.Protocol):
    """Reads the proxy's answer to ``CONNECT`` (status line and headers, no body)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter.done():
            return
        end = self.buf.find(b"\r\n\r\n")
        if end >= 0:
            self.waiter.set_result(bytes(self.buf[:end]))
        elif len(self.buf) > MAX_PROXY_HEADER:
            self.waiter.set_exception(ProxyError("proxy answer too large"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.waiter.done():
            self.waiter.set_exception(ProxyError("proxy closed the connection during CONNECT"))


async def open_tunnel(proto: TunnelProtocol, target: URL, proxy: URL) -> None:
    """Ask the proxy for a tunnel to ``target``; raise :class:`ProxyError` unless 2xx."""
    assert proto.transport is not None
    host = f"[{target.host}]" if ":" in target.host else target.host
    authority = f"{host}:{target.port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    if proxy.userinfo:
        token = base64.b64encode(proxy.userinfo.encode()).decode("ascii")
        lines.append(f"Proxy-Authorization: Basic {token}")
    proto.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = await proto.waiter
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ProxyError(f"bad proxy answer to CONNECT: {status_line!r}")
    if not 200 <= int(parts[1]) < 300:
        raise ProxyError(f"proxy refused CONNECT: {status_line}")
