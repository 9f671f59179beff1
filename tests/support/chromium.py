"""Headless Chromium driven over the Chrome DevTools protocol (aiohttp's websocket
client; no Playwright, no browser download) for the browser tests (tests/report,
tests/live). Import it after skipping when :data:`CHROMIUM` is None."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from httptool.target.proc import stop_process

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VIEW_W, VIEW_H = 1280, 900

# ------------------------------------------------------------------ a small CDP client


class CDP:
    """One websocket to the browser; commands to a page go with its ``sessionId``."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            fut = self.pending.pop(data["id"], None) if "id" in data else None
            if fut is None:
                self.events.append(data)
            elif "error" in data:
                fut.set_exception(RuntimeError(f"CDP error: {data['error']}"))
            else:
                fut.set_result(data.get("result", {}))

    async def send(self, method: str, params: dict[str, Any] | None = None,
                   session: str | None = None, timeout: float = 30.0) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = fut
        await self.ws.send_str(json.dumps(msg))
        return await asyncio.wait_for(fut, timeout)

    def named(self, method: str) -> list[dict[str, Any]]:
        return [e.get("params", {}) for e in self.events if e.get("method") == method]

    async def wait_event(self, method: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.named(method)
            if found:
                return found[-1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {method} event within {timeout}s")


def start_chromium(profile: Path, loopback: bool = False
                   ) -> tuple[subprocess.Popen[bytes], str]:
    """Headless Chromium with an offline-by-default profile; returns it and its
    DevTools websocket URL (from the DevToolsActivePort file)."""
    args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9",
            # every request goes to a dead proxy, loopback too unless ``loopback`` (a page
            # served by the tool itself)
            "--proxy-bypass-list=" + ("127.0.0.1" if loopback else "<-loopback>"),
            "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-default-apps", "--mute-audio",
            "--hide-scrollbars", f"--window-size={VIEW_W},{VIEW_H}", "about:blank"]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"chromium exited with {proc.returncode}")
        if port_file.exists():
            lines = port_file.read_text().split("\n")
            if len(lines) >= 2 and lines[0].strip().isdigit() and lines[1].strip():
                return proc, f"ws://127.0.0.1:{lines[0].strip()}{lines[1].strip()}"
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    raise AssertionError("chromium did not open its DevTools port within 30s")



async def evaluate(cdp: CDP, session: str, expr: str) -> Any:
    r = await cdp.send("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                       session)
    assert "exceptionDetails" not in r, r["exceptionDetails"]
    return r["result"].get("value")


async def wait_drawn(cdp: CDP, session: str, want: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = await evaluate(cdp, session, "document.body.getAttribute('data-charts-drawn')")
        if got == str(want):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the charts were not drawn within {timeout}s (data-charts-drawn)")


async def screenshot(cdp: CDP, session: str, path: Path) -> None:
    metrics = await cdp.send("Page.getLayoutMetrics", {}, session)
    height = int(metrics["cssContentSize"]["height"])
    shot = await cdp.send("Page.captureScreenshot",
                          {"format": "png", "captureBeyondViewport": True,
                           "clip": {"x": 0, "y": 0, "width": VIEW_W, "height": height,
                                    "scale": 1}}, session)
    path.write_bytes(base64.b64decode(shot["data"]))


@contextlib.asynccontextmanager
async def chromium_tab(profile: Path, loopback: bool = False
                       ) -> AsyncIterator[tuple[CDP, str]]:
    """A fresh headless Chromium with one blank tab: (its DevTools connection, the tab's
    session id); the browser is ended on the way out."""
    profile.mkdir()
    proc, ws_url = start_chromium(profile, loopback)
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(
                ws_url, max_msg_size=0) as ws:
            cdp = CDP(ws)
            target = await cdp.send("Target.createTarget", {"url": "about:blank"})
            attached = await cdp.send("Target.attachToTarget",
                                      {"targetId": target["targetId"], "flatten": True})
            yield cdp, attached["sessionId"]
    finally:
        stop_process(proc)
