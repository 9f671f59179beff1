"""The built-in target as an aiohttp.web application.

A request is counted when handling starts (in the middleware, before the handler runs), so
a request that the client gave up on still counts; its status is counted when it is
answered. ``/__counts`` and ``/__counts/reset`` are never counted themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Middleware

from httptool.target import data, httpbin
from httptool.target.counts import Counts
from httptool.target.echo import json_response
from httptool.target.forms import FormsRoutes, FormsState
from httptool.target.placeholder import PlaceholderRoutes
from httptool.target.session import SessionRoutes, Sessions

COUNTS_PATH = "/__counts"
RESET_PATH = "/__counts/reset"
#: Largest request body accepted (aiohttp's default of 1 MB is small for upload tests).
MAX_REQUEST_BODY = 64 * 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class TargetState:
    """Everything one target instance remembers."""

    counts: Counts = field(default_factory=Counts)
    sessions: Sessions = field(default_factory=Sessions)
    #: ``--delay``: seconds added before every answer (a slower build, for compare tests)
    delay: float = 0.0
    forms: FormsState = field(default_factory=FormsState)


STATE_KEY = web.AppKey("httptool_target_state", TargetState)


def _counting(counts: Counts) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith(COUNTS_PATH):
            return await handler(request)
        counts.start(request.method, path)
        try:
            resp = await handler(request)
        except web.HTTPException as e:  # 404/405 from the router, or raised by a handler
            counts.status(e.status)
            raise
        except Exception:
            counts.status(500)
            raise
        counts.status(resp.status)
        return resp

    return middleware


def _delaying(delay: float) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(COUNTS_PATH):
            await asyncio.sleep(delay)
        return await handler(request)

    return middleware


def create_app(state: TargetState | None = None) -> web.Application:
    """A fresh target app; pass ``state`` to read its counters in-process."""
    state = state or TargetState()
    middlewares = [_counting(state.counts)]
    if state.delay > 0:
        middlewares.append(_delaying(state.delay))
    app = web.Application(middlewares=middlewares, client_max_size=MAX_REQUEST_BODY)
    app[STATE_KEY] = state

    async def get_counts(request: web.Request) -> web.Response:
        return json_response(state.counts.snapshot())

    async def reset_counts(request: web.Request) -> web.Response:
        state.counts.reset()
        return json_response(state.counts.snapshot())

    app.router.add_get(COUNTS_PATH, get_counts)
    app.router.add_post(RESET_PATH, reset_counts)
    httpbin.add_routes(app.router)
    SessionRoutes(state.sessions).add_routes(app.router)
    FormsRoutes(state.forms).add_routes(app.router)
    PlaceholderRoutes(data.build()).add_routes(app.router)
    return app
