"""Helpers for the importer tests: run ``httptool`` as a user does, build small HARs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
RECORDED_HAR = DATA / "har" / "app-session.har"
#: the origin the committed HAR was recorded against (a port of that recording's target)
RECORDED_ORIGIN = json.loads(RECORDED_HAR.read_text())["log"]["entries"][0]["request"]["url"]
RECORDED_ORIGIN = RECORDED_ORIGIN.split("/app/", 1)[0]


def httptool(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "httptool", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


def entry(url: str, method: str = "GET", status: int = 200, *,
          req_headers: list[tuple[str, str]] | None = None, post: dict[str, Any] | None = None,
          resp_headers: list[tuple[str, str]] | None = None, mime: str = "application/json",
          body: str = "", started: str = "2026-01-01T00:00:00.000Z") -> dict[str, Any]:
    """One HAR entry, as browsers write them."""
    request: dict[str, Any] = {
        "method": method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in req_headers or []],
        "queryString": [], "headersSize": -1, "bodySize": 0}
    if post is not None:
        request["postData"] = post
    return {
        "startedDateTime": started, "time": 5, "request": request,
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1",
                     "cookies": [], "headers": [{"name": k, "value": v}
                                                for k, v in resp_headers or []],
                     "content": {"size": len(body), "mimeType": mime, "text": body},
                     "redirectURL": "", "headersSize": -1, "bodySize": len(body)},
        "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0}}


def har(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
                    "entries": list(entries)}}


def write_har(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path
