"""Which HTTP/2 connection a request goes on: k6's model or h2load's.

An :class:`H2Registry` holds the HTTP/2 connections of each origin and how many may be
open per origin. By default every VU's pool has its own with a limit of 1 (k6's model:
one connection per VU per origin, its ``parallel`` branches are streams on it). With the
scenario setting ``connections = N`` one registry is shared by every pool of the process
(h2load's model: many VUs over N connections per origin, each taking the least busy).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # engine/h2conn.py (and hpack) load with the first HTTP/2 connection
    from httptool.engine.h2conn import H2Connection


class H2Registry:
    """HTTP/2 connections by origin, at most ``limit`` open (or opening) per origin."""

    def __init__(self, limit: int = 1) -> None:
        self.limit = limit
        self.conns: dict[tuple, list[H2Connection]] = {}
        self.pending: dict[tuple, list[asyncio.Future[None]]] = {}
        self.users = 0  # pools sharing it; the last to leave closes the connections

    def __bool__(self) -> bool:
        return bool(self.conns or self.pending)

    async def pick(self, origin: tuple) -> H2Connection | None:
        """A usable connection for ``origin``, or None when the caller should open one
        (fewer than ``limit`` are open or opening). Waits for a connect in progress when
        the limit is reached and none is usable yet."""
        while True:
            conn = self.ready(origin)
            if conn is not None:
                return conn
            live = [c for c in self.conns.get(origin, ()) if c.usable]
            waiting = self.pending.get(origin)
            if waiting and (self.limit == 1 or len(live) + len(waiting) >= self.limit):
                await asyncio.shield(waiting[0])
                continue
            return None

    def ready(self, origin: tuple) -> H2Connection | None:
        """The connection :meth:`pick` would return without waiting, or None (then ask
        :meth:`pick`). Synchronous: the warm path need not create a coroutine."""
        conns = self.conns.get(origin)
        if not conns:
            return None
        if self.limit == 1 and len(conns) == 1:  # k6's model, every request: no list, no min
            conn = conns[0]
            return conn if conn.usable else None
        live = [c for c in conns if c.usable]
        if live and (self.limit == 1
                     or len(live) + len(self.pending.get(origin) or ()) >= self.limit):
            return min(live, key=_load)
        return None

    def opening(self, origin: tuple, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        """Note a connect to ``origin`` in progress (others wait on it in :meth:`pick`)."""
        fut: asyncio.Future[None] = loop.create_future()
        self.pending.setdefault(origin, []).append(fut)
        return fut

    def opened(self, origin: tuple, fut: asyncio.Future[None]) -> None:
        """The connect noted by :meth:`opening` ended (whatever its outcome)."""
        waiting = self.pending.get(origin)
        if waiting is not None and fut in waiting:
            waiting.remove(fut)
            if not waiting:
                del self.pending[origin]
        if not fut.done():
            fut.set_result(None)

    def add(self, conn: H2Connection) -> None:
        self.conns.setdefault(conn.origin, []).append(conn)

    def _lost(self, conn: H2Connection) -> None:
        """Called by the connection (its owner) when it can take no new stream."""
        conns = self.conns.get(conn.origin)
        if conns is not None and conn in conns:
            conns.remove(conn)
            if not conns:
                del self.conns[conn.origin]

    def close(self) -> None:
        for conns in list(self.conns.values()):
            for conn in list(conns):
                conn.close()
        self.conns.clear()


def _load(conn: H2Connection) -> int:
    return len(conn.streams) + len(conn.queue)
