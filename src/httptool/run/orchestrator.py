"""Running one scenario: setup, the load on N shards, teardown; merging; Ctrl-C.

:func:`run_scenario` is what ``httptool scenario run`` calls. It

1. runs the file's ``setup`` flow once (in a thread of this process, before any shard
   process exists) and hands the variables it extracted to every shard
   (``RunOptions.setup_values``);
2. starts the load shards (:mod:`httptool.run.local`: one thread for ``workers == 1``, else
   one process each) with a common start instant, set once every shard is ready;
3. feeds every snapshot to one :class:`~httptool.metrics.Merger`, passes every event batch
   on at once (lossless, in order per shard), and gives the listener a fresh merged
   :class:`~httptool.metrics.RunResult` at most every :data:`RESULT_EVERY` seconds;
4. runs ``teardown`` like setup, with the setup values, even after a Ctrl-C (not after a
   second one);
5. returns a :class:`RunOutcome` with the final merged result.

Stopping (DESIGN.md, exit code 130): the first SIGINT/SIGTERM asks every shard to stop
starting work (in-flight iterations get the scenario's ``graceful_stop``), the second cuts
the grace short, a third ends the shards at once. Every wait is bounded: a shard that does
not finish ``STOP_SLACK`` seconds after its grace ran out is hard-stopped, one that does not
finish ``HARD_SLACK`` seconds after a hard stop is ended by force, and a load with a known
duration is stopped if it runs ``RUN_SLACK`` seconds past its end. A shard that fails (an
``error`` message, an exception, a process that died) is reported in ``errors`` and the
other shards are stopped: their numbers could no longer describe the load asked for.
A group may instead report a shard as ``("lost", i, text)`` (a cluster worker that
vanished, :mod:`httptool.run.cluster`): it is named in ``errors`` and ``lost_shards``,
keeps what it had reported, and the other shards run on.

Shard ids the merger sees: ``0..n-1`` for the load, ``n`` for setup, ``n + 1`` for
teardown (``n`` = load shards actually used, see :func:`shard_count`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from httptool.engine.executors import ShardSpec
from httptool.events import Event
from httptool.loadmodels import model_of
from httptool.metrics import Merger, RunResult, Snapshot
from httptool.plan import LoadSpec, Plan, Step
from httptool.run.local import (
    QUEUE_SIZE,
    Message,
    ProcessGroup,
    ShardFn,
    ShardGroup,
    ThreadGroup,
    choose_start_method,
)
from httptool.run.shard import Channel, RunOptions, ShardConfig, run_flow_once, run_shard
from httptool.run.signals import SignalCounter

#: The coordinator's loop wakes at least this often (reaction time to Ctrl-C).
TICK = 0.05
#: Fewest seconds between two ``on_result`` calls (a merge costs a few ms).
RESULT_EVERY = 0.25
#: After the grace period of a stop, seconds before the hard stop is forced.
STOP_SLACK = 5.0
#: After a hard stop, seconds before unfinished shards are ended by force.
HARD_SLACK = 5.0
#: Seconds past duration + grace after which a load that should have ended is stopped.
RUN_SLACK = 15.0
#: From now to the start of a shard in a thread (no process to start).
THREAD_MARGIN = 0.02

class SetupFn(Protocol):
    """Runs ``steps`` once like one VU and returns the variables it extracted, reporting
    through ``channel`` as a shard does (``done`` optional). ``start_wall_ns`` is the
    origin of its time series (0: its own start); teardown gets the load's, so its seconds
    follow the load's."""

    def __call__(self, plan: Plan, steps: tuple[Step, ...], options: RunOptions,
                 channel: Channel, shard_index: int, start_wall_ns: int = 0,
                 ) -> Mapping[str, Any] | None: ...

_RETIRED = 1 << 62  # series_from of a finished setup: never holds back the merger's sealing


class RunListener(Protocol):
    """What the coordinator tells the reporters while a run is on (the report layer's
    ``RunReporter`` is one, without importing this module). All are called from the
    thread that called :func:`run_scenario`, never from a signal handler."""

    def on_phase(self, phase: str) -> None: ...
    def on_events(self, batch: list[Event]) -> None: ...
    def on_result(self, result: RunResult) -> None: ...
    def on_signal(self, count: int) -> None: ...


