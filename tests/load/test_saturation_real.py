"""The open model's pool growth guard (engine/saturation.py), for real.

A generator whose event loop is saturated cannot start iterations sooner by adding VUs;
the pool then stops growing and what finds no free VU is dropped. The guard must not
fire when the loop is late for a reason that does not use the CPU (a frozen loop is in
tests/load/test_open_accuracy_real.py: nothing dropped there).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from httptool.engine import saturation
from httptool.engine.client import ConnectionPool
from httptool.engine.executors import Executor
from httptool.engine.request import build_request
from httptool.engine.saturation import WINDOW_NS, LoopSaturation
from httptool.plan import LoadSpec


def _burn(ns: int) -> None:
    end = time.thread_time_ns() + ns
    while time.thread_time_ns() < end:
        pass


class FakeClocks:
    """Wall and thread-CPU clocks the test moves by hand: the window's arithmetic without
    a shared machine's preemption (a real 55 ms burn took > 58 ms of wall time once)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.wall = self.cpu = 1_000_000_000
        monkeypatch.setattr(saturation, "thread_time_ns", lambda: self.cpu)

    def run(self, wall_ms: float, cpu_ms: float) -> int:
        self.wall += int(wall_ms * 1e6)
        self.cpu += int(cpu_ms * 1e6)
        return self.wall


def test_saturated_after_a_busy_window_not_after_a_sleep(
        monkeypatch: pytest.MonkeyPatch) -> None:
    c = FakeClocks(monkeypatch)
    sat = LoopSaturation(c.wall)
    sat.update(c.run(55, 55))  # a whole window of CPU
    assert sat.saturated and sat.windows_saturated == 1
    sat.update(c.run(60, 0))  # late, but the CPU was idle (a frozen or stopped loop)
    assert not sat.saturated and sat.windows_saturated == 1
    sat.update(c.run(50, 0.96 * 50))  # at the bound...
    assert sat.saturated and sat.windows_saturated == 2
    sat.update(c.run(50, 0.90 * 50))  # ...and below it: busy but keeping up
    assert not sat.saturated and sat.windows_saturated == 2


def test_saturated_after_a_real_busy_window() -> None:
    """The real clocks: 55 ms of CPU burnt with no sleep counts as saturated unless the
    machine took the core away for more than 5 % of the window (then it is retried)."""
    for _ in range(5):
        sat = LoopSaturation(time.monotonic_ns())
        _burn(WINDOW_NS + 5_000_000)
        sat.update(time.monotonic_ns())
        if sat.saturated:
            break
    assert sat.saturated and sat.windows_saturated == 1


def test_a_window_closes_only_when_it_is_over() -> None:
    sat = LoopSaturation(time.monotonic_ns())
    _burn(5_000_000)
    sat.update(time.monotonic_ns())  # 5 ms into a 50 ms window: nothing measured yet
    assert not sat.saturated and sat.windows_saturated == 0


class BurningVU:
    """A VU whose iteration costs ~2 ms of generator CPU (a heavy flow's extraction and
    checks, say) and then sends one real request to the target."""

    def __init__(self, vu_id: int, url: str) -> None:
        self.id = vu_id
        self.pool = ConnectionPool()
        self.req = build_request("GET", url)
        self.sent = 0

    async def iteration(self, scheduled_ns: int | None) -> None:
        _burn(2_000_000)
        resp = await self.pool.send(self.req)
        assert resp.error is None, resp.reason
        self.sent += 1

    async def close(self) -> None:
        self.pool.close()


def _overloaded_run(url: str) -> tuple[Executor, int]:
    """1,000 iterations/s for 1.5 s, each needing 2 ms of CPU: twice what one core has."""
    vus: list[BurningVU] = []

    def make(i: int) -> BurningVU:
        vus.append(BurningVU(i, url))
        return vus[-1]

    async def main() -> Executor:
        ex = Executor(LoadSpec("rps", rps=1000, duration=1.5, graceful_stop=5.0), make)
        await ex.run()
        return ex

    ex = asyncio.run(main())
    return ex, sum(v.sent for v in vus)


def test_saturated_generator_drops_instead_of_growing_the_pool(
    target: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    target.reset()
    ex, sent = _overloaded_run(target.url + "/get")
    st = ex.state
    assert ex.saturation is not None and ex.saturation.windows_saturated >= 5
    # every scheduled iteration is accounted for, and every one started reached the server
    assert st.completed + st.dropped + st.interrupted == 1500
    assert sent == st.completed == target.counts()["total"]
    # one core does ~500 of these a second: about half the schedule cannot start
    assert st.dropped >= 300, (st.dropped, st.completed)
    # the pool never reached max_vus (7,500 by default here): every drop was the guard's
    assert st.dropped_saturated == st.dropped
    # the pool stays near what one loop can keep busy; VUs are made only while the loop
    # had spare CPU (the first window, before anything was measured)
    assert st.vus <= 80, st.vus

    # the same run with the guard off (a CPU share no loop reaches): the pool grows with
    # iterations the late loop could not start — what the guard prevents. (Since the
    # overload rule, what falls due after the end is dropped as late rather than given a
    # VU, so the pool grows less than before it: measured 57 vs 46, was 108 vs 17.)
    target.reset()
    monkeypatch.setattr(saturation, "CPU_SHARE", 2.0)
    ex_off, sent_off = _overloaded_run(target.url + "/get")
    assert ex_off.saturation is not None and ex_off.saturation.windows_saturated == 0
    assert ex_off.state.vus > st.vus, (ex_off.state.vus, st.vus)
    assert ex_off.state.dropped_saturated == ex_off.state.dropped_connecting == 0
    # what it did drop fell due before the end, but the late loop reached it after: the
    # run still ends on time (issue 23 item 9)
    assert ex_off.state.dropped == ex_off.state.dropped_late
    assert sent_off == target.counts()["total"]
