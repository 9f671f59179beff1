"""Running ``httptool scenario run`` as a user does, and reading what it printed.

Black-box helpers for tests/e2e: the CLI runs as a subprocess (``python -m httptool``)
with stdout a pipe (or a pseudo-terminal), every stdout line is timestamped as it arrives
(to measure the progress cadence), and the console contract of spec/PROGRESS-DEMO.md is
parsed with exact regular expressions (:func:`parse_console`). Nothing here imports
httptool: the tests see only what a user sees.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------ the contract shapes

#: `` | N resent`` follows the errors only when copies were resent (docs/outputs.md)
_RESENT = r"(?: \| (\d+) resent)?"
PROGRESS_RE = re.compile(
    rf"^🔄 Progress: (\d+) requests \| (\d+) errors{_RESENT} \| (\d+) active VUs$")
COMPLETED_RE = re.compile(rf"^✓ Completed: (\d+) requests \| (\d+) errors{_RESENT}$")
INTERRUPTED_RE = re.compile(rf"^✗ Interrupted: (\d+) requests \| (\d+) errors{_RESENT}$")
_TS = r"\[(\d\d):(\d\d):(\d\d)\]"
STARTED_RE = re.compile(rf"^{_TS} VU (\d+) started$")
ITERATION_RE = re.compile(rf"^{_TS} VU (\d+) → iteration (\d+)$")
REQUEST_RE = re.compile(
    rf"^{_TS} VU (\d+) ([✓✗]) ([A-Z]+) (\S+) - (\d{{3}}|ERR) \((\d+)ms\)$")
REASON_RE = re.compile(rf"^{_TS} VU (\d+)   ↳ (\S.*)$")
RESENT_LINE_RE = re.compile(
    rf"^{_TS} VU (\d+) ↻ ([A-Z]+) (\S+) - no response, resent \((\d+)ms\)$")
DONE_RE = re.compile(rf"^{_TS} VU (\d+) done$")
PER_VU_RE = re.compile(
    r"^  VU (\d+): (\d+) iterations, (\d+) requests \(✓ (\d+), ✗ (\d+)(?:, ↻ (\d+) resent)?\), "
    r"avg latency: (\d+)ms$")
SUMMARY_REQUESTS_RE = re.compile(r"^  requests \.+: (\d+) \(", re.M)
SUMMARY_FAILURES_RE = re.compile(r"^  failures \.+: (\d+) \(", re.M)
SUMMARY_ITERATIONS_RE = re.compile(
    r"^  iterations \.+: (\d+) completed \([^)]*\), (\d+) dropped, (\d+) interrupted$", re.M)


@dataclass
class Request:
    """One ``✓``/``✗`` verbose line (and its ``↳`` reason line when it failed)."""

    vu: int
    ok: bool
    method: str
    url: str
    status: str  # "200" or "ERR"
    ms: int
    reason: str | None = None


@dataclass
class PerVU:
    vu: int
    iterations: int
    requests: int
    ok: int
    failed: int
    resent: int
    avg_ms: int


@dataclass
class Console:
    """stdout of a run, split into the contract's parts.

    ``stray`` are lines before the summary that match no contract shape (a correct run
    has none); ``summary`` is the text from the ``Summary`` header on."""

    progress: list[tuple[int, int, int]] = field(default_factory=list)
    completed: tuple[int, int] | None = None
    interrupted: tuple[int, int] | None = None  # the end line of a Ctrl-C'd run
    resent: int = 0  # the end line's resent copies
    resent_lines: list[Request] = field(default_factory=list)  # ``↻`` verbose lines
    started: list[int] = field(default_factory=list)
    iterations: list[tuple[int, int]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    per_vu_header: bool = False
    per_vu: list[PerVU] = field(default_factory=list)
    per_vu_other: list[str] = field(default_factory=list)  # condensed-table lines
    stray: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def summary_requests(self) -> int:
        m = SUMMARY_REQUESTS_RE.search(self.summary)
        assert m, f"no requests line in the summary:\n{self.summary}"
        return int(m.group(1))

    @property
    def summary_failures(self) -> int:
        m = SUMMARY_FAILURES_RE.search(self.summary)
        assert m, f"no failures line in the summary:\n{self.summary}"
        return int(m.group(1))

    @property
    def summary_iterations(self) -> tuple[int, int, int]:
        m = SUMMARY_ITERATIONS_RE.search(self.summary)
        assert m, f"no iterations line in the summary:\n{self.summary}"
        return int(m.group(1)), int(m.group(2)), int(m.group(3))


def parse_console(stdout: str) -> Console:
    """Split a non-terminal ``scenario run`` stdout into its contract parts."""
    c = Console()
    lines = stdout.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    last_request: Request | None = None
    for i, line in enumerate(lines):
        if line == "Summary" and i > 0 and lines[i - 1] == "":
            c.summary = "\n".join(lines[i:])
            if c.stray and c.stray[-1] == "":
                c.stray.pop()  # the blank line before the summary
            break
        if c.per_vu_header:
            m = PER_VU_RE.match(line)
            if m:
                c.per_vu.append(PerVU(*(int(g or 0) for g in m.groups())))
            elif line.startswith("  "):
                c.per_vu_other.append(line)
            else:
                c.stray.append(line)
            continue
        if m := PROGRESS_RE.match(line):
            c.progress.append((int(m[1]), int(m[2]), int(m[4])))
        elif m := COMPLETED_RE.match(line):
            assert c.completed is None and c.interrupted is None, "two end lines"
            c.completed = (int(m[1]), int(m[2]))
            c.resent = int(m[3] or 0)
        elif m := INTERRUPTED_RE.match(line):
            assert c.completed is None and c.interrupted is None, "two end lines"
            c.interrupted = (int(m[1]), int(m[2]))
            c.resent = int(m[3] or 0)
        elif m := RESENT_LINE_RE.match(line):
            # a copy that got no answer and was sent again: its ↳ line says why
            last_request = Request(int(m[4]), False, m[5], m[6], "ERR", int(m[7]))
            c.resent_lines.append(last_request)
            continue
        elif m := REQUEST_RE.match(line):
            last_request = Request(int(m[4]), m[5] == "✓", m[6], m[7], m[8], int(m[9]))
            c.requests.append(last_request)
            continue
        elif m := REASON_RE.match(line):
            vu = int(m[4])
            # a reason line follows its own ✗ line at once (the log is per batch)
            if (last_request is None or last_request.ok or last_request.vu != vu
                    or last_request.reason is not None):
                c.stray.append(line)
            else:
                last_request.reason = m[5]
        elif m := STARTED_RE.match(line):
            c.started.append(int(m[4]))
        elif m := ITERATION_RE.match(line):
            c.iterations.append((int(m[4]), int(m[5])))
        elif m := DONE_RE.match(line):
            c.done.append(int(m[4]))
        elif line == "Per-VU Results:":
            c.per_vu_header = True
        else:
            c.stray.append(line)
        last_request = None
    return c


# ------------------------------------------------------------------ running the CLI


@dataclass
class CliRun:
    """A finished run: exit code, outputs, and when each stdout line arrived (seconds
    since the process was started)."""

    returncode: int
    stdout: str
    stderr: str
    lines: list[tuple[float, str]]
    wall: float

    def console(self) -> Console:
        return parse_console(self.stdout)

    def lines_matching(self, regex: re.Pattern[str]) -> list[tuple[float, str]]:
        return [(t, s) for t, s in self.lines if regex.match(s)]


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a run: ours without NO_COLOR (tests set it on purpose)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    return env


def run_cli(
    *args: str,
    cwd: Path | str = REPO,
    env: dict[str, str] | None = None,
    timeout: float = 90.0,
    on_line: Callable[[float, str, subprocess.Popen[bytes]], None] | None = None,
    new_session: bool = False,
) -> CliRun:
    """``python -m httptool ARGS`` with stdout and stderr pipes; stdout read line by line
    as it comes (``on_line(t, line, proc)`` for each, e.g. to send a signal). Killed after
    ``timeout`` seconds (the test then fails on the exit code)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "httptool", *args], cwd=cwd,
                            env=env if env is not None else cli_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=new_session)
    err_chunks: list[bytes] = []
    err_reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()),
                                  daemon=True)  # type: ignore[union-attr]
    err_reader.start()
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    lines: list[tuple[float, str]] = []
    raw: list[bytes] = []
    try:
        assert proc.stdout is not None
        for b in iter(proc.stdout.readline, b""):
            t = time.monotonic() - t0
            raw.append(b)
            line = b.decode("utf-8", "replace").rstrip("\n")
            lines.append((t, line))
            if on_line is not None:
                on_line(t, line, proc)
        proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err_reader.join(10)
    return CliRun(proc.returncode, b"".join(raw).decode("utf-8", "replace"),
                  b"".join(err_chunks).decode("utf-8", "replace"), lines,
                  time.monotonic() - t0)


