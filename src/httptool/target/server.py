"""Starting and stopping the target: in the foreground (the CLI), in a background thread,
or as a subprocess (what tests use, so the server has its own GIL and core).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import json
import os
import selectors
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from httptool.errors import HttptoolError
from httptool.target.app import COUNTS_PATH, RESET_PATH, TargetState, create_app
from httptool.target.h2gateway import start_h2_ports
from httptool.target.proc import parent_death_signal, stop_process

#: Seconds in-flight requests (a /delay, a long /bytes) get to finish on shutdown.
SHUTDOWN_TIMEOUT = 1.0
#: Listen backlog: load tests open hundreds of connections at once.
BACKLOG = 2048
LISTENING_PREFIX = "httptool target listening on "

T = TypeVar("T")

try:  # pragma: no cover - depends on the platform
    import uvloop as _uvloop
except ImportError:  # pragma: no cover
    _uvloop = None  # type: ignore[assignment]


class TargetStartError(HttptoolError):
    """The target could not start; the message is meant for the user as it is."""


def new_event_loop() -> asyncio.AbstractEventLoop:
    return _uvloop.new_event_loop() if _uvloop is not None else asyncio.new_event_loop()


def url_for(host: str, port: int, tls: bool = False) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


def tls_context(cert: str, key: str | None = None) -> ssl.SSLContext:
    """A server context from PEM files (``key`` may be inside ``cert``)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as e:
        raise TargetStartError(f"cannot load TLS certificate/key ({cert}, {key}): {e}") from e
    return ctx


@dataclass(frozen=True)
class H2Ports:
    """The HTTP/2 listeners to add (docs/http2.md): h2 over TLS (``tls`` is its context,
    ALPN h2) and h2c (prior knowledge); None = not served. Both forward to the app."""

    h2_port: int | None = None
    h2c_port: int | None = None
    tls: ssl.SSLContext | None = None


async def _start_h2(host: str, bound: int, tls: bool, h2: H2Ports | None
                    ) -> tuple[list[tuple[str, str]], Callable[[], Any]]:
    """Start ``h2``'s listeners; their (label, url) pairs and an async closer."""
    if h2 is None or (h2.h2_port is None and h2.h2c_port is None):
        async def nothing() -> None:
            return None
        return [], nothing
    local = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    try:
        urls, servers, fw = await start_h2_ports(url_for(local, bound, tls), host, h2.h2_port,
                                                 h2.h2c_port, h2.tls)
    except OSError as e:
        err = _bind_error(e, host, h2.h2_port or h2.h2c_port or 0)
        raise TargetStartError(str(err).replace("--port", "--h2-port/--h2c-port")) from e

    async def close() -> None:
        for server in servers:
            server.close()
        await fw.close()

    return urls, close


def _bind_error(e: OSError, host: str, port: int) -> TargetStartError:
    where = url_for(host, port).split("://", 1)[1]
    if e.errno == errno.EADDRINUSE:
        why = "address already in use (another server is listening there; pick another --port)"
    elif e.errno == errno.EACCES:
        why = "permission denied (ports below 1024 need privileges)"
    elif e.errno == errno.EADDRNOTAVAIL:
        why = "address not available on this machine"
    else:
        why = e.strerror or str(e)
    return TargetStartError(f"cannot listen on {where}: {why}")


