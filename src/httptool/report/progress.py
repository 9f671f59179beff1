"""``--progress``: the plain progress line (pipes, CI) or a live panel (terminals).

Both are fed by the coordinator with merged :class:`RunResult` objects, never by the
shards, so progress costs the load nothing: the coordinator calls ``update(result, now)``
whenever it has a fresh merged result (at least every 0.5 s) and ``finish(result)`` once
at the end. ``now`` is any monotonic clock in seconds (the same one for every call).
The numbers are the same everywhere: requests = ``total_requests``, errors =
``total_failures`` (transport errors, bad statuses and failed assertions alike), active
VUs = ``active``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TextIO

from httptool.metrics.result import RunResult
from httptool.report.info import RunInfo
from httptool.report.lines import completed_line, interrupted_line, progress_line
from httptool.report.units import fmt_elapsed, fmt_latency_ns, fmt_rate

if TYPE_CHECKING:  # rich is imported only for the live panel (~55 ms of start-up)
    from rich.console import Console, RenderableType

#: Seconds between two plain progress lines (the founding document's cadence).
PLAIN_INTERVAL = 2.0
#: Shortest time between two redraws of the live panel (it costs ~1 ms per draw).
LIVE_REFRESH = 0.25


class Progress(Protocol):
    """What the CLI drives; ``stream`` is where other console lines (``--verbose``)
    should be written so they do not tear the live panel."""

    @property
    def stream(self) -> TextIO: ...

    def update(self, result: RunResult, now: float) -> None: ...

    def finish(self, result: RunResult) -> None: ...


class PlainProgress:
    """``🔄 Progress: N requests | N errors | N active VUs`` every ``interval`` seconds
    (the first one ``interval`` after ``start``, default: the first update's ``now``),
    and ``✓ Completed: N requests | N errors`` from :meth:`finish` — or
    ``✗ Interrupted: N requests | N errors`` when ``info`` says the run was interrupted
    (read at :meth:`finish`, since the CLI learns it only when the run has ended).

    Lines are due on a fixed grid (start + k * interval), so a late update does not
    shift the ones after it; a missed slot is skipped, not caught up.
    """

    def __init__(self, stream: TextIO, interval: float = PLAIN_INTERVAL,
                 start: float | None = None, info: RunInfo | None = None) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._stream = stream
        self.info = info
        self.interval = interval
        self._next = None if start is None else start + interval
        self._done = False

    @property
    def stream(self) -> TextIO:
        return self._stream

    def update(self, result: RunResult, now: float) -> None:
        if self._done:
            return
        if self._next is None:
            self._next = now + self.interval
            return
        if now < self._next:
            return
        while self._next <= now:
            self._next += self.interval
        self._write(progress_line(result.total_requests, result.total_failures,
                                  result.active, result.total.resent))

    def finish(self, result: RunResult) -> None:
        if self._done:
            return
        self._done = True
        interrupted = self.info is not None and self.info.interrupted
        line = interrupted_line if interrupted else completed_line
        self._write(line(result.total_requests, result.total_failures, result.total.resent))

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()


class _AbovePanel:
    """A text stream whose complete lines are printed above the live panel."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._pending = ""

    def write(self, text: str) -> int:
        data = self._pending + text
        head, sep, self._pending = data.rpartition("\n")
        if sep:
            self._console.print(head, markup=False, highlight=False, emoji=False,
                                soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.write("\n")
        self._console.file.flush()

    def isatty(self) -> bool:
        return self._console.is_terminal


class LiveProgress:
    """A rich panel, redrawn at most every ``refresh`` seconds from the latest result:
    a progress bar (by iterations in the iterations model, else by planned duration;
    pulsing when neither is known), elapsed/remaining time, requests, errors, active VUs,
    current req/s (last 2 whole seconds; the run so far before that) and the run's p95 so far.

    No background thread: redraws happen inside :meth:`update`, on the coordinator's
    schedule. Lines written to :attr:`stream` appear above the panel.
    """

    def __init__(self, console: Console, info: RunInfo, refresh: float = LIVE_REFRESH) -> None:
        from rich.live import Live

        self.console = console
        self.info = info
        self.refresh = refresh
        self._live = Live(console=console, auto_refresh=False, transient=False,
                          redirect_stdout=False, redirect_stderr=False)
        self._stream = _AbovePanel(console)
        self._started = False
        self._done = False
        self._last_draw: float | None = None

    @property
    def stream(self) -> TextIO:
        return self._stream  # type: ignore[return-value]

    def update(self, result: RunResult, now: float) -> None:
        if self._done:
            return
        if self._last_draw is not None and now - self._last_draw < self.refresh:
            return
        self._last_draw = now
        self._draw(result)

    def finish(self, result: RunResult) -> None:
        if self._done:
            return
        self._draw(result, final=True, refresh=False)
        self._done = True
        self._live.stop()  # draws the final panel once and leaves it on screen

    def _draw(self, result: RunResult, final: bool = False, refresh: bool = True) -> None:
        if not self._started:
            self._live.start(refresh=False)
            self._started = True
        self._live.update(self.render(result, final), refresh=refresh)

    def render(self, result: RunResult, final: bool = False) -> RenderableType:
        """The panel for ``result`` (public for tests and for a final static print)."""
        from rich.console import Group
        from rich.panel import Panel
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        info = self.info
        elapsed = result.duration_s
        fraction, remaining = _progress(result, info, final)
        bar = ProgressBar(total=None if fraction is None else 1.0,
                          completed=fraction or 0.0, width=40)
        pct = "" if fraction is None else f"{fraction * 100:5.1f}%"
        top = Table.grid(padding=(0, 1))
        top.add_row(bar, Text(pct))
        times = f"elapsed {fmt_elapsed(elapsed)}"
        if remaining is not None and not final:
            if remaining <= 0:  # the duration is over: the grace period for iterations
                times += " · letting iterations in flight finish"
            else:
                approx = "~" if info.planned_iterations else ""  # at the current pace
                times += f" · remaining {approx}{fmt_elapsed(remaining)}"
        errors = result.total_failures
        counts = Text.assemble(
            f"requests {result.total_requests} · ",
            (f"errors {errors}", "red" if errors else ""),
            f" · active VUs {result.active}",
        )
        lat = result.total.latency_hist
        p95 = fmt_latency_ns(lat.quantile(0.95)) if lat.count else "-"
        speed = f"req/s {fmt_rate(result.recent_rps()).removesuffix('/s')} · p95 {p95}"
        state = "done" if final else "running"
        if final and info.interrupted:
            state = "interrupted"
        return Panel(Group(top, Text(times), counts, Text(speed)),
                     title=f"httptool · {info.scenario} · {state}", subtitle=info.load,
                     expand=False)


def _progress(result: RunResult, info: RunInfo, final: bool) -> tuple[float | None,
                                                                      float | None]:
    """(fraction done or None, remaining seconds or None) for the bar and the label."""
    elapsed = result.duration_s
    if info.planned_iterations:
        total = info.planned_iterations
        done = result.completed + result.interrupted
        fraction = min(1.0, done / total)
        remaining = None
        if 0 < fraction < 1 and elapsed > 0:
            remaining = elapsed * (1 - fraction) / fraction  # an estimate at the current pace
        return (1.0 if final and not info.interrupted else fraction), remaining
    if info.planned_duration:
        fraction = min(1.0, elapsed / info.planned_duration)
        return fraction, max(0.0, info.planned_duration - elapsed)
    return (1.0 if final else None), None


def make_progress(stream: TextIO, info: RunInfo, live: bool | None = None,
                  color: bool = True) -> PlainProgress | LiveProgress:
    """The right progress reporter for ``stream``: the live panel on a terminal, the plain
    lines otherwise (``live`` forces either; ``color`` False draws the panel uncoloured)."""
    if live is None:
        isatty = getattr(stream, "isatty", None)
        live = bool(isatty and isatty())
    if not live:
        return PlainProgress(stream, info=info)
    from rich.console import Console

    console = Console(file=stream, force_terminal=True, no_color=not color,
                      highlight=False)
    return LiveProgress(console, info)