class Listener:
    """A :class:`RunListener` whose every method does nothing: subclass it and override
    only what you need."""

    def on_phase(self, phase: str) -> None:
        """``"setup"``, ``"load"`` or ``"teardown"`` is starting."""

    def on_events(self, batch: list[Event]) -> None:
        """VU events (see :mod:`httptool.events`), as soon as they arrive; every
        event exactly once, in order per shard (only when ``RunOptions.events``)."""

    def on_result(self, result: RunResult) -> None:
        """The merged metrics so far (throttled); the last call has the final result."""

    def on_signal(self, count: int) -> None:
        """Stop signal number ``count`` arrived: 1 stopping gracefully, 2 stopping at
        once (grace cut short), 3 or more ending the shards now."""


@dataclass
class RunOutcome:
    """The end of a run. ``interrupted`` is True when a stop signal came (exit 130);
    ``errors`` are failures of the tool or of setup/teardown (``"shard 1: ..."``,
    ``"setup: ..."``), first line a summary, then details; ``duration_s`` is wall-clock
    time of the whole call (setup and teardown included)."""

    result: RunResult
    interrupted: bool = False
    stopped_by: str = ""  # "Ctrl-C" or "SIGTERM" when interrupted
    errors: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    workers: int = 0  # load shards used
    start_method: str = ""  # "thread", "fork", "forkserver" or "spawn"; "" if no load ran
    setup_values: dict[str, Any] = field(default_factory=dict)
    signals: int = 0
    #: load shards lost on the way (a cluster worker that vanished); also in ``errors``
    lost_shards: list[int] = field(default_factory=list)


def shard_count(load: LoadSpec, workers: int) -> int:
    """How many of ``workers`` shards can have work: no more than the most VUs of a closed
    load, than ``min(vus, iterations)`` of an iterations load (a shard with iterations but
    no VU would never run them), or than ``max_vus`` of an open one (a shard without VUs
    would drop its whole share)."""
    n = max(1, workers)
    bound = model_of(load).max_shards(load)
    return n if bound is None else max(1, min(n, bound))


def shard_configs(plan: Plan, scenario: str, count: int, options: RunOptions,
                  start_wall_ns: int) -> list[ShardConfig]:
    """One config per shard: same plan, options and start instant; its own :class:`ShardSpec`."""
    return [ShardConfig(plan=plan, scenario=scenario, shard=ShardSpec(index=i, count=count),
                        start_wall_ns=start_wall_ns, options=options) for i in range(count)]


def _level(count: int, base: int) -> int:
    """Stop level for a phase that began after ``base`` signals, now at ``count``: a phase
    begun after a first Ctrl-C (teardown) treats the next one as the second."""
    return 0 if count <= base else count - base + min(base, 1)


