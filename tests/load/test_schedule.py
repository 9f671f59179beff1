"""Arrival times and VU targets are pure functions of the load spec."""

from __future__ import annotations

import math

from httptool.engine.schedule import ArrivalSchedule, VUTarget
from httptool.plan import LoadSpec, Stage


def test_constant_rate_schedule() -> None:
    s = ArrivalSchedule(LoadSpec("rps", rps=200, duration=5))
    assert s.total == 1000
    assert s.time_of(0) == 0.0
    assert math.isclose(s.time_of(999), 4.995)


def test_rate_stages_integrate_the_ramp() -> None:
    # ramp 0 -> 100/s over 10 s (500 iterations), hold 10 s (1000), ramp down 5 s (250)
    s = ArrivalSchedule(LoadSpec("rps", stages=(Stage(10, 100), Stage(10, 100), Stage(5, 0))))
    assert s.total == 1750
    assert math.isclose(s.time_of(500), 10.0)
    assert math.isclose(s.time_of(1500), 20.0)
    # in a linear ramp from 0, iteration k is due at sqrt(2k/slope)
    assert math.isclose(s.time_of(125), math.sqrt(2 * 125 / 10))
    times = [s.time_of(k) for k in range(s.total)]
    assert times == sorted(times) and times[-1] < 25.0


def test_zero_rate_stage_produces_nothing() -> None:
    s = ArrivalSchedule(LoadSpec("rps", stages=(Stage(1, 0), Stage(1, 10))))
    assert s.total == 5
    assert s.time_of(0) >= 1.0


def test_vu_targets() -> None:
    ramp = VUTarget(LoadSpec("vus", vus=10, duration=30, ramp_up=10))
    assert [ramp.at(t) for t in (0, 0.99, 1, 5, 9.99, 20)] == [1, 1, 2, 6, 10, 10]
    st = VUTarget(LoadSpec("vus", stages=(Stage(60, 10), Stage(10, 100), Stage(60, 10))))
    assert [st.at(t) for t in (0, 6, 60, 65, 70, 100, 200)] == [0, 1, 10, 55, 100, 55, 10]
    assert st.max == 100


def test_stage_targets_round_up_so_a_ramp_reaches_its_peak() -> None:
    # 0 -> 5 VUs over 1 s, then 5 -> 0 over 1 s: VU rank r runs while the target is above r
    st = VUTarget(LoadSpec("vus", stages=(Stage(1, 5), Stage(1, 0))))
    ups = [st.at(t) for t in (0, 0.01, 0.2, 0.21, 0.79, 0.81, 0.99)]
    assert ups == [0, 1, 1, 2, 4, 5, 5]
    downs = [st.at(t) for t in (1.0, 1.1, 1.21, 1.79, 1.81, 2.5)]
    assert downs == [5, 5, 4, 2, 1, 0]