def httptool_run(scenario: Path, *args: str, **kw: Any) -> CliRun:
    """``httptool scenario run SCENARIO ARGS`` (see :func:`run_cli`)."""
    return run_cli("scenario", "run", str(scenario), *args, **kw)


@dataclass
class PtyRun:
    returncode: int
    output: bytes  # everything written to the terminal (stdout)
    stderr: str


def run_in_pty(*args: str, env: dict[str, str] | None = None, cwd: Path | str = REPO,
               timeout: float = 60.0, columns: int = 100, rows: int = 30) -> PtyRun:
    """``python -m httptool ARGS`` with stdout a pseudo-terminal of ``columns`` x ``rows``
    (stderr a pipe), as when a user runs it in a terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "httptool", *args], cwd=cwd,
                            env=env if env is not None else cli_env(),
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    err_chunks: list[bytes] = []
    err_reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()),
                                  daemon=True)  # type: ignore[union-attr]
    err_reader.start()
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        else:
            proc.kill()
        proc.wait(timeout=10)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err_reader.join(10)
    return PtyRun(proc.returncode, bytes(out), b"".join(err_chunks).decode("utf-8", "replace"))


def send_sigint(proc: subprocess.Popen[bytes], group: bool = False) -> None:
    """Ctrl-C: to the process only, or (``group``) to its whole process group as a
    terminal does (the process must have been started in its own session)."""
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)


# ------------------------------------------------------------------ scenario files, outputs


def closed_port_url() -> str:
    """``http://127.0.0.1:PORT`` where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def write_scenario(tmp_path: Path, text: str, name: str = "s.httpx") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Outputs:
    """The four output files of a run, parsed with the standard library only."""

    ndjson: list[dict[str, Any]]
    csv: list[dict[str, str]]
    summary: dict[str, Any]
    junit: ET.Element | None


def output_args(tmp_path: Path, junit: bool = True) -> list[str]:
    args = ["--out", f"json={tmp_path / 'out.ndjson'}", "--out", f"csv={tmp_path / 'out.csv'}",
            "--summary-json", str(tmp_path / "summary.json")]
    if junit:
        args += ["--junit", str(tmp_path / "junit.xml")]
    return args


def read_outputs(tmp_path: Path) -> Outputs:
    """Parse the files written by :func:`output_args`; every line must be complete."""
    nd_bytes = (tmp_path / "out.ndjson").read_bytes()
    assert nd_bytes == b"" or nd_bytes.endswith(b"\n"), "NDJSON ends in a partial line"
    ndjson = [json.loads(line) for line in nd_bytes.decode("utf-8").splitlines()]
    csv_bytes = (tmp_path / "out.csv").read_bytes()
    assert csv_bytes.endswith(b"\r\n"), "CSV ends in a partial row"
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    junit_path = tmp_path / "junit.xml"
    junit = ET.parse(junit_path).getroot() if junit_path.exists() else None
    return Outputs(ndjson, rows, summary, junit)
