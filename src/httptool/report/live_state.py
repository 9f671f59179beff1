"""What the dashboard shows at one moment, as JSON: built from a merged result.

Why apart from the server: this is the only place that turns a :class:`RunResult` into
the page's numbers (the same ones the progress line and the summary use: requests =
``total_requests``, failures = ``total_failures``, active VUs = ``active``), and it runs
on the coordinator's thread; the server only moves the bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from httptool.metrics.result import RunResult, SecondResult
from httptool.plan import Threshold
from httptool.report.info import RunInfo
from httptool.report.thresholds import evaluate_thresholds

#: Seconds at the end of the series that each update carries again (they may still
#: change while late snapshots arrive; older ones are final).
TAIL_SECONDS = 5


def _ms(ns: float) -> float | None:
    return round(ns / 1e6, 3) if ns > 0 else None


def series_row(s: SecondResult) -> list[Any]:
    """``[second, requests, failures, p50_ms, p95_ms, p99_ms, active_vus]``."""
    return [s.second, s.requests, s.failures, _ms(s.p50), _ms(s.p95), _ms(s.p99),
            s.active_vus]


def series_tail(result: RunResult, since: int) -> list[list[Any]]:
    """Rows of the seconds from ``since`` on (the series is ordered by second)."""
    rows: list[list[Any]] = []
    for s in reversed(result.series):
        if s.second < since:
            break
        rows.append(series_row(s))
    rows.reverse()
    return rows


def state_doc(result: RunResult, info: RunInfo, thresholds: Sequence[Threshold],
              names: Sequence[str]) -> dict[str, Any]:
    """The live numbers of ``result``; ``series`` holds only the last seconds."""
    lat = result.total.latency_hist
    p50, p95, p99 = lat.quantiles((0.5, 0.95, 0.99)) if lat.count else (0, 0, 0)
    d = result.duration_s
    last = result.series[-1].second if result.series else 0
    return {
        "scenario": info.scenario, "load": info.load, "file": info.file,
        "planned_duration": info.planned_duration, "elapsed": round(d, 3),
        "final": result.final, "requests": result.total_requests,
        "failures": result.total_failures, "rps": round(result.recent_rps(), 2),
        "p50_ms": _ms(p50), "p95_ms": _ms(p95), "p99_ms": _ms(p99),
        "active": result.active, "vus_max": result.vus_max,
        "iterations": result.completed, "dropped": result.dropped,
        "interrupted": result.interrupted,
        "per_request": [
            {"name": n, "requests": r.requests, "failures": r.failures,
             "rps": round(r.requests / d, 2) if d > 0 else 0.0,
             "p95_ms": _ms(r.latency_hist.quantile(0.95)) if r.latency_hist.count else None,
             "error_pct": round(100 * r.error_rate, 3)}
            for n, r in result.requests.items()],
        "checks": [{"name": n, "passed": c.passed, "failed": c.failed}
                   for n, c in result.checks.items()],
        "thresholds": [{"threshold": o.threshold.text, "passed": o.passed, "shown": o.shown}
                       for o in evaluate_thresholds(thresholds, result, names)],
        "series": series_tail(result, last - TAIL_SECONDS),
        "slowest": [{"trace_id": t, "request": n, "vu": vu, "iteration": it,
                     "latency_ms": _ms(ns)} for ns, t, n, vu, it in result.slowest],
    }
