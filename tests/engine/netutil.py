"""Helpers for engine tests: run a coroutine on the engine's loop with a bound, and start
aiohttp.web apps on a loopback port."""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from httptool.engine.loop import run

T = TypeVar("T")

# tests/ has no __init__.py (rootdir-relative imports): make tests/support importable.
_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)


def arun(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """Run ``coro`` on uvloop (the production loop), failing after ``timeout`` seconds."""
    return run(asyncio.wait_for(coro, timeout))


async def serve(
    app: web.Application, host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0, ssl_context=ssl_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


def free_port() -> int:
    """A loopback port with nobody listening (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def has_ipv6() -> bool:
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False
