"""Every load model run for real: ``run_scenario`` with the real shard (a thread for
``workers=1``, two processes for ``workers=2``), real sockets, the built-in target, which
counts what it receives.

What must hold for every model: the tool's request total equals the server's count
exactly; the per-VU requests add up to the total; VU numbers are unique run-wide (VUs are
dealt round-robin to shards, so a duplicate would show as a repeated ``(VU, ITER)`` pair).
Counts are asserted exactly; the few timing checks have margins meant for a shared, noisy
2-core machine.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from httptool.engine.events import ITERATION, REQUEST, VU_START
from httptool.metrics import RunResult
from httptool.plan import Plan
from httptool.run.orchestrator import Listener, RunOutcome, run_scenario
from httptool.run.shard import RunOptions
from support.runshard import plan_from

pytestmark = pytest.mark.timeout(60)

BASE = "http://target.test"

SCENARIO = """
request hit {{
  curl {base}/{path}
}}
scenario s {{
  load {load}
  run hit
}}
"""


def plan(load: str, path: str = "get") -> Plan:
    return plan_from(SCENARIO.format(base=BASE, path=path, load=load))


class Collect(Listener):
    """Keeps every event batch and every result the coordinator hands out."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.results: list[RunResult] = []

    def on_events(self, batch: list[tuple[Any, ...]]) -> None:
        self.events.extend(batch)

    def on_result(self, result: RunResult) -> None:
        self.results.append(result)

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [e for e in self.events if e[0] == kind]


def run(target: Any, p: Plan, workers: int, *, events: bool = False,
        listener: Listener | None = None) -> RunOutcome:
    target.reset()
    out = run_scenario(p, "s", workers,
                       RunOptions(base_url_map=((BASE, target.url),), events=events,
                                  snapshot_interval=0.25),
                       listener, handle_signals=False)
    assert out.errors == [] and not out.interrupted, out.errors
    assert out.result.final
    return out


def check_counts(out: RunOutcome, counts: dict[str, Any], workers: int) -> RunResult:
    """The invariants every model keeps (see the module docstring)."""
    res = out.result
    assert out.workers == workers
    assert res.total.failures == 0, res.total.failures_by_kind
    assert res.total_requests == counts["total"] > 0
    # one request per iteration in these flows; no iteration is cut at the end
    assert res.completed == res.total_requests and res.interrupted == 0
    assert sum(v.requests for v in res.vus) == res.total_requests
    assert sum(v.iterations for v in res.vus) == res.completed
    ids = [v.vu for v in res.vus]
    assert len(ids) == len(set(ids)) and min(ids) >= 1
    return res


def run_counted(target: Any, load: str | Plan, workers: int) -> tuple[RunResult, Collect]:
    """Run ``load`` (a load line, or a whole plan) with events kept, check the invariants
    every model keeps, and return the result with the events."""
    lis = Collect()
    out = run(target, plan(load) if isinstance(load, str) else load, workers, events=True,
              listener=lis)
    return check_counts(out, target.counts(), workers), lis


def vu_iter_pairs_unique(lis: Collect) -> list[int]:
    """Every ``(VU, ITER)`` pair of the iteration events is unique; returns the VU ids."""
    pairs = [(e[2], e[3]) for e in lis.of(ITERATION)]
    assert len(pairs) == len(set(pairs)), [p for p, n in Counter(pairs).items() if n > 1][:5]
    return sorted({vu for vu, _ in pairs})


# --------------------------------------------------------------------------- closed


@pytest.mark.parametrize("workers", [1, 2])
def test_closed_vus_for_duration(target: Any, workers: int) -> None:
    res, lis = run_counted(target, "3 vus for 1s", workers)
    assert [v.vu for v in res.vus] == [1, 2, 3]
    assert vu_iter_pairs_unique(lis) == [1, 2, 3]
    assert len(lis.of(REQUEST)) == res.total_requests
    assert res.dropped == 0
    assert 0.9 < res.duration_s < 1.6


