"""--progress: the plain line's exact shape and 2 s cadence (injected clock), the
Completed line, the live panel's numbers, and the factory's choice."""

from __future__ import annotations

import io
import re

import pytest
from reportdata import Req, Run, build, demo_run
from rich.console import Console

from httptool.metrics import RunResult
from httptool.report.info import RunInfo
from httptool.report.progress import LiveProgress, PlainProgress, make_progress

PROGRESS = re.compile(r"🔄 Progress: (\d+) requests \| (\d+) errors \| (\d+) active VUs")
INFO = RunInfo("f.httpx", "journey", "4 VUs for 20s", 2, 0.0, 20.0)


def test_plain_line_shape_and_numbers() -> None:
    res = build(Run([Req(1, "a", 5.0), Req(2, "a", None, "refused"), Req(2, "a", 9.0, "status"),
                     Req(3, "a", 7.0, "assertion")], active=3))
    out = io.StringIO()
    p = PlainProgress(out, start=0.0)
    p.update(res, 2.0)
    p.finish(res)
    # transport errors, bad statuses and failed assertions all count as errors
    assert out.getvalue() == ("🔄 Progress: 4 requests | 3 errors | 3 active VUs\n"
                              "✓ Completed: 4 requests | 3 errors\n")


def test_plain_cadence_with_injected_clock() -> None:
    res = build(demo_run())
    out = io.StringIO()
    p = PlainProgress(out, interval=2.0, start=100.0)
    for now in (100.0, 100.5, 101.0, 101.5, 101.99):
        p.update(res, now)
    assert out.getvalue() == ""  # nothing before 2 s
    p.update(res, 102.0)
    assert len(out.getvalue().splitlines()) == 1
    for now in (102.5, 103.0, 103.5, 103.99):
        p.update(res, now)
    assert len(out.getvalue().splitlines()) == 1
    p.update(res, 104.3)  # late update: a line, and the grid stays at 106
    p.update(res, 105.9)
    assert len(out.getvalue().splitlines()) == 2
    p.update(res, 106.0)
    assert len(out.getvalue().splitlines()) == 3
    p.update(res, 113.0)  # a long gap: one line, not a burst of catch-up lines
    p.update(res, 113.5)
    assert len(out.getvalue().splitlines()) == 4
    p.update(res, 114.0)
    assert len(out.getvalue().splitlines()) == 5
    p.finish(res)
    p.finish(res)  # idempotent
    p.update(res, 200.0)  # nothing after the end
    lines = out.getvalue().splitlines()
    assert all(PROGRESS.fullmatch(ln) for ln in lines[:-1])
    assert lines[-1] == f"✓ Completed: {res.total_requests} requests | {res.total_failures} errors"
    assert len(lines) == 6


def test_plain_start_defaults_to_first_update() -> None:
    res = RunResult()
    out = io.StringIO()
    p = PlainProgress(out)
    p.update(res, 50.0)
    p.update(res, 51.9)
    assert out.getvalue() == ""
    p.update(res, 52.0)
    assert out.getvalue() == "🔄 Progress: 0 requests | 0 errors | 0 active VUs\n"


def panel_text(lp: LiveProgress, res: RunResult, final: bool = False) -> str:
    con = Console(file=io.StringIO(), width=100, color_system=None, record=True)
    con.print(lp.render(res, final))
    return con.export_text()


def test_live_panel_numbers() -> None:
    res = build(demo_run())  # 8 s into a 20 s run
    lp = LiveProgress(Console(file=io.StringIO()), INFO)
    text = panel_text(lp, res)
    assert "httptool · journey · running" in text
    assert "40.0%" in text
    assert "elapsed 8.0s · remaining 12.0s" in text
    assert f"requests {res.total_requests} · errors {res.total_failures} · active VUs 0" in text
    assert re.search(r"req/s [\d.]+ · p95 275ms", text)
    done = panel_text(lp, res, final=True)
    assert "· done" in done and "remaining" not in done
    # past the planned duration, before the final snapshot: the grace period, not
    # "remaining 0ms"
    over = RunInfo(INFO.file, INFO.scenario, INFO.load, INFO.workers, INFO.started_at, 6.0)
    late = panel_text(LiveProgress(Console(file=io.StringIO()), over), res)
    assert "elapsed 8.0s · letting iterations in flight finish" in late
    assert "remaining" not in late


