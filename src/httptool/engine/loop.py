"""The event loop: uvloop when installed (about twice as fast for this client), plain
asyncio otherwise, so the tool still runs where uvloop does not build (Windows, PyPy)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

try:  # pragma: no cover - depends on the platform
    import uvloop as _uvloop
except ImportError:  # pragma: no cover
    _uvloop = None  # type: ignore[assignment]


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A fresh loop: uvloop's when available."""
    if _uvloop is not None:
        return _uvloop.new_event_loop()
    return asyncio.new_event_loop()


def install() -> None:
    """Make :func:`new_event_loop` the policy's loop factory (for ``asyncio.run``)."""
    if _uvloop is not None:
        asyncio.set_event_loop_policy(_uvloop.EventLoopPolicy())


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the fastest available loop."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(coro)