@pytest.mark.parametrize("workers", [1, 2])
def test_closed_ramp_up_starts_vus_evenly(target: Any, workers: int) -> None:
    """``ramp_up = 1s`` with 4 VUs: VU r (0-based) starts at r × 0.25 s."""
    res, lis = run_counted(target, "{ vus = 4  duration = 1.5s  ramp_up = 1s }", workers)
    assert [v.vu for v in res.vus] == [1, 2, 3, 4]
    assert vu_iter_pairs_unique(lis) == [1, 2, 3, 4]
    started = {e[2]: e[1] for e in lis.of(VU_START)}
    offsets = {vu: started[vu] - started[1] for vu in (2, 3, 4)}
    for vu, off in offsets.items():  # the controller ticks every 50 ms; noisy machine
        assert abs(off - (vu - 1) * 0.25) < 0.15, offsets
    # in each shard the VU started first ran longest, so it sent more requests
    per = {v.vu: v.requests for v in res.vus}
    assert per[1] > per[3] and per[2] > per[4], per


@pytest.mark.parametrize("workers", [1, 2])
def test_closed_vu_stages_active_vus_follow(target: Any, workers: int) -> None:
    """0 -> 2 VUs over the first second, 2 -> 6 over the next: the target is rounded up,
    so VU r starts once the ramp passes r - 1 and all six run before the end."""
    load = "{ stage { duration = 1s, vus = 2 } stage { duration = 1s, vus = 6 } }"
    res, lis = run_counted(target, load, workers)
    n = len(res.vus)
    assert n == 6, res.vus  # VU 6 starts at 1.75 s
    assert [v.vu for v in res.vus] == list(range(1, n + 1))
    assert vu_iter_pairs_unique(lis) == list(range(1, n + 1))
    by_second = {s.second: s.active_vus for s in res.series}
    assert 1 <= by_second[0] <= 2, by_second  # the ramp's first second
    assert 5 <= by_second[1] <= 6, by_second  # its second
    started = {e[2]: e[1] for e in lis.of(VU_START)}
    t0 = started[1]  # VU 1 starts at once (the target is above 0 from the start)
    for vu, at in ((2, 0.5), (3, 1.0), (4, 1.25), (5, 1.5), (6, 1.75)):
        assert abs(started[vu] - t0 - at) < 0.15, (vu, started[vu] - t0)


@pytest.mark.parametrize("workers", [1, 2])
def test_closed_vu_stages_down_parks_vus(target: Any, workers: int) -> None:
    """Up to 4 VUs over 0.5 s, 4 for 0.5 s, then a step down to 1 VU for 1 s: VUs 2-4 send
    nothing after the step (they finish the ~1 ms iteration they are in and park) while
    VU 1 goes on to the end."""
    load = ("{ stage { duration = 0.5s, vus = 4 } stage { duration = 0.5s, vus = 4 }"
            "  stage { duration = 0s, vus = 1 } stage { duration = 1s, vus = 1 } }")
    res, lis = run_counted(target, load, workers)
    assert [v.vu for v in res.vus] == [1, 2, 3, 4]
    assert vu_iter_pairs_unique(lis) == [1, 2, 3, 4]
    started = {e[2]: e[1] for e in lis.of(VU_START)}
    t0 = started[1] - 0.125  # VU 1 starts when the ramp reaches 1 (0.125 s)
    last: dict[int, float] = {}
    for e in lis.of(REQUEST):
        last[e[2]] = max(last.get(e[2], 0.0), e[1] - t0)
    assert all(last[vu] < 1.0 + 0.15 for vu in (2, 3, 4)), last
    assert last[1] > 1.8, last
    assert {s.second: s.active_vus for s in res.series}[0] == 4


# --------------------------------------------------------------------------- open


@pytest.mark.parametrize("workers", [1, 2])
def test_open_rps_for_duration(target: Any, workers: int) -> None:
    """200 iterations/s for 1 s: exactly 200 scheduled, each started or counted dropped."""
    res, lis = run_counted(target, "{ rps = 200  duration = 1s  graceful_stop = 0.5s }",
                           workers)
    assert res.completed + res.dropped + res.interrupted == 200
    assert res.dropped == 0  # the default pool (up to 1000 VUs) never runs out here
    ids = vu_iter_pairs_unique(lis)
    assert ids == [v.vu for v in res.vus]
    assert res.total.service is not None and res.total.service.count == res.total_requests


