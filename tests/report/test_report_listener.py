"""RunReporter: the coordinator's callbacks reach every reporter; close finishes all."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from reportdata import build, demo_run, events_of

from httptool.report.info import RunInfo
from httptool.report.listener import RunReporter
from httptool.report.ndjson import NdjsonWriter
from httptool.report.progress import LiveProgress, PlainProgress

INFO = RunInfo("f.httpx", "journey", "4 VUs for 8s", 2, 0.0, 8.0)


def test_plain_console_and_files(tmp_path: Path) -> None:
    run = demo_run()
    res = build(run)
    evs = events_of(run)
    out = io.StringIO()
    w = NdjsonWriter(tmp_path / "r.ndjson")
    ticks = iter([0.0, 1.0, 2.0, 2.5])
    rep = RunReporter.for_console(out, INFO, progress=True, verbose=True, writers=[w])
    assert isinstance(rep.progress, PlainProgress)
    rep.clock = lambda: next(ticks)
    rep.on_phase("load")
    rep.on_events(evs[:20])
    rep.on_result(res)  # t=0: the start
    rep.on_events(evs[20:])
    rep.on_result(res)  # t=1
    rep.on_result(res)  # t=2: a progress line
    rep.on_signal(1)
    rep.close()
    rep.close()
    lines = out.getvalue().splitlines()
    assert sum(ln.startswith("🔄 Progress: 82 requests | 10 errors") for ln in lines) == 1
    assert lines[-6] == "✓ Completed: 82 requests | 10 errors"
    assert lines[-5] == "Per-VU Results:" and lines[-1].startswith("  VU 4: ")
    assert len((tmp_path / "r.ndjson").read_text().splitlines()) == 82
    assert w._file.closed
    json.loads((tmp_path / "r.ndjson").read_text().splitlines()[-1])


def test_live_panel_gets_verbose_lines_above() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    rep = RunReporter.for_console(out, INFO, progress=True, verbose=True, color=False)
    assert isinstance(rep.progress, LiveProgress)
    assert rep.verbose is not None and rep.verbose.stream is rep.progress.stream
    rep.on_events([("vu_start", 0.0, 1)])
    rep.on_result(build(demo_run()))
    rep.close()
    assert "VU 1 started" in out.getvalue() and "httptool · journey · done" in out.getvalue()


def test_close_finishes_everything_even_if_one_fails(tmp_path: Path) -> None:
    class Broken:
        def handle(self, events) -> None:
            pass

        def close(self) -> None:
            raise OSError("disk full")

    w = NdjsonWriter(tmp_path / "x.ndjson")
    out = io.StringIO()
    rep = RunReporter(PlainProgress(out), None, [Broken(), w])
    rep.on_result(build(demo_run()))
    with pytest.raises(OSError, match="disk full"):
        rep.close()
    assert w._file.closed
    assert out.getvalue() == "✓ Completed: 82 requests | 10 errors\n"


def test_nothing_asked_nothing_printed() -> None:
    out = io.StringIO()
    rep = RunReporter.for_console(out, INFO, progress=False, verbose=False)
    rep.on_events(events_of(demo_run()))
    rep.on_result(build(demo_run()))
    rep.close()
    assert out.getvalue() == ""


def test_interrupted_run_ends_with_the_interrupted_line() -> None:
    """After Ctrl-C the CLI marks the run interrupted before closing the reporter; the
    plain end line then says so instead of ``✓ Completed``, in the same shape."""
    info = RunInfo("f.httpx", "journey", "4 VUs for 8s", 2, 0.0, 8.0)
    out = io.StringIO()
    rep = RunReporter.for_console(out, info, progress=True, verbose=False)
    rep.on_result(build(demo_run()))
    info.interrupted = True  # what run_cmd does once the run returned
    rep.close()
    assert out.getvalue() == "✗ Interrupted: 82 requests | 10 errors\n"
