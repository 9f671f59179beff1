"""The plain console lines whose shapes are a contract (spec/PROGRESS-DEMO.md, DESIGN.md).

Kept apart from the rest of the console code so that the exact formats live in one place
and tests can hold them to the letter.
"""

from __future__ import annotations

import time

from httptool.events import ITERATION, REQUEST, RESENT, VU_DONE, VU_START, Event


def _resent(resent: int) -> str:
    """`` | 3 resent`` when copies were sent again (docs/outputs.md: requests count
    them), nothing otherwise, so the founding document's shapes hold in the usual run."""
    return f" | {resent} resent" if resent else ""


def progress_line(requests: int, errors: int, active_vus: int, resent: int = 0) -> str:
    return (f"🔄 Progress: {requests} requests | {errors} errors{_resent(resent)}"
            f" | {active_vus} active VUs")


def completed_line(requests: int, errors: int, resent: int = 0) -> str:
    return f"✓ Completed: {requests} requests | {errors} errors{_resent(resent)}"


def interrupted_line(requests: int, errors: int, resent: int = 0) -> str:
    """The ``Completed`` line's shape for a run stopped by Ctrl-C: a tick and the word
    "Completed" would claim the planned load ran, which it did not."""
    return f"✗ Interrupted: {requests} requests | {errors} errors{_resent(resent)}"


def clock(t: float) -> str:
    """``[HH:MM:SS]`` in local time, as the founding document shows it."""
    return time.strftime("[%H:%M:%S]", time.localtime(t))


def fmt_ms(latency_ms: float) -> str:
    """Whole milliseconds as the founding document writes them (``145ms``)."""
    return f"{round(latency_ms)}ms"


def verbose_lines(ev: Event) -> list[str]:
    """The verbose log lines for one event (a failed request adds its reason)."""
    kind = ev[0]
    ts = clock(ev[1])
    if kind == REQUEST:
        _, _, vu, _it, _name, method, url, status, latency_ms, ok, reason = ev[:11]
        mark = "✓" if ok else "✗"
        shown = str(status) if status else "ERR"
        line = f"{ts} VU {vu} {mark} {method} {url} - {shown} ({fmt_ms(latency_ms)})"
        if ok or not reason:
            return [line]
        return [line, f"{ts} VU {vu}   ↳ {reason}"]
    if kind == RESENT:
        _, _, vu, _it, _name, method, url, _status, latency_ms, _ok, reason = ev[:11]
        return [f"{ts} VU {vu} ↻ {method} {url} - no response, resent ({fmt_ms(latency_ms)})",
                f"{ts} VU {vu}   ↳ {reason}"]
    if kind == ITERATION:
        return [f"{ts} VU {ev[2]} → iteration {ev[3]}"]
    if kind == VU_START:
        return [f"{ts} VU {ev[2]} started"]
    if kind == VU_DONE:
        return [f"{ts} VU {ev[2]} done"]
    return []


def per_vu_line(vu: int, iterations: int, requests: int, ok: int, failed: int,
                avg_latency_ms: float, resent: int = 0) -> str:
    again = f", ↻ {resent} resent" if resent else ""
    return (f"  VU {vu}: {iterations} iterations, {requests} requests "
            f"(✓ {ok}, ✗ {failed}{again}), avg latency: {fmt_ms(avg_latency_ms)}")
