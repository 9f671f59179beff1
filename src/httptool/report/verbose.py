"""``--verbose``: every event as a log line, then the per-VU table.

The log is lossless: the engine delivers every event (with back-pressure in verbose
mode) and :class:`VerbosePrinter` writes each one, in the contract shapes of
:mod:`httptool.report.lines`. URLs arrive masked by the engine; they are masked again
here, so a log never shows a password even if an event was built elsewhere.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import TextIO

from httptool.events import REQUEST, RESENT, Event
from httptool.metrics.result import RunResult, VUResult
from httptool.report.lines import fmt_ms, per_vu_line, verbose_lines
from httptool.report.units import plural
from httptool.secrets import mask_url

#: Above this many VUs the per-VU table is condensed.
FULL_TABLE_MAX = 50
#: How many of the slowest and of the fastest VUs the condensed table shows.
CONDENSED_SHOW = 10


class VerbosePrinter:
    """Writes the verbose log for batches of events; one write and flush per batch."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def handle(self, events: Sequence[Event]) -> None:
        lines: list[str] = []
        for ev in events:
            if ev[0] in (REQUEST, RESENT) and "@" in ev[6]:
                ev = (*ev[:6], mask_url(ev[6]), *ev[7:])
            lines.extend(verbose_lines(ev))
        if lines:
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()

    def finish(self, result: RunResult) -> None:
        """The per-VU table at the end of the run."""
        self.stream.write("\n".join(per_vu_lines(result)) + "\n")
        self.stream.flush()


def _line(v: VUResult) -> str:
    return per_vu_line(v.vu, v.iterations, v.requests, v.ok, v.failed, v.avg_latency_ns / 1e6,
                       v.resent)


def per_vu_lines(result: RunResult, full_max: int = FULL_TABLE_MAX,
                 show: int = CONDENSED_SHOW) -> list[str]:
    """``Per-VU Results:`` and one line per VU in VU order; with more than ``full_max``
    VUs, the ``show`` slowest and ``show`` fastest by average latency (VUs that measured
    no latency are left out of both), a distribution line, and where the full table is."""
    vus = sorted(result.vus, key=lambda v: v.vu)
    out = ["Per-VU Results:"]
    if len(vus) <= full_max:
        out.extend(_line(v) for v in vus)
        return out
    timed = [v for v in vus if v.latency_count]
    by_lat = sorted(timed, key=lambda v: (v.avg_latency_ns, v.vu))
    slowest = sorted(by_lat[-show:], key=lambda v: (-v.avg_latency_ns, v.vu))
    fastest = by_lat[:show]
    out.append(f"  {len(vus)} VUs; the {len(slowest)} slowest and the {len(fastest)} fastest "
               "by avg latency (every VU is in the per_vu rows of --summary-json)")
    out.append("  slowest:")
    out.extend(_line(v) for v in slowest)
    out.append("  fastest:")
    out.extend(_line(v) for v in fastest)
    reqs = [v.requests for v in vus]
    lats = [v.avg_latency_ns / 1e6 for v in timed]
    dist = (f"  distribution: requests per VU min {min(reqs)}, median "
            f"{statistics.median(reqs):g}, max {max(reqs)}")
    if lats:
        dist += (f"; avg latency per VU min {fmt_ms(min(lats))}, median "
                 f"{fmt_ms(statistics.median(lats))}, max {fmt_ms(max(lats))}")
    out.append(dist)
    if len(timed) < len(vus):
        n = len(vus) - len(timed)
        out.append(f"  {plural(n, 'VU')} measured no latency (no response)")
    return out
