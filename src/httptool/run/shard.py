"""One shard of a run: an event loop, an executor, VUs and a metrics recorder.

:func:`run_shard` is a plain, picklable function of (:class:`ShardConfig`, channel) so it
runs the same way in a thread of the coordinating process (``--workers 1``), in a local
worker process, or on a Dask worker. It talks to the coordinator only through the channel:

* ``channel.send(msg)`` — may block (that is the verbose mode's back-pressure). Messages:
  ``("snapshot", Snapshot)`` about every ``snapshot_interval`` seconds and a final one;
  ``("events", list[Event])`` batches of VU events when ``options.events`` is set;
  ``("error", shard_index, text)`` when the shard itself failed (a bug, not a request
  failure); always ``("done", shard_index)`` last.
* ``channel.stop.is_set()`` — stop starting new work; in-flight iterations get the grace
  period. ``channel.hard_stop.is_set()`` — cut the grace short. Both are polled.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from httptool.engine import loop
from httptool.engine.executors import Executor, LoadState, ShardSpec
from httptool.engine.saturation import LoopSaturation
from httptool.engine.vu import VU, Runtime
from httptool.events import Event
from httptool.loadmodels import ITERATIONS
from httptool.metrics.recorder import Recorder, origin_ns
from httptool.metrics.snapshot import Snapshot
from httptool.plan import LoadSpec, Plan, ScenarioPlan, Step


class Flag(Protocol):
    def is_set(self) -> bool: ...


class Channel(Protocol):
    # read-only: a channel may hold a flag type that can also be set (local or Dask)
    @property
    def stop(self) -> Flag: ...
    @property
    def hard_stop(self) -> Flag: ...

    def send(self, msg: tuple[Any, ...]) -> None: ...


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Command-line settings every shard needs (picklable)."""

    #: ``--base-url-map FROM=TO``: a request URL starting with FROM starts with TO instead
    base_url_map: tuple[tuple[str, str], ...] = ()
    #: ``--cookies``; None keeps the scenario's own setting
    cookies: Literal["vu", "shared", "off"] | None = None
    #: send VU events (``--verbose``, ``--out``)
    events: bool = False
    #: variables extracted by the ``setup`` flow, read-only for every VU
    setup_values: Mapping[str, Any] = field(default_factory=dict)
    #: environment for ``${env.NAME}``; None means this process's os.environ
    env: Mapping[str, str] | None = None
    snapshot_interval: float = 1.0
    #: ``--trace``: a W3C traceparent header on every request, its trace id in the rows
    trace: bool = False


@dataclass(frozen=True, slots=True)
class ShardConfig:
    plan: Plan
    scenario: str
    shard: ShardSpec = field(default_factory=ShardSpec)
    #: run-wide start, ``time.time_ns()`` taken once by the coordinator; every shard starts
    #: its load at this instant and counts its time series from it
    start_wall_ns: int = 0
    options: RunOptions = field(default_factory=RunOptions)


# --------------------------------------------------------------------------- running

#: ``${COUNTER}`` in setup starts above this and in teardown above twice this, so their
#: values never meet the load's (which count from 1 across all shards).
FLOW_ONCE_COUNTER_BASE = 10**12

#: How often the shard polls the stop flags, samples active VUs and ships events (s).
TICK = 0.05


def _recorder_state(rec: Recorder, st: LoadState) -> None:
    """Copy the executor's counters into the recorder before a snapshot."""
    rec.dropped = st.dropped
    rec.dropped_saturated = st.dropped_saturated
    rec.dropped_connecting = st.dropped_connecting
    rec.dropped_late = st.dropped_late
    rec.interrupted = st.interrupted
    rec.vus = st.vus
    rec.vus_max = max(rec.vus_max, st.vus_max)


