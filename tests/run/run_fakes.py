"""Fake shard and setup functions that follow the contract of :mod:`httptool.run.shard`
exactly, without any network: they record synthetic requests into a real
:class:`~httptool.metrics.Recorder`, so the coordinator's merging is tested for real.

Module-level (picklable) so they also run in worker processes; knobs go through
:func:`functools.partial`.

A fake iteration records one request ``get`` (latency 1 ms + VU id µs) and one passed check
for each of the shard's VUs. In the iterations model a shard runs exactly its share of the
iterations, so the run's totals are known in advance. When stopped while ``inflight`` > 0,
the shard pretends one iteration is still in flight for ``inflight`` seconds: it completes
(one more request) if that fits in the grace period and no hard stop comes, else it is
counted as interrupted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from httptool.dsl import compile_source
from httptool.metrics import Recorder, origin_ns
from httptool.plan import LoadSpec, Plan, Run, ScenarioPlan, Step
from httptool.run.shard import Channel, RunOptions, ShardConfig

SNAPSHOT_EVERY = 0.2


def make_plan(load: LoadSpec, setup: tuple[Step, ...] = (), teardown: tuple[Step, ...] = (),
              name: str = "s") -> Plan:
    return Plan(scenarios=(ScenarioPlan(name=name, load=load, flow=(Run("get"),)),),
                setup=setup, teardown=teardown)


def fake_shard(config: ShardConfig, channel: Channel, *, pause: float = 0.002,
               inflight: float = 0.0, crash_after: int | None = None,
               raise_after: int | None = None, only: int | None = None,
               stubborn: bool = False, events_per_iteration: int = 1,
               name_start: bool = False) -> None:
    """See the module docstring. After ``crash_after``/``raise_after`` snapshots, die with
    ``os._exit(3)`` / raise (only shard ``only`` if given). ``stubborn``: ignore stop and
    hard stop (for up to 60 s). ``name_start``: name the request after the start instant."""
    load = config.plan.scenario(config.scenario).load
    spec = config.shard
    opts = config.options
    rec = Recorder(shard=spec.index, t0_ns=origin_ns(config.start_wall_ns))
    name = "get"
    token = opts.setup_values.get("token")
    if token is not None:
        name = f"get token={token}"
    if name_start:
        name = f"get start={config.start_wall_ns}"
    req = rec.request(name)
    chk = rec.check(f"{name} status == 200")
    vus = [r + 1 for r in spec.ranks(int(load.vus or 1))]
    remaining = spec.share(int(load.iterations)) if load.model == "iterations" else None
    rec.vus = len(vus)
    while time.time_ns() < config.start_wall_ns and not channel.stop.is_set():
        time.sleep(0.001)
    limit = time.monotonic() + (load.duration or 60.0)

    seq = 0

    def iteration(vu: int) -> None:
        nonlocal seq
        end = time.monotonic_ns()
        req.record(vu, 1_000_000 + 1000 * vu, end, 500_000, sent=100, received=200)
        chk.passed += 1
        rec.iter_vu.append(vu)
        seq += 1
        if opts.events and events_per_iteration:
            t = time.time()
            batch = [("req", t, vu, seq, name, "GET", f"http://fake/{spec.index}/{seq}/{k}",
                      200, 1.0, True, "") for k in range(events_per_iteration)]
            channel.send(("events", batch))

    def stopped() -> bool:
        if stubborn:
            return time.monotonic() > limit + 60
        return channel.stop.is_set()

    snaps = 0
    snap_at = time.monotonic()
    while not stopped() and (stubborn or time.monotonic() < limit):
        for vu in vus:
            if remaining is not None:
                if remaining <= 0:
                    break
                remaining -= 1
            rec.sample_active(1)
            iteration(vu)
        if remaining is not None and remaining <= 0:
            break
        if time.monotonic() - snap_at >= SNAPSHOT_EVERY:
            snap_at = time.monotonic()
            channel.send(("snapshot", rec.snapshot()))
            snaps += 1
            if only is None or only == spec.index:
                if crash_after is not None and snaps >= crash_after:
                    os._exit(3)
                if raise_after is not None and snaps >= raise_after:
                    raise RuntimeError("fake shard failed on purpose")
        time.sleep(pause)

    if channel.stop.is_set() and inflight > 0 and vus:
        grace = load.graceful_stop
        end = time.monotonic() + min(inflight, grace)
        while time.monotonic() < end and not channel.hard_stop.is_set():
            time.sleep(0.005)
        if inflight <= grace and not channel.hard_stop.is_set():
            iteration(vus[0])
        else:
            rec.interrupted += 1
    rec.sample_active(0)
    channel.send(("snapshot", rec.snapshot(final=True)))
    channel.send(("done", spec.index))


def fake_setup(plan: Plan, steps: tuple[Step, ...], options: RunOptions, channel: Channel,
               index: int, start_wall_ns: int = 0,
               teardown_pause: float = 0.0) -> Mapping[str, Any]:
    """Setup/teardown: one request per step, named after the phase; returns a token.
    Teardown (``steps is plan.teardown``) names its request after the setup's token.
    ``teardown_pause``: seconds each teardown step takes."""
    rec = Recorder(shard=index, t0_ns=origin_ns(start_wall_ns) if start_wall_ns else None)
    pause = 0.0
    if steps is plan.teardown:
        name = f"teardown token={options.setup_values.get('token')}"
        pause = teardown_pause
    else:
        name = "setup"
    st = rec.request(name)
    for _ in steps:
        time.sleep(pause)
        st.record(0, 2_000_000, time.monotonic_ns(), 1_000_000)
    channel.send(("snapshot", rec.snapshot(final=True)))
    return {"token": "t0k"}


def failing_setup(plan: Plan, steps: tuple[Step, ...], options: RunOptions, channel: Channel,
                  index: int, start_wall_ns: int = 0) -> Mapping[str, Any]:
    raise ValueError("login failed: status 401")


#: For the real shard against the built-in target: setup logs in once; every load request
#: sends that token and asserts the user it belongs to; teardown logs the same token out
#: and asserts it was known. So a token that did not reach the shards or teardown shows up
#: as failures.
REAL_SCENARIO = """
var base = "{url}"
request login {{
  curl -X POST ${{base}}/login -H 'Content-Type: application/json' \\
    -d '{{"username":"setup-user","password":"pw"}}'
  extract {{ token = $.token }}
  assert {{ status == 200 }}
}}
request me {{
  curl ${{base}}/me -H "Authorization: Bearer ${{token}}"
  assert {{
    status == 200
    body.user == "setup-user"
  }}
}}
request logout {{
  curl -X POST ${{base}}/logout -H "Authorization: Bearer ${{token}}"
  assert {{
    status == 200
    body.logged_out == true
  }}
}}
setup {{ run login }}
teardown {{ run logout }}
scenario s {{
  load {load}
  run me
}}
"""


def real_plan(url: str, load: str) -> Plan:
    """:data:`REAL_SCENARIO` against ``url`` with ``load`` (e.g. ``4 vus for 1s``)."""
    text = REAL_SCENARIO.format(url=url, load=load)
    plan, diags = compile_source(text)
    assert plan is not None, diags.render(text)
    return plan
