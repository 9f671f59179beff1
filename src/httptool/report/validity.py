"""Was the run itself valid? The verdict line under every summary, and ``validity`` in
the summary JSON.

A load test measures the service only while the generator does what it was asked. The
run is *not valid* when the numbers may be the generator's own:

* a shard's event loop was CPU-saturated (its thread's CPU time >= 95 % of wall time,
  engine/saturation.py) for at least :data:`SATURATED_SHARE` of the run: latencies then
  include httptool's own queueing;
* the open model dropped iterations or started fewer than :data:`MIN_STARTED` of the
  planned ones: the rate the service saw is not the rate asked for;
* more than :data:`MAX_RESENT` of the requests were resent, or more than
  :data:`MAX_INTERRUPTED` of the iterations were cut at the end of the grace period;
* fewer VUs than the load asked for were ever running at once (the generator could not
  start them in time);
* the run was interrupted (Ctrl-C, SIGTERM), or a worker or shard was lost.

Smaller amounts are listed as notes. ``--fail-on-invalid`` turns an invalid run into
exit code 98 (docs/running.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from httptool.loadmodels import OPEN, model_of
from httptool.metrics.result import RunResult
from httptool.plan import LoadSpec
from httptool.report.info import RunInfo
from httptool.report.style import Style
from httptool.report.units import fmt_elapsed, plural

#: Share of the run a shard may be saturated for before the run is not valid.
SATURATED_SHARE = 0.10
#: Open model: share of the planned iterations that must have started.
MIN_STARTED = 0.95
#: Share of requests that may be resent copies.
MAX_RESENT = 0.01
#: Share of iterations that may be interrupted at the end of the grace period.
MAX_INTERRUPTED = 0.01


@dataclass(frozen=True, slots=True)
class Validity:
    valid: bool
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "reasons": list(self.reasons), "notes": list(self.notes),
                **self.facts}

    def line(self, style: Style) -> str:
        """``validity: ✓ valid run`` or ``validity: ✗ not valid: REASON; REASON``."""
        if self.valid:
            text = "valid run" + (f" ({'; '.join(self.notes)})" if self.notes else "")
            return f"  validity: {style.mark(True)} {text}"
        return (f"  validity: {style.mark(False)} "
                + style.paint("not valid: " + "; ".join(self.reasons), "red", "bold"))


def planned_iterations(load: LoadSpec) -> int | None:
    """Iterations the open model's schedule starts over the run (None for other models)."""
    if model_of(load) is not OPEN:
        return None
    from httptool.engine.schedule import ArrivalSchedule

    return ArrivalSchedule(load).total


def assess(result: RunResult, info: RunInfo, planned: int | None = None) -> Validity:
    """The verdict on ``result``; ``planned`` is :func:`planned_iterations` of its load."""
    reasons: list[str] = []
    notes: list[str] = []
    duration = result.duration_s
    saturated = {str(k): round(v, 3) for k, v in sorted(result.saturated_s.items())}
    for shard, secs in saturated.items():
        text = (f"httptool's CPU was saturated for {fmt_elapsed(secs)} of "
                f"{fmt_elapsed(duration)} (worker {shard}; use more --workers)")
        (reasons if duration > 0 and secs >= SATURATED_SHARE * duration else notes
         ).append(text)
    started = result.completed + result.interrupted
    if result.dropped:
        reasons.append(f"{plural(result.dropped, 'iteration')} dropped (open model: no free "
                       "VU at the scheduled start)")
    if planned and not info.interrupted and started < MIN_STARTED * planned:
        reasons.append(f"the open model started {started} of {planned} planned iterations "
                       f"({started / planned:.0%})")
    resent = result.total.resent
    if resent:
        share = resent / result.total_requests if result.total_requests else 1.0
        (reasons if share > MAX_RESENT else notes).append(
            f"{plural(resent, 'request')} resent (no response on a reused connection)")
    if result.interrupted:
        share = result.interrupted / started if started else 1.0
        (reasons if share > MAX_INTERRUPTED else notes).append(
            f"{plural(result.interrupted, 'iteration')} interrupted at the end of the grace "
            "period")
    want = info.planned_vus
    if want and result.vus_max < want and not info.interrupted:
        reasons.append(f"{result.vus_max:,} of {want:,} VUs ever ran at once (the generator "
                       "could not start them in time: use ramp_up or --workers)")
    if info.interrupted:
        reasons.append(f"the run was interrupted ({info.stopped_by or 'Ctrl-C'})")
    for e in info.errors:
        reasons.append(f"a worker or shard failed: {e}")
    facts = {"cpu_saturated_s": saturated, "dropped": result.dropped,
             "planned_iterations": planned, "started_iterations": started,
             "resent": resent, "interrupted_iterations": result.interrupted,
             "lost": list(info.errors), "vus_requested": want, "vus_max": result.vus_max}
    return Validity(not reasons, reasons, notes, facts)
