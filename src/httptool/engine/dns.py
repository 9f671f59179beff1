"""Name resolution, once per host per run.

A load test must measure the target, not the resolver: every host is resolved on first
use with ``loop.getaddrinfo`` and the addresses are kept for the whole run (curl too keeps
a DNS cache). Concurrent first look-ups of the same host share one query.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from httptool.errors import HttptoolError

Address = tuple[int, tuple]  # (family, sockaddr)


class DnsError(HttptoolError):
    """The host did not resolve; the message is the resolver's reason."""


class DnsCache:
    """Host -> addresses (IPv4 and IPv6, in the resolver's order)."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, int], list[Address]] = {}
        self._pending: dict[tuple[str, int], asyncio.Future[list[Address]]] = {}

    async def resolve(self, host: str, port: int) -> list[Address]:
        key = (host, port)
        found = self._done.get(key)
        if found is not None:
            return found
        literal = _literal(host, port)
        if literal is not None:
            self._done[key] = literal
            return literal
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[list[Address]] = loop.create_future()
        self._pending[key] = fut
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addrs: list[Address] = [(fam, sa) for fam, _, _, _, sa in infos]
            if not addrs:
                raise DnsError(f"could not resolve host {host}")
            self._done[key] = addrs
            fut.set_result(addrs)
            return addrs
        except socket.gaierror as e:
            err = DnsError(f"could not resolve host {host}: {e.strerror or e}")
            fut.set_exception(err)
            fut.exception()  # mark retrieved: waiters re-raise it themselves
            raise err
        finally:
            del self._pending[key]

    def clear(self) -> None:
        self._done.clear()


def _literal(host: str, port: int) -> list[Address] | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.version == 6:
        return [(socket.AF_INET6, (host, port, 0, 0))]
    return [(socket.AF_INET, (host, port))]
