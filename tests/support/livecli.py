"""Helpers of tests/live: the CLI as a subprocess, free ports, a scenario to watch."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

SCENARIO = """\
request home {{
  curl {url}/get
  assert {{ status == 200 }}
}}
request missing {{
  curl {url}/status/404
}}
scenario watch {{
  load {{ vus = {vus}, duration = {duration} }}
  think_time = {think}
  run home
  run missing
}}
"""


def write_scenario(tmp: Path, url: str, *, vus: int = 4, duration: str = "3s",
                   think: str = "20ms") -> Path:
    path = tmp / "watch.httpx"
    path.write_text(SCENARIO.format(url=url, vus=vus, duration=duration, think=think),
                    encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str, **kw: Any) -> subprocess.Popen[str]:
    """``python -m httptool ARGS`` with stdout and stderr piped (text)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.Popen([sys.executable, "-m", "httptool", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([sys.executable, "-m", "httptool", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def run_on_busy_port(target: Any, tmp: Path, *options: str
                     ) -> tuple[subprocess.CompletedProcess[str], int]:
    """A 1-VU, 1 s ``scenario run`` of ``target`` with ``options`` (``{port}`` filled in)
    naming a loopback port another socket listens on, the target's counters reset just
    before: (the run, the port)."""
    scenario = write_scenario(tmp, target.url, vus=1, duration="1s")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = int(busy.getsockname()[1])
        target.reset()
        args = [o.format(port=port) for o in options]
        return run_cli("scenario", "run", str(scenario), *args), port


def load_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def wait_http(url: str, timeout: float = 30) -> None:
    """Until ``url`` answers 200 (a server the CLI is starting)."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer within {timeout}s")
        time.sleep(0.1)


async def read_sse(session: Any, url: str, stop_after: str = "final",
                   limit: float = 60) -> list[tuple[str, Any]]:
    """Events of a Server-Sent Events stream, ``(event, parsed data)``, up to and
    including the first ``stop_after`` event (or the end of the stream)."""
    import asyncio

    events: list[tuple[str, Any]] = []
    async with asyncio.timeout(limit), session.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        kind, data = "message", ""
        async for raw in resp.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
            elif line == "" and data:
                events.append((kind, json.loads(data)))
                if kind == stop_after:
                    break
                kind, data = "message", ""
    return events
