"""A tiny HTTP/1.1 keep-alive server that stalls for a while, for coordinated-omission tests.

It answers every request at once with ``200 ok`` except during a *stall window*: from
``stall_from`` to ``stall_to`` seconds after the first request it received, every response
is held until the window ends (a request arriving in the window waits for its end; one
being answered when the window opens is not held). It counts what it receives.

``GET /__counts`` (never counted, never held) returns
``{"total": N, "held": M, "first_ns": ..., "window": [from, to]}``: ``total`` requests
received, ``held`` of them answered late because of the window.

Run it in its own process (own interpreter and GIL, so the load generator under test and
the server do not slow each other) with :class:`StallProcess`::

    with StallProcess(stall_from=1.5, stall_to=2.5) as srv:
        srv.url            # "http://127.0.0.1:PORT"
        srv.counts()       # {"total": ..., "held": ...}

or in a loop of your own with ``await StallServer(...).start()``.

:func:`frozen_loop_shard` is the other kind of stall: the load generator's own event loop
blocked for a while (as by a long GC pause or a starved CPU), for ``run_scenario``'s
``shard_fn``.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import signal
import subprocess
import sys
import time
from typing import Any

from httptool.target.proc import parent_death_signal, stop_process

LISTENING = "LISTENING "
COUNTS_PATH = "/__counts"
_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
#: Largest request head accepted (bytes); the clients under test send far less.
MAX_HEAD = 64 * 1024


class StallServer:
    """The server itself (asyncio); see the module docstring."""

    def __init__(self, stall_from: float, stall_to: float, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.stall_from = stall_from
        self.stall_to = stall_to
        self.host = host
        self.port = port
        self.total = 0
        self.held = 0
        self.first_ns = 0  # monotonic time of the first counted request
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> StallServer:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):  # handlers end on EOF instead of being cancelled
            w.close()
        for _ in range(100):  # bounded: at most ~1 s
            if not self._writers:
                break
            await asyncio.sleep(0.01)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def counts(self) -> dict[str, Any]:
        return {"total": self.total, "held": self.held, "first_ns": self.first_ns,
                "window": [self.stall_from, self.stall_to]}

    async def _hold(self) -> bool:
        """Wait until the stall window is over if it is open now; True if it waited."""
        now = time.monotonic_ns()
        if not self.first_ns:
            self.first_ns = now
            return False
        t = (now - self.first_ns) / 1e9
        if self.stall_from <= t < self.stall_to:
            await asyncio.sleep(self.stall_to - t)
            return True
        return False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        ConnectionError):
                    return
                if len(head) > MAX_HEAD:
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                path = parts[1] if len(parts) > 1 else "/"
                length = 0
                close = False
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    key = name.strip().lower()
                    if key == "content-length":
                        length = int(value.strip() or 0)
                    elif key == "connection" and value.strip().lower() == "close":
                        close = True
                if length:
                    await reader.readexactly(length)
                if path.startswith(COUNTS_PATH):
                    body = json.dumps(self.counts()).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                else:
                    self.total += 1
                    if await self._hold():
                        self.held += 1
                    writer.write(_OK)
                await writer.drain()
                if close:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()


class StallProcess:
    """A :class:`StallServer` in a child process; a context manager (stops it on exit)."""

    def __init__(self, stall_from: float, stall_to: float, host: str = "127.0.0.1") -> None:
        self.stall_from = stall_from
        self.stall_to = stall_to
        self.host = host
        self.url = ""
        self.port = 0
        self._proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 20.0) -> StallProcess:
        self._proc = subprocess.Popen(
            [sys.executable, __file__, "--host", self.host,
             "--stall-from", repr(self.stall_from), "--stall-to", repr(self.stall_to)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
            preexec_fn=parent_death_signal())
        assert self._proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline and not line:  # bounded: readline returns at EOF
            line = self._proc.stdout.readline()
            if self._proc.poll() is not None:
                break
        if not line.startswith(LISTENING):
            self.stop()
            raise RuntimeError(f"stall server did not start: {line!r}")
        self.url = line[len(LISTENING):].strip()
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def counts(self) -> dict[str, Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request("GET", COUNTS_PATH)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process(proc, 5)

    def __enter__(self) -> StallProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def frozen_loop_shard(config: Any, channel: Any, *, at: float, seconds: float) -> None:
    """:func:`httptool.run.shard.run_shard`, with this shard's event loop blocked for
    ``seconds`` from ``at`` seconds after the run's common start (a blocking
    ``time.sleep`` in a loop callback). Picklable with :func:`functools.partial`, so it
    also runs in shard processes. Patches the engine's loop factory while it runs (one
    shard per process, or the only shard of a ``workers=1`` run)."""
    from httptool.engine import loop as engine_loop
    from httptool.run.shard import run_shard

    real = engine_loop.new_event_loop

    def factory() -> asyncio.AbstractEventLoop:
        lp = real()
        delay = (config.start_wall_ns - time.time_ns()) / 1e9 + at
        lp.call_later(max(delay, 0.0), time.sleep, seconds)
        return lp

    engine_loop.new_event_loop = factory  # type: ignore[assignment]
    try:
        run_shard(config, channel)
    finally:
        engine_loop.new_event_loop = real  # type: ignore[assignment]


async def _serve(args: argparse.Namespace) -> None:
    srv = await StallServer(args.stall_from, args.stall_to, args.host).start()
    print(LISTENING + srv.url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await srv.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--stall-from", type=float, required=True)
    p.add_argument("--stall-to", type=float, required=True)
    asyncio.run(_serve(p.parse_args(argv)))


if __name__ == "__main__":
    main()
