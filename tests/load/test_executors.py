"""Load models driven with fake VUs whose iterations are timed sleeps (real clock)."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from httptool.engine.executors import Executor, LoadState, ShardSpec
from httptool.plan import LoadSpec, Stage


class FakeVU:
    def __init__(self, vu_id: int, log: list, work: float = 0.0) -> None:
        self.id = vu_id
        self.log = log
        self.work = work
        self.closed = False

    async def iteration(self, scheduled_ns: int | None) -> None:
        self.log.append((self.id, time.monotonic_ns(), scheduled_ns))
        await asyncio.sleep(self.work)

    async def close(self) -> None:
        self.closed = True


def run(load: LoadSpec, work: float = 0.0, shard: ShardSpec | None = None,
        stop_after: float | None = None) -> tuple[LoadState, list, Executor]:
    log: list = []

    async def main() -> tuple[LoadState, Executor]:
        ex = Executor(load, lambda i: FakeVU(i, log, work), shard=shard)
        if stop_after is not None:
            asyncio.get_running_loop().call_later(stop_after, ex.stop.set)
        st = await ex.run()
        return st, ex

    st, ex = asyncio.run(main())
    return st, log, ex


def test_closed_vus_loop_until_duration() -> None:
    st, log, ex = run(LoadSpec("vus", vus=3, duration=0.5), work=0.01)
    ids = {vu for vu, _, _ in log}
    assert ids == {1, 2, 3}
    assert st.completed == len(log)
    assert 60 <= st.completed <= 160  # ~50 per VU at 10 ms each
    assert st.interrupted == 0 and st.dropped == 0
    assert all(vu.closed for vu in ex._vus.values())


def test_closed_shard_takes_interleaved_vu_ids() -> None:
    _, log, _ = run(LoadSpec("vus", vus=5, duration=0.2), work=0.01, shard=ShardSpec(0, 2))
    assert {vu for vu, _, _ in log} == {1, 3, 5}
    _, log, _ = run(LoadSpec("vus", vus=5, duration=0.2), work=0.01, shard=ShardSpec(1, 2))
    assert {vu for vu, _, _ in log} == {2, 4}


def test_ramp_up_starts_vus_evenly() -> None:
    _, log, ex = run(LoadSpec("vus", vus=4, duration=1.0, ramp_up=0.8), work=0.01)
    first = {}
    for vu, t, _ in log:
        first.setdefault(vu, t)
    t0 = ex.start_ns
    starts = [(first[v] - t0) / 1e9 for v in sorted(first)]
    # VU r starts at r * 0.8 / 4 = 0, 0.2, 0.4, 0.6 (controller ticks every 50 ms)
    for r, s in enumerate(starts):
        assert r * 0.2 - 0.01 <= s <= r * 0.2 + 0.12, starts


def test_stages_ramp_vus_up_and_down() -> None:
    load = LoadSpec("vus", stages=(Stage(0.4, 4), Stage(0.4, 4), Stage(0.4, 0)))
    st, log, ex = run(load, work=0.02)
    t0 = ex.start_ns
    # in the hold stage all four VUs run; at the end only low ranks are left: the target
    # falls below 1 at 1.1 s (4 -> 0 over 0.8-1.2 s, rounded up), seen within a 50 ms tick
    mid = {vu for vu, t, _ in log if 0.45 <= (t - t0) / 1e9 <= 0.75}
    late = {vu for vu, t, _ in log if (t - t0) / 1e9 >= 1.16}
    assert mid == {1, 2, 3, 4}
    assert late <= {1}
    assert st.vus == 4


def test_open_model_starts_on_schedule() -> None:
    st, log, _ex = run(LoadSpec("rps", rps=200, duration=1.0), work=0.005)
    assert st.completed == 200 and st.dropped == 0
    lags = [(t - s) / 1e6 for _, t, s in log]
    assert max(lags) < 50  # ms behind schedule at most (shared CI machine)
    sched = sorted(s for _, _, s in log)
    gaps = {round((b - a) / 1e6, 1) for a, b in itertools.pairwise(sched)}
    assert gaps == {5.0}


def test_open_model_counts_dropped_when_pool_is_full() -> None:
    st, log, _ = run(LoadSpec("rps", rps=100, duration=0.5, max_vus=2), work=0.2)
    assert st.completed + st.dropped + st.interrupted == 50
    assert st.dropped >= 40
    assert len({vu for vu, _, _ in log}) == 2


def test_open_model_shards_split_the_schedule_exactly() -> None:
    total = 0
    scheds: list[int] = []
    for i in range(3):
        st, log, ex = run(LoadSpec("rps", rps=90, duration=0.5), shard=ShardSpec(i, 3))
        total += st.completed
        scheds += [(s - ex.start_ns) for _, _, s in log]
    assert total == 45


def test_iterations_exact_across_shards() -> None:
    total = 0
    ids: set[int] = set()
    for i in range(3):
        st, log, _ = run(LoadSpec("iterations", iterations=100, vus=7), shard=ShardSpec(i, 3))
        total += st.completed
        ids |= {vu for vu, _, _ in log}
    assert total == 100
    assert ids == set(range(1, 8))


def test_graceful_stop_then_interrupts() -> None:
    load = LoadSpec("vus", vus=2, duration=0.1, graceful_stop=0.2)
    t = time.monotonic()
    st, _, _ = run(load, work=5.0)
    assert time.monotonic() - t < 2.0
    assert st.interrupted == 2 and st.completed == 0


def test_stop_event_ends_run_early_and_lets_inflight_finish() -> None:
    t = time.monotonic()
    st, log, _ = run(LoadSpec("vus", vus=2, duration=30), work=0.05, stop_after=0.3)
    assert time.monotonic() - t < 2.0
    assert st.interrupted == 0
    assert st.completed == len(log)


@pytest.mark.parametrize("total,count", [(10, 3), (7, 7), (2, 5), (1000, 2)])
def test_share_is_exact(total: int, count: int) -> None:
    assert sum(ShardSpec(i, count).share(total) for i in range(count)) == total


def test_open_model_free_vu_starts_a_due_iteration_without_waiting_for_the_pacer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the pacer waking only every 50 ms, iterations fall due between its ticks; a
    VU that finishes after one fell due starts it at once (it is free), instead of
    parking until the next tick. Every iteration is still started exactly once."""
    from httptool.engine import executors

    monkeypatch.setattr(executors, "PACER_TICK", 0.05)
    st, log, _ = run(LoadSpec("rps", rps=400, duration=1.0), work=0.01)
    assert st.completed == 400 and st.dropped == 0 and st.interrupted == 0
    assert sorted(s for _, _, s in log) == sorted({s for _, _, s in log})  # none twice
    lags = sorted((t - s) / 1e6 for _, t, s in log)
    # the pacer alone would start those due between ticks 0-50 ms late (median ~25 ms);
    # VUs busy for 10 ms take most of them within ~10 ms of their time
    assert lags[len(lags) // 2] < 15, lags[len(lags) // 2]