class _Events:
    """VU events buffered in a list (one append per event on the hot path) and shipped to
    the coordinator every tick; ``send`` may block, which is verbose mode's back-pressure."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.buf: list[Event] = []

    def ship(self) -> None:
        buf = self.buf
        if buf:
            batch = buf.copy()
            buf.clear()  # the same list: VUs keep appending through its bound append
            self.channel.send(("events", batch))


def run_shard(config: ShardConfig, channel: Channel) -> None:
    """Run this shard's share of the load to the end (blocking). Never raises: a failure
    of the shard itself is sent as ``("error", index, text)``; ``("done", index)`` is
    always the last message."""
    index = config.shard.index
    try:
        loop.run(_shard_main(config, channel))
    except BaseException:  # reported to the coordinator, never lost
        channel.send(("error", index, traceback.format_exc()))
    finally:
        channel.send(("done", index))


async def _shard_main(config: ShardConfig, channel: Channel) -> None:
    plan, opts, shard = config.plan, config.options, config.shard
    scenario = plan.scenario(config.scenario)
    start_wall = config.start_wall_ns or time.time_ns()
    t0 = origin_ns(start_wall)
    rec = Recorder(shard=shard.index, t0_ns=t0)
    events = _Events(channel) if opts.events else None
    rt = Runtime(plan, scenario, rec, shard_index=shard.index, shard_count=shard.count,
                 base_url_map=opts.base_url_map, cookies=opts.cookies,
                 emit=events.buf.append if events is not None else None,
                 setup_values=opts.setup_values, env=opts.env, trace=opts.trace)
    state = LoadState()
    stop, hard = asyncio.Event(), asyncio.Event()
    executor = Executor(scenario.load, lambda vu_id: VU(rt, vu_id), shard, state, stop, hard)
    run = asyncio.ensure_future(executor.run(start_ns=max(t0, time.monotonic_ns())))
    next_snap = time.monotonic() + opts.snapshot_interval
    # how long this loop was CPU-bound: the run's validity verdict names the shard
    sat = LoopSaturation(time.monotonic_ns())
    try:
        while not run.done():
            await asyncio.wait([run], timeout=TICK)
            if channel.stop.is_set():
                stop.set()
            if channel.hard_stop.is_set():
                stop.set()
                hard.set()
            rec.sample_active(state.active)
            sat.update(time.monotonic_ns())
            if events is not None:
                events.ship()
            if time.monotonic() >= next_snap:
                _recorder_state(rec, state)
                channel.send(("snapshot", _with_saturation(rec.snapshot(), sat)))
                next_snap = time.monotonic() + opts.snapshot_interval
        run.result()
    finally:
        if not run.done():
            run.cancel()
            await asyncio.gather(run, return_exceptions=True)
        if events is not None:
            events.ship()
        rec.sample_active(0)
        _recorder_state(rec, state)
        channel.send(("snapshot", _with_saturation(rec.snapshot(final=True), sat)))


def _with_saturation(snap: Snapshot, sat: LoopSaturation) -> Snapshot:
    snap.saturated_ns = sat.saturated_ns
    return snap


def run_flow_once(plan: Plan, steps: tuple[Step, ...], options: RunOptions, channel: Channel,
                  shard_index: int, start_wall_ns: int = 0) -> dict[str, Any]:
    """Run ``steps`` (``setup`` or ``teardown``) once with one VU (number 0) and return
    the variables it extracted. Its metrics go out as a final ``("snapshot", ...)`` of
    shard ``shard_index`` (and events, when enabled); no ``("done", ...)`` is sent."""
    return loop.run(_flow_once(plan, steps, options, channel, shard_index, start_wall_ns))


async def _flow_once(plan: Plan, steps: tuple[Step, ...], options: RunOptions,
                     channel: Channel, shard_index: int, start_wall_ns: int) -> dict[str, Any]:
    rec = Recorder(shard=shard_index,
                   t0_ns=origin_ns(start_wall_ns) if start_wall_ns else None)
    buf: list[Event] = []
    scenario = ScenarioPlan("setup", LoadSpec(ITERATIONS.name, vus=1, iterations=1), steps)
    phase = 2 if steps is plan.teardown else 1
    rt = Runtime(plan, scenario, rec, shard_index=0, shard_count=1,
                 counter_base=phase * FLOW_ONCE_COUNTER_BASE,
                 base_url_map=options.base_url_map, cookies=options.cookies,
                 emit=buf.append if options.events else None,
                 setup_values=options.setup_values, env=options.env, trace=options.trace)
    vu = VU(rt, 0)
    try:
        await vu.iteration(None)
        rec.iter_vu.clear()  # setup/teardown are not load iterations
    finally:
        await vu.close()
        if buf:
            channel.send(("events", buf))
        # VU 0 runs setup/teardown, not load: it is in the per-VU rows (so they still sum
        # to the total) but not in the load's VUs created and max
        rec.vus = rec.vus_max = 0
        channel.send(("snapshot", rec.snapshot(final=True)))
    return dict(vu.scope.extracted)
