"""One object that takes the coordinator's callbacks and feeds every live reporter.

:class:`RunReporter` has the methods of ``httptool.run.orchestrator.Listener``
(``on_phase``, ``on_events``, ``on_result``, ``on_signal``) without importing it (the
report layer sits below ``run``), so the CLI can pass it to ``run_scenario`` as is. It
wires the console correctly: with a live panel, verbose lines go above the panel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol, TextIO

from httptool.events import Event
from httptool.metrics.result import RunResult
from httptool.report.info import RunInfo
from httptool.report.outputs import EventWriter
from httptool.report.progress import LiveProgress, PlainProgress, make_progress
from httptool.report.status_line import StatusLine
from httptool.report.verbose import VerbosePrinter


class LiveSink(Protocol):
    """A reader of the merged results during the run (the dashboard, the Prometheus
    endpoint): ``update`` must be quick, it runs on the coordinator's thread."""

    def update(self, result: RunResult) -> None: ...


class RunReporter:
    """Progress (optional), verbose log (optional) and streaming files, fed during a run;
    :meth:`close` at the end (also after Ctrl-C or an error) finishes each of them."""

    def __init__(self, progress: PlainProgress | LiveProgress | StatusLine | None = None,
                 verbose: VerbosePrinter | None = None, writers: Sequence[EventWriter] = (),
                 clock: Callable[[], float] = time.monotonic,
                 live: Sequence[LiveSink] = ()) -> None:
        self.progress = progress
        self.live = list(live)
        self.verbose = verbose
        self.writers = list(writers)
        self.clock = clock
        self.last: RunResult | None = None
        self._closed = False

    @classmethod
    def for_console(cls, stream: TextIO, info: RunInfo, *, progress: bool, verbose: bool,
                    writers: Sequence[EventWriter] = (), live: bool | None = None,
                    color: bool = True, sinks: Sequence[LiveSink] = ()) -> RunReporter:
        """The usual wiring for ``scenario run``: ``--progress`` picks the plain line or
        the live panel (``live`` None: by ``stream.isatty()``); ``--verbose`` writes to
        the same console, above the panel when there is one."""
        prog = make_progress(stream, info, live=live, color=color) if progress else None
        printer = VerbosePrinter(prog.stream if prog is not None else stream) \
            if verbose else None
        return cls(prog, printer, writers, live=sinks)

    def on_phase(self, phase: str) -> None:
        """Nothing to show per phase (the summary reports the run)."""

    def on_events(self, batch: list[Event]) -> None:
        if self.verbose is not None:
            self.verbose.handle(batch)
        for w in self.writers:
            w.handle(batch)

    def on_result(self, result: RunResult) -> None:
        self.last = result
        if self.progress is not None:
            self.progress.update(result, self.clock())
        for sink in self.live:
            sink.update(result)

    def on_signal(self, count: int) -> None:
        """Nothing here: the CLI says what a Ctrl-C does."""

    def close(self, result: RunResult | None = None) -> None:
        """Finish the progress display (Completed or Interrupted line / final panel),
        print the per-VU table (verbose) and close every file; each step runs even if
        another fails.
        ``result`` defaults to the last one received. Idempotent."""
        if self._closed:
            return
        self._closed = True
        final = result if result is not None else self.last
        steps: list[Callable[[], None]] = []
        if final is not None and self.progress is not None:
            steps.append(lambda: self.progress.finish(final))  # type: ignore[union-attr]
        if final is not None and self.verbose is not None:
            steps.append(lambda: self.verbose.finish(final))  # type: ignore[union-attr]
        steps += [w.close for w in self.writers]
        error: BaseException | None = None
        for step in steps:
            try:
                step()
            except BaseException as e:  # finish the others, then raise the first
                error = error or e
        if error is not None:
            raise error
