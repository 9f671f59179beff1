"""HTTP proxies (``-x``): https goes through a ``CONNECT`` tunnel, http is sent to the
proxy in absolute form (the request line carries the full URL; see request.py)."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from httptool.errors import HttptoolError

if TYPE_CHECKING:
    from httptool.engine.request import URL

MAX_PROXY_HEADER = 16 * 1024


def basic_credentials(userinfo: str) -> str:
    """``Basic`` + base64 of a URL's ``user:password``, percent-decoded as curl does
    (``-U u:p%40`` and ``-x http://u:p%40@host`` both send ``u:p@``)."""
    user, _, password = userinfo.partition(":")
    raw = unquote_to_bytes(user) + b":" + unquote_to_bytes(password)
    return "Basic " + base64.b64encode(raw).decode("ascii")


def bypasses_proxy(host: str, noproxy: str) -> bool:
    """curl's ``--noproxy`` list: ``*`` is every host; a name matches itself and its
    subdomains (a leading dot is optional); an IP address or CIDR range matches by
    address."""
    host = host.lower().strip("[]").rstrip(".")
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in noproxy.split(","):
        e = entry.strip().lower().strip("[]").rstrip(".")
        if e == "*":
            return True
        if not e:
            continue
        if ip is not None:
            try:
                if ip in ipaddress.ip_network(e, strict=False):
                    return True
            except ValueError:
                pass
            continue
        e = e.lstrip(".")
        if host == e or host.endswith("." + e):
            return True
    return False


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
        lines.append(f"Proxy-Authorization: {basic_credentials(proxy.userinfo)}")
    proto.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = await proto.waiter
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ProxyError(f"bad proxy answer to CONNECT: {status_line!r}")
    if not 200 <= int(parts[1]) < 300:
        raise ProxyError(f"proxy refused CONNECT: {status_line}")