@pytest.mark.parametrize("workers", [1, 2])
def test_open_rate_stages_change_the_rate(target: Any, workers: int) -> None:
    """0 -> 50/s over 1 s (25 iterations), then 50 -> 150/s over 1 s (100): exactly 125
    scheduled, and the per-second counts follow the stages."""
    load = ("{ stage { duration = 1s, rps = 50 } stage { duration = 1s, rps = 150 }"
            "  graceful_stop = 0.5s }")
    res, lis = run_counted(target, load, workers)
    assert res.completed + res.dropped + res.interrupted == 125
    assert res.dropped == 0
    per = {s.second: s.requests for s in res.series}
    # a request is binned by when it ends (~1 ms after its start): allow a couple at the edge
    assert abs(per[0] - 25) <= 2 and abs(per[1] - 100) <= 2, per
    vu_iter_pairs_unique(lis)


@pytest.mark.parametrize("workers", [1, 2])
def test_open_too_few_vus_drops_and_never_delays(target: Any, workers: int) -> None:
    """100 iterations/s of a 200 ms request need ~20 VUs; with ``max_vus = 5`` about 25/s
    can run and the rest must be counted as dropped. Nothing may be started late instead:
    latency is measured from the scheduled start, so an iteration that waited for a VU
    would show a latency well above the 200 ms the server takes."""
    load = "{ rps = 100  duration = 2s  max_vus = 5  graceful_stop = 1s }"
    out = run(target, plan(load, "delay/200"), workers)
    res = check_counts(out, target.counts(), workers)
    assert res.completed + res.dropped + res.interrupted == 200
    assert res.dropped > 0
    assert res.vus_created <= 5 and len(res.vus) <= 5
    # 5 VUs × (2 s / 0.2 s + 1) at most; at least 80 % of 5 × 10 on a busy machine
    assert 40 <= res.completed <= 55, (res.completed, res.dropped)
    lat, svc = res.total.latency, res.total.service
    assert svc is not None
    assert lat.min >= 195_000_000  # /delay/200 really waited (its timer may fire ~1 ms early)
    assert lat.max < 400_000_000, lat  # started on time: never queued behind a busy VU
    assert lat.max - svc.max < 100_000_000


@pytest.mark.parametrize("workers", [1, 2])
def test_iterations_exact(target: Any, workers: int) -> None:
    res, lis = run_counted(target, "101 iterations with 3 vus", workers)
    assert res.total_requests == res.completed == 101
    assert res.dropped == 0
    assert vu_iter_pairs_unique(lis) == [1, 2, 3] == [v.vu for v in res.vus]


@pytest.mark.parametrize("workers", [1, 2])
def test_per_vu_iterations_exact(target: Any, workers: int) -> None:
    """``per vu``: 7 iterations for each of 3 VUs, 21 in all, 7 from every VU."""
    res, lis = run_counted(target, "7 iterations with 3 vus per vu", workers)
    assert res.total_requests == res.completed == 21
    assert [(v.vu, v.iterations) for v in res.vus] == [(1, 7), (2, 7), (3, 7)]
    assert vu_iter_pairs_unique(lis) == [1, 2, 3]


# --------------------------------------------------------------------------- ${COUNTER}, ${VU}

COUNTER_SCENARIO = """
request hit {{
  curl "{base}/anything?c=${{COUNTER}}&vu=${{VU}}&it=${{ITER}}"
}}
scenario s {{
  load {load}
  run hit
}}
"""


@pytest.mark.parametrize("load", ["{ vus = 4  duration = 1s }",
                                  "{ rps = 300  duration = 1s  graceful_stop = 0.5s }"])
def test_counter_and_vu_unique_across_processes(target: Any, load: str) -> None:
    """Two shard processes: every ``${COUNTER}`` value sent is unique (shard i of 2 deals
    i + 1, i + 3, ... without gaps, so each residue class is 1..n consecutive); every
    ``(${VU}, ${ITER})`` pair is unique; the URL's VU is the VU that sent it."""
    res, lis = run_counted(target, plan_from(COUNTER_SCENARIO.format(base=BASE, load=load)), 2)
    reqs = lis.of(REQUEST)
    assert len(reqs) == res.total_requests
    counters, pairs = [], []
    for e in reqs:
        q = parse_qs(urlsplit(e[6]).query)
        counters.append(int(q["c"][0]))
        assert int(q["vu"][0]) == e[2] and int(q["it"][0]) == e[3]
        pairs.append((e[2], e[3]))
    assert len(set(counters)) == len(counters)
    for first in (1, 2):  # one shard's sequence each
        mine = sorted(c for c in counters if c % 2 == first % 2)
        assert mine == list(range(first, first + 2 * len(mine), 2))
    assert len(set(pairs)) == len(pairs)
    assert target.counts()["paths"]["/anything"] == len(reqs)