class _Coordinator:
    """The state of one run's message loop (one merger, the errors, the listener)."""

    def __init__(self, listener: RunListener, signals: SignalCounter,
                 labels: dict[int, str]) -> None:
        self.listener = listener
        self.signals = signals
        self.labels = labels  # setup/teardown shard ids -> names
        self.errors: list[str] = []
        self.lost: list[int] = []
        self.merger = Merger()
        self._aux: list[Snapshot] = []  # setup/teardown snapshots, replayed by start_load
        self._told_signals = 0
        self._dirty = False
        self._result_at = 0.0
        self._load_ns = -1  # longest elapsed time of a load shard (-1: none yet)

    def label(self, i: int) -> str:
        return self.labels.get(i, f"shard {i}")

    # -------------------------------------------------------------- messages

    def handle(self, msg: Message, failed: set[int]) -> None:
        kind = msg[0] if msg else None
        if kind == "snapshot":
            snap: Snapshot = msg[1]
            self.merger.add(snap)
            if snap.shard in self.labels:
                self._aux.append(snap)
            else:
                self._load_ns = max(self._load_ns, snap.elapsed_ns)
            self._dirty = True
        elif kind == "events":
            self.listener.on_events(msg[1])
        elif kind == "error":
            failed.add(msg[1])
            self.errors.append(f"{self.label(msg[1])}: {msg[2]}")
        elif kind == "lost":  # not a failure of the load: the other shards run on
            self.lost.append(msg[1])
            self.errors.append(f"{self.label(msg[1])}: lost: {msg[2]}")
        elif kind != "done":
            self.errors.append(f"coordinator: unexpected message {kind!r} ignored")

    def result(self) -> RunResult:
        """The merged result; its duration is the load's (teardown's time series counts
        from the load's start, so it would otherwise stretch the run and lower its rps)."""
        res = self.merger.result()
        if self._load_ns >= 0:
            res.duration_s = self._load_ns / 1e9
        return res

    def maybe_result(self) -> None:
        now = time.monotonic()
        if self._dirty and now - self._result_at >= RESULT_EVERY:
            self._dirty = False
            self._result_at = now
            self.listener.on_result(self.result())

    def tell_signals(self) -> None:
        while self._told_signals < self.signals.count:
            self._told_signals += 1
            self.listener.on_signal(self._told_signals)

    # -------------------------------------------------------------- merger bookkeeping

    def retire(self, index: int) -> None:
        """Setup is over: keep its numbers, but stop its (frozen) ``series_from`` from
        holding back the sealing of the load's old seconds."""
        last = max((s for s in self._aux if s.shard == index), key=lambda s: s.seq,
                   default=None)
        if last is not None:
            retired = dataclasses.replace(last, seq=last.seq + 1, series={},
                                          series_from=_RETIRED)
            self.merger.add(retired)
            self._aux.append(retired)

    def start_load(self, load_shards: int) -> None:
        """A merger that knows the shard count (so it seals old seconds on long runs),
        with the setup's snapshots replayed into it."""
        m = Merger(shards=load_shards + len({s.shard for s in self._aux}))
        for s in self._aux:
            m.add(s)
        self.merger = m

    # -------------------------------------------------------------- one phase

    def pump(self, group: ShardGroup, *, grace: float, duration: float | None = None,
             fail_fast: bool = False) -> None:
        """Consume ``group``'s messages until every shard is done; apply stop signals and
        the bounded escalation (see the module docstring). ``duration``: how long the
        shards should run from their common start (None: unknown)."""
        end_by: float | None = None
        base = self.signals.count
        level = 0  # applied to the group: 1 stop, 2 hard stop, 3 aborted
        stop_at = hard_at = 0.0
        failed: set[int] = set()
        try:
            while not group.finished:
                for msg in group.receive(TICK):
                    self.handle(msg, failed)
                self.tell_signals()
                now = time.monotonic()
                if end_by is None and duration is not None and group.start_wall_ns:
                    to_start = (group.start_wall_ns - time.time_ns()) / 1e9
                    end_by = now + max(to_start, 0.0) + duration + grace + RUN_SLACK
                by_signal = min(_level(self.signals.count, base), 3)
                want = by_signal
                if fail_fast and failed & group.done:
                    want = max(want, 1)
                if end_by is not None and now > end_by and max(want, level) < 1:
                    self.errors.append("coordinator: the load did not end on time; stopped it")
                    want = 1
                if level >= 1 and now > stop_at + grace + STOP_SLACK:
                    want = max(want, 2)
                if level >= 2 and now > hard_at + HARD_SLACK:
                    want = 3
                if want > level and not group.finished:
                    if want >= 3:
                        group.abort("stopped at once (Ctrl-C)" if by_signal >= 3 else
                                    f"did not stop within {HARD_SLACK:g} s of a hard stop")
                    elif want == 2:
                        group.request_hard_stop()
                    else:
                        group.request_stop()
                    if level < 1:
                        stop_at = now
                    if level < 2 <= want:
                        hard_at = now
                    level = want
                self.maybe_result()
        finally:
            if not group.finished:  # an exception (e.g. from a listener) got us here
                group.abort("the coordinator failed")
            group.close()


def _run_setup(co: _Coordinator, plan: Plan, options: RunOptions, setup_fn: SetupFn,
               index: int, queue_size: int, grace: float) -> tuple[bool, dict[str, Any]]:
    """The setup flow, once, in a thread; (it succeeded, the variables it extracted)."""
    got: dict[str, Any] = {}

    def setup_task(ch: Channel) -> None:
        got.update(setup_fn(plan, plan.setup, options, ch, index) or {})

    before = len(co.errors)
    co.pump(ThreadGroup([(index, setup_task)], queue_size).start(), grace=grace)
    co.retire(index)
    return len(co.errors) == before, got


def _load_group(plan: Plan, scenario: str, count: int, options: RunOptions, shard_fn: ShardFn,
                queue_size: int, start_method: str | None,
                group_factory: Callable[[Sequence[ShardConfig]], ShardGroup] | None
                ) -> tuple[ShardGroup, str]:
    """The load's shards, not started yet, and how they run (``outcome.start_method``):
    the factory's (the Dask cluster), one thread, or one process per shard (which get
    their common start once all are ready)."""
    if group_factory is not None:
        group = group_factory(shard_configs(plan, scenario, count, options, 0))
        return group, str(getattr(group, "method", "custom"))
    if count == 1:
        start_ns = time.time_ns() + int(THREAD_MARGIN * 1e9)
        cfg = shard_configs(plan, scenario, 1, options, start_ns)[0]
        return ThreadGroup([(0, lambda ch: shard_fn(cfg, ch))], queue_size, start_ns), "thread"
    configs = shard_configs(plan, scenario, count, options, 0)
    processes = ProcessGroup(shard_fn, configs, start_method or choose_start_method())
    return processes, processes.method


