"""A run on a terminal without ``--progress``: one start line, then one status line
redrawn in place, cleared before the summary.

Without it a 10-minute run showed nothing until its summary, which reads as a hang
(issue 23 item 11). It is written only to a terminal: a pipe or a CI log gets neither
(their stdout is the console contract of docs/progress-tracking.md, where every line
has a shape), and ``--quiet`` turns it off.
"""

from __future__ import annotations

from typing import TextIO

from httptool.metrics.result import RunResult
from httptool.report.info import RunInfo
from httptool.report.units import fmt_elapsed

#: Shortest time between two redraws (a write to a terminal per update is wasted).
REDRAW = 0.5
#: Erase the terminal line the cursor is on, cursor to its start.
_CLEAR = "\r\x1b[2K"


def start_line(info: RunInfo) -> str:
    """``Running scenario s of f.httpx: 10 VUs for 30s (closed model), 2 workers``."""
    workers = f", {info.workers} worker{'s' if info.workers != 1 else ''}"
    return f"Running scenario {info.scenario} of {info.file}: {info.load}{workers}"


class StatusLine:
    """The progress the CLI drives when ``--progress`` was not given, on a terminal."""

    def __init__(self, stream: TextIO, info: RunInfo) -> None:
        self._stream = stream
        self.info = info
        self._start: float | None = None
        self._last = -REDRAW
        self._shown = False
        stream.write(start_line(info) + "\n")
        stream.flush()

    @property
    def stream(self) -> TextIO:
        return self._stream

    def update(self, result: RunResult, now: float) -> None:
        if self._start is None:
            self._start = now
        if now - self._last < REDRAW:
            return
        self._last = now
        elapsed = fmt_elapsed(now - self._start)
        planned = self.info.planned_duration
        of = f" of {fmt_elapsed(planned)}" if planned else ""
        self._stream.write(f"{_CLEAR}  {elapsed}{of} · {result.total_requests:,} requests · "
                           f"{result.total_failures:,} failed · {result.active:,} VUs active")
        self._stream.flush()
        self._shown = True

    def finish(self, result: RunResult) -> None:
        if self._shown:
            self._stream.write(_CLEAR)
            self._stream.flush()
            self._shown = False