async def start_site(
    app: web.Application, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    """Bind and start serving ``app``; returns the runner and the bound port."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context, backlog=BACKLOG)
    try:
        await site.start()
    except OSError as e:
        await runner.cleanup()
        raise _bind_error(e, host, port) from e
    except (UnicodeError, ValueError) as e:
        await runner.cleanup()
        raise TargetStartError(f"cannot listen on {host}:{port}: {e}") from e
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, bound


def serve(
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None = None,
    on_listening: Callable[[str], None] | None = None,
    state: TargetState | None = None,
    h2: H2Ports | None = None,
) -> TargetState:
    """Serve in the foreground until SIGINT or SIGTERM; returns the state (for a summary).
    ``on_listening`` gets the URL, then each HTTP/2 listener's as ``URL (h2)``/``(h2c)``.

    Raises :class:`TargetStartError` when the address cannot be bound.
    """
    state = state or TargetState()

    async def main() -> None:
        runner, bound = await start_site(create_app(state), host, port, ssl_context)
        try:
            extra, close_h2 = await _start_h2(host, bound, ssl_context is not None, h2)
        except TargetStartError:
            await runner.cleanup()
            raise
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        try:
            if on_listening is not None:
                on_listening(url_for(host, bound, ssl_context is not None))
                for label, url in extra:
                    on_listening(f"{url} ({label})")
            await stop.wait()
        finally:
            await close_h2()
            await runner.cleanup()

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        try:
            runner.run(main())
        except KeyboardInterrupt:  # platforms without loop signal handlers
            pass
    return state


def _no_proxy_opener(tls: bool) -> urllib.request.OpenerDirector:
    """urllib without proxies from the environment (tests must stay on loopback)."""
    handlers: list[Any] = [urllib.request.ProxyHandler({})]
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        handlers.append(urllib.request.HTTPSHandler(context=ctx))
    return urllib.request.build_opener(*handlers)


@dataclass
class ThreadTarget:
    """The target on its own event loop in a daemon thread of this process.

    Cheap to start (no new interpreter) and its counters are read in memory; shares the
    GIL with the caller, so prefer :class:`ProcessTarget` for anything load-heavy.
    """

    host: str = "127.0.0.1"
    port: int = 0
    ssl_context: ssl.SSLContext | None = None
    state: TargetState = field(default_factory=TargetState)
    h2: H2Ports | None = None
    #: label ("h2", "h2c") -> URL of each HTTP/2 listener, once started
    h2_urls: dict[str, str] = field(default_factory=dict)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _stop: asyncio.Event | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return url_for(self.host, self.port, self.ssl_context is not None)

    def start(self, timeout: float = 10.0) -> ThreadTarget:
        ready = threading.Event()
        error: list[BaseException] = []

        async def main() -> None:
            try:
                runner, self.port = await start_site(
                    create_app(self.state), self.host, self.port, self.ssl_context
                )
                extra, close_h2 = await _start_h2(self.host, self.port,
                                                  self.ssl_context is not None, self.h2)
                self.h2_urls = dict(extra)
            except BaseException as e:
                error.append(e)
                ready.set()
                return
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            ready.set()
            try:
                await self._stop.wait()
            finally:
                await close_h2()
                await runner.cleanup()

        def run() -> None:
            with asyncio.Runner(loop_factory=new_event_loop) as r:
                r.run(main())

        self._thread = threading.Thread(target=run, name="httptool-target", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TargetStartError("target thread did not start in time")
        if error:
            raise error[0]
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = self._loop = self._stop = None

    def _on_loop(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the server's loop thread (where the counters are incremented), so a
        reset never races with a request being counted."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return fn()
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()

        def call() -> None:
            try:
                fut.set_result(fn())
            except BaseException as e:
                fut.set_exception(e)

        loop.call_soon_threadsafe(call)
        return fut.result(10)

    def counts(self) -> dict[str, Any]:
        return self._on_loop(self.state.counts.snapshot)

    def reset(self) -> None:
        self._on_loop(self.state.counts.reset)

    def __enter__(self) -> ThreadTarget:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class ProcessTarget:
    """``httptool target`` in a child process (own interpreter, own core, own GIL).

    The child is started with ``--port 0`` by default and its listening line tells the port.
    """

    host: str = "127.0.0.1"
    port: int = 0
    tls_cert: str | None = None
    tls_key: str | None = None
    extra_args: list[str] = field(default_factory=list)
    url: str = ""
    #: label ("h2", "h2c") -> URL, from the listening lines of ``--h2-port``/``--h2c-port``
    h2_urls: dict[str, str] = field(default_factory=dict)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "httptool", "target", "--host", self.host,
               "--port", str(self.port), "--quiet"]
        if self.tls_cert:
            cmd += ["--tls-cert", self.tls_cert]
        if self.tls_key:
            cmd += ["--tls-key", self.tls_key]
        return cmd + self.extra_args

    def start(self, timeout: float = 20.0) -> ProcessTarget:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            preexec_fn=parent_death_signal(),
        )
        line = self._read_line(timeout)
        if not line.startswith(LISTENING_PREFIX):
            err = self._collect_stderr()
            self.stop()
            raise TargetStartError(f"target did not start: {(line + err).strip()!r}")
        self.url = line[len(LISTENING_PREFIX):].strip()
        self.port = int(self.url.rsplit(":", 1)[1])
        for _ in range(sum(a in ("--h2-port", "--h2c-port") for a in self.extra_args)):
            # printed right after the first line (maybe already in the reader's buffer,
            # which select() does not see): a blocking read, ended by EOF if the child dies
            raw = self._proc.stdout.readline().decode(errors="replace")  # type: ignore[union-attr]
            url, _, label = raw[len(LISTENING_PREFIX):].strip().partition(" ")
            self.h2_urls[label.strip("()")] = url
        # Nothing else is written to stdout; stderr is drained so a chatty child never blocks.
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _read_line(self, timeout: float) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if sel.select(0.1):
                    return self._proc.stdout.readline().decode(errors="replace")
                if self._proc.poll() is not None:
                    return ""
        return ""

    def _collect_stderr(self) -> str:
        assert self._proc is not None and self._proc.stderr is not None
        if self._proc.poll() is None:
            return ""
        return self._proc.stderr.read().decode(errors="replace")

    def _drain(self) -> None:
        proc = self._proc
        if proc is None or proc.stderr is None:
            return
        for raw in proc.stderr:
            sys.stderr.write(raw.decode(errors="replace"))

    def _call(self, method: str, path: str) -> dict[str, Any]:
        opener = _no_proxy_opener(self.url.startswith("https"))
        req = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST"
                                     else None)
        with opener.open(req, timeout=10) as resp:
            return json.loads(resp.read())

    def counts(self) -> dict[str, Any]:
        return self._call("GET", COUNTS_PATH)

    def reset(self) -> None:
        self._call("POST", RESET_PATH)

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        return None if self._proc is None else stop_process(self._proc, timeout)

    def __enter__(self) -> ProcessTarget:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
