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


def test_saturated_after_a_busy_window_not_after_a_sleep() -> None:
    now = time.monotonic_ns
    sat = LoopSaturation(now())
    _burn(WINDOW_NS + 5_000_000)
    sat.update(now())
    assert sat.saturated and sat.windows_saturated == 1
    time.sleep(WINDOW_NS / 1e9 + 0.01)  # late, but the CPU was idle
    sat.update(now())
    assert not sat.saturated and sat.windows_saturated == 1


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
    # every iteration the late loop could not start — what the guard prevents
    target.reset()
    monkeypatch.setattr(saturation, "CPU_SHARE", 2.0)
    ex_off, sent_off = _overloaded_run(target.url + "/get")
    assert ex_off.saturation is not None and ex_off.saturation.windows_saturated == 0
    assert ex_off.state.vus > 2 * st.vus, (ex_off.state.vus, st.vus)  # measured: 108 vs 17
    assert ex_off.state.dropped == ex_off.state.dropped_saturated == 0
    assert sent_off == target.counts()["total"]