def test_live_panel_iterations_model() -> None:
    res = build(demo_run())  # 40 iterations completed in 8 s
    info = RunInfo("f.httpx", "batch", "100 iterations shared by 4 VUs", 1, 0.0, None, 100)
    text = panel_text(LiveProgress(Console(file=io.StringIO()), info), res)
    assert "40.0%" in text
    assert "remaining ~12.0s" in text  # at the current pace


def test_live_draws_throttled_and_prints_lines_above() -> None:
    buf = io.StringIO()
    con = Console(file=buf, force_terminal=True, width=80, color_system=None)
    lp = LiveProgress(con, INFO, refresh=0.25)
    res = build(demo_run())
    lp.update(res, 1.0)
    first = buf.getvalue()
    assert "httptool · journey" in first
    lp.update(res, 1.1)  # within the refresh interval: no redraw
    assert buf.getvalue() == first
    lp.stream.write("[12:00:00] VU 1 started\n[12:00:00] VU 1 ")
    lp.stream.write("→ iteration 1\n")
    lp.update(res, 1.3)
    lp.finish(res)
    out = buf.getvalue()
    assert "[12:00:00] VU 1 started" in out and "[12:00:00] VU 1 → iteration 1" in out
    assert out.count("httptool · journey · done") == 1


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_make_progress_chooses_by_terminal() -> None:
    assert isinstance(make_progress(io.StringIO(), INFO), PlainProgress)
    assert isinstance(make_progress(_Tty(), INFO), LiveProgress)
    assert isinstance(make_progress(_Tty(), INFO, live=False), PlainProgress)
    assert isinstance(make_progress(io.StringIO(), INFO, live=True), LiveProgress)
    s = io.StringIO()
    assert make_progress(s, INFO).stream is s


def steady(rate: int, duration_s: float, start_s: float = 0.0) -> RunResult:
    """A run that completed ``rate`` requests a second from ``start_s`` until
    ``duration_s`` (what the coordinator holds ``duration_s`` into a run)."""
    n = int((duration_s - start_s) * rate)
    reqs = [Req(1 + i % 2, "a", 5.0, at_s=start_s + i / rate) for i in range(n)]
    return build(Run(reqs, duration_s=duration_s))


@pytest.mark.parametrize("elapsed", [0.3, 0.958, 1.0, 1.5, 1.99, 2.0, 2.5, 3.7, 9.2])
def test_recent_rate_is_the_true_rate_from_the_first_refresh(elapsed: float) -> None:
    """A steady 100 requests/s reads as 100/s at every point of the run: QA saw
    ``req/s 0.00`` at 958 ms with 57 requests done, and half the rate at 1.9 s."""
    res = steady(100, elapsed)
    assert res.total_requests > 0
    assert res.recent_rps() == pytest.approx(100, rel=0.03)


def test_recent_rate_follows_the_last_two_seconds_once_they_passed() -> None:
    """After two whole seconds the rate is the recent one, not the run's average: a
    run idle for 4 s and then at 50/s reads 50/s, not 20/s."""
    res = steady(50, 5.0, start_s=3.0)
    assert res.rps() == pytest.approx(20, rel=0.03)
    assert res.recent_rps() == pytest.approx(50, rel=0.03)
    assert RunResult().recent_rps() == 0.0
    with pytest.raises(ValueError):
        res.recent_rps(0)


@pytest.mark.parametrize("elapsed", [0.958, 1.9])
def test_live_panel_rate_early_in_a_run(elapsed: float) -> None:
    """What the user reads on the panel, not only the number behind it."""
    res = steady(100, elapsed)
    lp = LiveProgress(Console(file=io.StringIO()), INFO)
    text = panel_text(lp, res)
    m = re.search(r"req/s ([\d.]+) · p95", text)
    assert m, text
    assert float(m.group(1)) == pytest.approx(100, rel=0.06)


def test_plain_end_line_of_an_interrupted_run() -> None:
    """Completed for a run that ended as planned (the contract's line, unchanged);
    Interrupted, same shape, for a run stopped by Ctrl-C."""
    res = build(demo_run())
    info = RunInfo(INFO.file, INFO.scenario, INFO.load, INFO.workers, INFO.started_at, 20.0)
    done, cut = io.StringIO(), io.StringIO()
    PlainProgress(done, info=info).finish(res)
    info.interrupted = True
    PlainProgress(cut, info=info).finish(res)
    n, e = res.total_requests, res.total_failures
    assert done.getvalue() == f"✓ Completed: {n} requests | {e} errors\n"
    assert cut.getvalue() == f"✗ Interrupted: {n} requests | {e} errors\n"
