"""Small aiohttp-client helpers for the target tests (not httptool's own client, which is
tested against this server, so the two are checked independently)."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from multidict import CIMultiDictProxy

T = TypeVar("T")


@dataclass
class Reply:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def new_session(**kw: Any) -> aiohttp.ClientSession:
    """A session whose jar accepts cookies from 127.0.0.1 (aiohttp refuses IP hosts by
    default) and that never decompresses, so encodings can be checked as sent."""
    kw.setdefault("cookie_jar", aiohttp.CookieJar(unsafe=True))
    kw.setdefault("auto_decompress", False)
    return aiohttp.ClientSession(**kw)


async def send(
    session: aiohttp.ClientSession, method: str, url: str, **kw: Any
) -> Reply:
    kw.setdefault("allow_redirects", False)
    async with session.request(method, url, **kw) as r:
        return Reply(r.status, r.headers, await r.read())


def call(method: str, url: str, ssl_context: ssl.SSLContext | None = None, **kw: Any) -> Reply:
    """One request on a fresh session."""

    async def go() -> Reply:
        async with new_session() as s:
            if ssl_context is not None:
                kw["ssl"] = ssl_context
            return await send(s, method, url, **kw)

    return run(go())
