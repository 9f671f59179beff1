"""When things should happen: arrival times for the open model, VU targets for the closed one.

Both are pure functions of the load spec and the elapsed time, so every shard computes the
same global schedule and takes its own share of it (iteration ``k`` or VU rank ``r`` belongs
to shard ``k % shards``); the shards' schedules interleave instead of firing in lock-step.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

from httptool.loadmodels.closed import peak_vus
from httptool.plan import LoadSpec, Stage


@dataclass(frozen=True, slots=True)
class _Segment:
    start: float  # seconds from the beginning of the run
    duration: float
    r0: float  # rate (or VUs) at the start of the segment
    r1: float  # at its end
    cum: float  # integral of the rate before this segment (iterations)

    def integral(self, dt: float) -> float:
        return self.r0 * dt + (self.r1 - self.r0) * dt * dt / (2 * self.duration)


def _segments(stages: tuple[Stage, ...], start_value: float = 0.0) -> list[_Segment]:
    segs: list[_Segment] = []
    t = 0.0
    prev = start_value
    cum = 0.0
    for st in stages:
        if st.duration <= 0:
            prev = st.target
            continue
        seg = _Segment(t, st.duration, prev, st.target, cum)
        segs.append(seg)
        cum += seg.integral(st.duration)
        t += st.duration
        prev = st.target
    return segs


class ArrivalSchedule:
    """Scheduled start times of the open model's iterations (0-based global index ``k``).

    Iteration ``k`` starts at the time ``t`` where the integral of the rate from 0 to ``t``
    equals ``k``; only iterations starting before the end of the run exist.
    """

    def __init__(self, load: LoadSpec) -> None:
        if load.stages:
            self._segs = _segments(load.stages)
        else:
            rate = float(load.rps or 0.0)
            dur = float(load.duration or 0.0)
            self._segs = [_Segment(0.0, dur, rate, rate, 0.0)] if dur > 0 else []
        self.duration = sum(s.duration for s in self._segs)
        last = self._segs[-1] if self._segs else None
        total = last.cum + last.integral(last.duration) if last else 0.0
        # iterations whose start time is strictly before the end; guard float noise
        self.total = max(0, math.ceil(total - 1e-9))
        self._cums = [s.cum for s in self._segs]
        # a constant rate (no stages): time_of is k / rate, asked once per iteration
        self._rate = float(load.rps or 0.0) if not load.stages and self._segs else 0.0
        self._last = total + 1e-9  # the largest k that still has a start time

    def time_of(self, k: int) -> float:
        """Seconds from the start at which global iteration ``k`` is due."""
        rate = self._rate
        if rate > 0:
            return k / rate if k <= self._last else math.inf
        if not self._segs:
            return math.inf
        # the last segment whose cumulative count is <= k (segments with a zero rate
        # throughout share their successor's cum, so bisect_right skips them)
        i = max(0, bisect_right(self._cums, k) - 1)
        s = self._segs[i]
        need = k - s.cum
        a = (s.r1 - s.r0) / (2 * s.duration)
        b = s.r0
        if need <= 0:
            return s.start
        if need > s.integral(s.duration) + 1e-9:
            return math.inf
        if abs(a) < 1e-12:
            if b <= 0:
                return math.inf
            return s.start + need / b
        disc = b * b + 4 * a * need
        if disc < 0:
            return math.inf
        dt = (-b + math.sqrt(disc)) / (2 * a)
        return s.start + dt


class VUTarget:
    """How many VUs should be active at time ``t`` in the closed model.

    ``load N vus for D`` -> N throughout; with ``ramp_up`` VU rank ``r`` (0-based) starts at
    ``r * ramp_up / N``; with stages the count follows the linear ramps, rounded up: VU
    rank ``r`` runs while the target is above ``r``, so a ramp to 5 VUs has all 5 before
    its end (floored, the fifth would start only at the stage's last instant, or never).
    """

    def __init__(self, load: LoadSpec) -> None:
        self.load = load
        self.max = peak_vus(load)
        self._segs = _segments(load.stages) if load.stages else []
        self.duration = load.total_duration or 0.0

    def at(self, t: float) -> int:
        load = self.load
        if self._segs:
            for s in self._segs:
                if t < s.start + s.duration:
                    frac = (t - s.start) / s.duration
                    return max(0, math.ceil(s.r0 + (s.r1 - s.r0) * frac - 1e-9))
            return int(self._segs[-1].r1)
        n = load.vus or 0
        if load.ramp_up and load.ramp_up > 0:
            return min(n, math.floor(n * t / load.ramp_up + 1e-9) + 1)
        return n

    def next_change(self, t: float) -> float:
        """A time after ``t`` worth re-checking the target (bounded polling interval)."""
        return t + 0.05


#: :func:`vus_due` counts the VUs the schedule wants this long before the end: a VU
#: that ramp_up or a stage starts in the run's last instant may rightly never run.
DUE_MARGIN = 0.25


def vus_due(load: LoadSpec) -> int:
    """How many VUs a closed load should have had running at once: the highest target
    up to :data:`DUE_MARGIN` before its end (all N without ramp-up or stages). The
    summary compares the VUs reached with it."""
    target = VUTarget(load)
    end = target.duration - DUE_MARGIN
    if not (load.stages or load.ramp_up) or end <= 0:
        return target.at(0.0) if end > 0 else 0
    times = [i * 0.05 for i in range(int(end / 0.05) + 1)]
    times += [s.start + s.duration - 1e-6 for s in target._segs
              if 0 < s.start + s.duration - 1e-6 <= end]
    return max((target.at(t) for t in times), default=0)