def run_scenario(
    plan: Plan,
    scenario: str | None = None,
    workers: int = 1,
    options: RunOptions | None = None,
    listener: RunListener | None = None,
    *,
    shard_fn: ShardFn = run_shard,
    setup_fn: SetupFn = run_flow_once,
    start_method: str | None = None,
    handle_signals: bool = True,
    queue_size: int = QUEUE_SIZE,
    group_factory: Callable[[Sequence[ShardConfig]], ShardGroup] | None = None,
) -> RunOutcome:
    """Run ``scenario`` (the first one if None) of ``plan`` on ``workers`` shards.

    ``workers == 1`` runs the shard in a thread; more run one process each (capped by
    :func:`shard_count`), started with ``start_method`` (default
    :func:`~httptool.run.local.choose_start_method`). ``shard_fn``/``setup_fn`` (tests
    pass fakes) follow the contract of :mod:`httptool.run.shard`; process shards need a
    picklable (module-level) ``shard_fn``. ``handle_signals`` installs SIGINT/SIGTERM
    handlers for the duration of the call (main thread only); ``queue_size`` bounds a
    thread shard's queue (in messages). ``group_factory`` (the Dask cluster,
    :mod:`httptool.run.cluster`) builds the load's group from the shard configs (start
    instant 0: the group sets it) instead of threads or local processes; it needs a
    ``start()`` method and may set a ``method`` attribute (``outcome.start_method``).

    Longer than 80 lines with this docstring, on purpose: setup, load and teardown share
    one signal counter, one coordinator and the values setup extracted, and read in the
    order they run; each phase is a call or two (:func:`_run_setup`, :func:`_load_group`).
    """
    t0 = time.monotonic()
    options = options or RunOptions()
    listener = listener if listener is not None else Listener()
    scen = plan.scenario(scenario)
    load = scen.load
    grace = max(float(load.graceful_stop), 0.0)
    count = shard_count(load, workers)
    setup_i, teardown_i = count, count + 1
    labels = {setup_i: "setup", teardown_i: "teardown"}
    outcome = RunOutcome(result=RunResult(), workers=count)

    with SignalCounter(install=handle_signals) as signals:
        co = _Coordinator(listener, signals, labels)
        setup_ok = True
        values: dict[str, Any] = {}
        load_start_ns = 0

        # ---- 1. setup, once, in a thread (no process exists yet)
        if plan.setup:
            listener.on_phase("setup")
            setup_ok, values = _run_setup(co, plan, options, setup_fn, setup_i, queue_size,
                                          grace)
            if values:
                options = dataclasses.replace(options, setup_values={**options.setup_values,
                                                                     **values})

        # ---- 2. the load
        if setup_ok and signals.count == 0:
            listener.on_phase("load")
            co.start_load(count)
            group, outcome.start_method = _load_group(
                plan, scen.name, count, options, shard_fn, queue_size, start_method,
                group_factory)
            try:
                group.start()
            except Exception as exc:  # e.g. no more processes: report, still run teardown
                co.errors.append(f"coordinator: could not start the shards: {exc}")
                group.abort("not started")
            co.pump(group, grace=grace, duration=load.total_duration, fail_fast=True)
            load_start_ns = group.start_wall_ns

        # ---- 3. teardown, with the setup values, unless stopped at once
        if plan.teardown and setup_ok and signals.count < 2:
            listener.on_phase("teardown")

            def teardown_task(ch: Channel) -> None:
                setup_fn(plan, plan.teardown, options, ch, teardown_i, load_start_ns)

            co.pump(ThreadGroup([(teardown_i, teardown_task)], queue_size).start(),
                    grace=grace)

        co.tell_signals()
        outcome.result = co.result()
        listener.on_result(outcome.result)
        outcome.interrupted = signals.count > 0
        outcome.stopped_by = signals.stopped_by()
        outcome.signals = signals.count
        outcome.errors = co.errors
        outcome.lost_shards = co.lost
        outcome.setup_values = values
    outcome.duration_s = time.monotonic() - t0
    return outcome
