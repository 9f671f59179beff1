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


def load_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))
