"""Name resolution, once per host per run.

A load test must measure the target, not the resolver: every host is resolved on first
use with ``loop.getaddrinfo`` and the addresses are kept for the whole run (curl too keeps
a DNS cache). Concurrent first look-ups of the same host share one query.

curl's ways to hit one backend under a public name live here too: ``--connect-to`` changes
the host and port connected to, ``--resolve`` pins a name's addresses, ``-4``/``-6`` keep
one family. None of them changes the Host header or the TLS server name (the URL's).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from httptool.errors import HttptoolError

Address = tuple[int, tuple]  # (family, sockaddr)
#: (host or "*", port, address) of ``--resolve``; (host, port, to host, to port) of
#: ``--connect-to``, where "" is any (the first two) or unchanged (the last two)
Pin = tuple[str, int, str]
Redirect = tuple[str, str, str, str]


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


def connect_to(host: str, port: int, rules: tuple[Redirect, ...]) -> tuple[str, int]:
    """Where to connect for ``host:port``: the first matching ``--connect-to`` rule."""
    for h, p, to_host, to_port in rules:
        if (not h or h.lower() == host.lower()) and (not p or int(p) == port):
            return (to_host or host), (int(to_port) if to_port else port)
    return host, port


async def lookup(
    cache: DnsCache, host: str, port: int, pins: tuple[Pin, ...] = (), ip_version: int = 0
) -> list[Address]:
    """The addresses to try for ``host:port``: a ``--resolve`` pin first, else the cache;
    ``ip_version`` 4 or 6 keeps that family only (curl's ``-4``/``-6``)."""
    addrs: list[Address] | None = None
    for h, p, address in pins:
        if (h == "*" or h.lower() == host.lower()) and p == port:
            addrs = [a for part in address.split(",")
                     for a in _literal(part.strip("[] "), port) or ()]
            break
    if addrs is None:
        addrs = await cache.resolve(host, port)
    if ip_version:
        family = socket.AF_INET if ip_version == 4 else socket.AF_INET6
        addrs = [a for a in addrs if a[0] == family]
        if not addrs:
            raise DnsError(f"could not resolve host {host}: no IPv{ip_version} address")
    return addrs
