"""``--dashboard[=HOST:PORT]``: a web page that watches the run as it goes on.

An aiohttp server on its own event loop in a daemon thread (never the shards' loop):
``GET /`` is the page (every asset inlined, as in the HTML report: no CDN), ``GET
/events`` a Server-Sent Events stream and ``GET /state`` the latest numbers as JSON.

Why SSE with a history event: a page opened mid-run first gets every second so far
(``history``), then one ``state`` event per update (about once a second: the shards'
snapshot cadence) carrying the latest totals and only the last seconds of the series, so
an hour-long run does not resend an hour per update. A client whose queue fills (a
stalled tab) is resynchronised with a fresh history instead of growing memory. At the
end a ``final`` event carries the ``--report`` page itself (the same HTML, from the same
summary document), which replaces the live page; afterwards ``GET /`` serves it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from aiohttp import web

from httptool.metrics.result import RunResult
from httptool.plan import Threshold
from httptool.report.info import RunInfo
from httptool.report.listen import DASHBOARD_PORT, ListenAddress
from httptool.report.live_state import TAIL_SECONDS, series_row, state_doc
from httptool.report.page import asset as _asset
from httptool.report.page import page_head
from httptool.report.thresholds import ThresholdOutcome

if TYPE_CHECKING:
    from httptool.report.validity import Validity

#: Fewest seconds between two state events (results arrive up to 4 times a second).
PUBLISH_EVERY = 0.5
#: Events buffered per client before it is resynchronised.
CLIENT_QUEUE = 32
#: How long close() lets the clients receive the final event.
DRAIN_TIMEOUT = 2.0
#: The default port of ``--dashboard`` (report/listen.py holds it: the CLI reads it
#: without loading this module's aiohttp).
DEFAULT_PORT = DASHBOARD_PORT


def _event(kind: str, data: Any) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def dashboard_page(info: RunInfo) -> str:
    """The live page: template, styles, uPlot and the script, all inlined."""
    values = {
        "HEAD": page_head(escape(f"httptool live: {info.scenario}"), connect_self=True),
        "SCENARIO": escape(info.scenario), "LOAD": escape(info.load),
        "FILE": escape(info.file),
        "DASHBOARD_CSS": _asset("templates", "dashboard.css"),
        "UPLOT_JS": _asset("vendor", "uPlot.iife.min.js"),
        "DASHBOARD_JS": _asset("templates", "dashboard.js"),
    }
    page = _asset("templates", "dashboard.html")
    for k, v in values.items():  # the assets hold no {{...}} marker of ours
        page = page.replace("{{" + k + "}}", v)
    return page


class Dashboard:
    """The server of one run. Binds in the constructor (OSError if it cannot, before any
    load); :meth:`update` and :meth:`finish` are called from the coordinator's thread."""

    def __init__(self, addr: ListenAddress, info: RunInfo,
                 thresholds: Sequence[Threshold] = (), names: Sequence[str] = ()) -> None:
        self.info = info
        self.thresholds = tuple(thresholds)
        self.names = tuple(names)
        self._page = dashboard_page(info).encode()
        self._final_page: bytes | None = None
        self._final_event: bytes | None = None
        self._series: dict[int, list[Any]] = {}
        self._state: dict[str, Any] = {}
        self._published = 0.0
        self._clients: set[asyncio.Queue[bytes]] = set()
        self.clients_seen = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        ready: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._serve, args=(addr, ready),
                                        name="httptool-dashboard", daemon=True)
        self._thread.start()
        self.port = ready.result(timeout=30)  # re-raises the bind's OSError
        self.url = addr.url(self.port)

    # ------------------------------------------------------------------ coordinator side

    def update(self, result: RunResult) -> None:
        now = time.monotonic()
        if now - self._published < PUBLISH_EVERY:
            return
        self._published = now
        self._publish(state_doc(result, self.info, self.thresholds, self.names))

    def finish(self, result: RunResult, info: RunInfo, outcomes: Sequence[ThresholdOutcome],
               validity: Validity | None = None) -> None:
        """The final numbers, then the ``--report`` page of the same summary document."""
        from httptool.report.html import render_html
        from httptool.report.json_summary import summary_dict

        self.info = info
        state = state_doc(result, info, self.thresholds, self.names)
        state["final"] = True
        state["thresholds"] = [{"threshold": o.threshold.text, "passed": o.passed,
                                "shown": o.shown} for o in outcomes]
        self._publish(state)
        html = render_html(summary_dict(result, info, outcomes, validity))
        self._final_page = html.encode()
        self._final_event = _event("final", {"html": html})
        self._loop.call_soon_threadsafe(self._broadcast, self._final_event)

    def _publish(self, state: dict[str, Any]) -> None:
        for row in state["series"]:
            self._series[row[0]] = row
        self._state = state
        self._loop.call_soon_threadsafe(self._broadcast, _event("state", state))

    def _history(self) -> bytes:
        rows = [self._series[k] for k in sorted(self._series)]
        return _event("history", {"series": rows, "state": self._state})

    def close(self) -> None:
        """Let clients take the final event (at most :data:`DRAIN_TIMEOUT`), then stop."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while any(not q.empty() for q in list(self._clients)) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # ------------------------------------------------------------------ server thread

    def _serve(self, addr: ListenAddress, ready: concurrent.futures.Future[int]) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            port = self._loop.run_until_complete(self._start(addr))
        except BaseException as e:  # the bind failed: the constructor re-raises it
            ready.set_exception(e)
            self._loop.close()
            return
        ready.set_result(port)
        try:
            self._loop.run_forever()
        finally:
            if self._runner is not None:
                self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

    async def _start(self, addr: ListenAddress) -> int:
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/events", self._events)
        app.router.add_get("/state", self._state_json)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, addr.host, addr.port, reuse_address=False)
        try:
            await site.start()
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise
        server = site._server
        sockets = getattr(server, "sockets", None) or ()
        return int(sockets[0].getsockname()[1]) if sockets else addr.port

    def _broadcast(self, event: bytes) -> None:
        for q in list(self._clients):
            if q.full():  # a stalled client: start it over from the whole history
                while not q.empty():
                    q.get_nowait()
                q.put_nowait(self._history())
                if event is self._final_event:
                    q.put_nowait(event)
            else:
                q.put_nowait(event)

    async def _index(self, request: web.Request) -> web.Response:
        body = self._final_page if self._final_page is not None else self._page
        return web.Response(body=body, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"})

    async def _state_json(self, request: web.Request) -> web.Response:
        return web.json_response({**self._state, "series": None},
                                 headers={"Cache-Control": "no-store"})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store"})
        await resp.prepare(request)
        q: asyncio.Queue[bytes] = asyncio.Queue(CLIENT_QUEUE)
        self._clients.add(q)
        self.clients_seen += 1
        try:
            await resp.write(b"retry: 1000\n\n" + self._history())
            if self._final_event is not None:
                await resp.write(self._final_event)
                return resp
            while True:
                event = await q.get()
                await resp.write(event)
                if event is self._final_event:
                    break
        except ConnectionError:
            pass  # the tab went away: nothing to clean up but its queue
        finally:
            self._clients.discard(q)
        return resp


__all__ = ["DEFAULT_PORT", "TAIL_SECONDS", "Dashboard", "dashboard_page", "series_row"]
