"""Load models: who starts which iteration when, in one shard.

* closed (``N vus for D``, ``ramp_up``, VU stages): each active VU loops over the flow; a VU
  above the current target finishes its iteration and parks.
* open (``N rps for D``, rate stages): a timer-driven pacer starts every iteration whose
  scheduled time has passed on a free VU from a pool (a VU that becomes free between
  the pacer's ticks starts what fell due itself); no free VU and the pool at
  ``max_vus`` — or the loop saturated (engine/saturation.py) — means the iteration is
  **dropped** (counted, never delayed). The scheduled time is handed to the VU so
  latency can be measured from it (coordinated omission).
* iterations (``N iterations with M vus``): exactly this shard's share of N, each taken by
  whichever VU is free; ``per vu``: N for each of this shard's VUs.

Global numbering makes shards interleave: VU rank ``r`` and iteration ``k`` belong to shard
``r % shards`` / ``k % shards``; VU ids are ``rank + 1`` so they are unique run-wide.

At the end (deadline reached or ``stop`` set), in-flight iterations get ``graceful_stop``
seconds (cut short by ``hard_stop``), then are cancelled and counted as interrupted.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from httptool import loadmodels
from httptool.engine.connecting import CONNECTING
from httptool.engine.saturation import LoopSaturation
from httptool.engine.schedule import ArrivalSchedule, VUTarget
from httptool.plan import LoadSpec

#: The pacer wakes at least this often when iterations are due sooner (DESIGN.md: ~1 ms).
PACER_TICK = 0.001
#: Waits up to this long are plain sleeps (the stop flag is read when they end).
SHORT_SLEEP = 0.06
#: How often the closed-model controller re-reads the VU target.
CONTROLLER_TICK = 0.05
#: Open model default pool bound: enough VUs for this many seconds of latency at peak rate.
DEFAULT_MAX_VUS_SECONDS = 5.0
#: Most VUs a load loop starts in one pass before it yields to the running ones: started
#: in one burst, 15,000 VUs held the loop for seconds while the first ones waited.
START_BATCH = 256
#: No VU is started while this many connects are pending in the process
#: (engine/connecting.py): the server is not accepting, a new VU would only queue.
CONNECT_LIMIT = 256
#: Open model: iterations the pacer reaches this long after the end are dropped (late).
LATE_SLACK = 0.1
#: Open model default pre-allocated pool: VUs for this many seconds of peak rate (more
#: are made on demand). Kept small: every pre-made VU is free, and a late pacer hands
#: free VUs a burst of iterations at once, so a large pool turned a slow patch into
#: thousands of concurrent connections (bench/open_model.py).
PRE_VUS_SECONDS = 0.002


class VULike(Protocol):
    id: int

    async def iteration(self, scheduled_ns: int | None) -> None:
        """Run the flow once. ``scheduled_ns`` (monotonic) is set in the open model."""

    async def close(self) -> None:
        """Release connections; the VU will not be used again."""


@dataclass(frozen=True, slots=True)
class ShardSpec:
    """This process's share of the run: shard ``index`` of ``count``."""

    index: int = 0
    count: int = 1

    def share(self, total: int) -> int:
        """This shard's exact share of ``total`` items dealt round-robin."""
        return total // self.count + (1 if self.index < total % self.count else 0)

    def ranks(self, total: int) -> range:
        """Global 0-based ranks (VUs, iterations) of this shard among ``total``."""
        return range(self.index, total, self.count)


@dataclass
class LoadState:
    """Counters the shard reads for its snapshots (plain ints: cheap to update)."""

    completed: int = 0
    dropped: int = 0
    #: of ``dropped``: those a new VU was refused because the loop was saturated
    dropped_saturated: int = 0
    #: of ``dropped``: those a new VU was refused because CONNECT_LIMIT connects were
    #: pending, or that fell due before the end but the pacer reached only after it
    dropped_connecting: int = 0
    dropped_late: int = 0
    interrupted: int = 0
    active: int = 0  # VUs inside an iteration right now
    vus: int = 0  # VUs created so far
    vus_max: int = 0  # most VUs active at once
    done: bool = False


class Executor:
    """Runs one shard's part of a :class:`LoadSpec` against VUs made by ``make_vu(id)``."""

    def __init__(
        self,
        load: LoadSpec,
        make_vu: Callable[[int], VULike],
        shard: ShardSpec | None = None,
        state: LoadState | None = None,
        stop: asyncio.Event | None = None,
        hard_stop: asyncio.Event | None = None,
    ) -> None:
        self.load = load
        self.make_vu = make_vu
        self.shard = shard or ShardSpec()
        self.state = state or LoadState()
        self.stop = stop or asyncio.Event()
        self.hard_stop = hard_stop or asyncio.Event()
        self._vus: dict[int, VULike] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.start_ns = 0
        #: the first exception a VU task raised (a bug, not a request failure): it stops
        #: the load and :meth:`run` raises it after the drain, so it is never lost
        self.failure: BaseException | None = None
        #: the open model's pool growth guard (set when an open model runs)
        self.saturation: LoopSaturation | None = None

    # ------------------------------------------------------------------ common parts

    def _vu(self, vu_id: int) -> VULike:
        vu = self._vus.get(vu_id)
        if vu is None:
            vu = self._vus[vu_id] = self.make_vu(vu_id)
            self.state.vus += 1
        return vu

    async def _one(self, vu: VULike, scheduled_ns: int | None) -> None:
        st = self.state
        st.active += 1
        if st.active > st.vus_max:
            st.vus_max = st.active
        try:
            await vu.iteration(scheduled_ns)
        except asyncio.CancelledError:
            st.interrupted += 1
            raise
        else:
            st.completed += 1
        finally:
            st.active -= 1

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self.failure is None:
            self.failure = task.exception()
            self.stop.set()

    def _elapsed(self) -> float:
        return (time.monotonic_ns() - self.start_ns) / 1e9

    async def _sleep_or_stop(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        if self.stop.is_set():
            return
        if seconds <= SHORT_SLEEP:
            # a plain sleep: wait_for(stop.wait()) costs ~49 µs of CPU per pacer tick
            # against ~30 µs (bench/engine_layers.py), and a stop is seen a tick later
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(self.stop.wait(), seconds)
        except TimeoutError:
            pass

    async def _drain(self) -> None:
        """Give in-flight iterations the grace period, then cancel what is left."""
        pending = {t for t in self._tasks if not t.done()}
        if pending and not self.hard_stop.is_set():
            hard = asyncio.ensure_future(self.hard_stop.wait())
            deadline = time.monotonic() + max(self.load.graceful_stop, 0.0)
            try:
                while pending and not hard.done():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    await asyncio.wait(pending | {hard}, timeout=left,
                                       return_when=asyncio.FIRST_COMPLETED)
                    pending = {t for t in pending if not t.done()}
            finally:
                hard.cancel()
        pending = {t for t in self._tasks if not t.done()}
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        for vu in list(self._vus.values()):
            try:
                await vu.close()
            except Exception:  # closing is best effort; the run's numbers are already kept
                pass

    # ------------------------------------------------------------------ entry point

    async def run(self, start_ns: int | None = None) -> LoadState:
        """Run the load; ``start_ns`` (monotonic) is the common start, now by default."""
        now = time.monotonic_ns()
        if start_ns is not None and start_ns > now:
            await self._sleep_or_stop((start_ns - now) / 1e9)
        self.start_ns = start_ns if start_ns is not None else time.monotonic_ns()
        try:
            await RUNNERS[self.load.model](self)
        finally:
            await self._drain()
            self.state.done = True
        if self.failure is not None:
            raise self.failure
        return self.state

    # ------------------------------------------------------------------ closed model

    async def _closed(self) -> None:
        target = VUTarget(self.load)
        duration = target.duration
        ranks = list(self.shard.ranks(target.max))
        running: dict[int, asyncio.Task[None]] = {}
        varying = bool(self.load.stages or self.load.ramp_up)

        async def vu_loop(rank: int) -> None:
            vu = self._vu(rank + 1)
            if varying:
                while not self.stop.is_set():
                    t = self._elapsed()
                    if t >= duration or target.at(t) <= rank:
                        return
                    await self._one(vu, None)
                return
            # constant VU count: the hot loop of the closed model, with _one() inlined
            # (one coroutine frame and two method calls less per iteration)
            st = self.state
            stopped = self.stop.is_set
            deadline = self.start_ns + int(duration * 1e9)
            iteration = vu.iteration
            while not stopped() and time.monotonic_ns() < deadline:
                st.active += 1
                if st.active > st.vus_max:
                    st.vus_max = st.active
                try:
                    await iteration(None)
                except asyncio.CancelledError:
                    st.interrupted += 1
                    raise
                else:
                    st.completed += 1
                finally:
                    st.active -= 1

        connecting = CONNECTING
        while not self.stop.is_set():
            t = self._elapsed()
            if t >= duration:
                break
            want = target.at(t)
            started = 0
            held = False  # VUs are due but were not started in this pass
            for rank in ranks:
                if rank >= want:
                    break
                task = running.get(rank)
                if task is None or task.done():
                    if started >= START_BATCH or connecting.n >= CONNECT_LIMIT:
                        held = True
                        break
                    running[rank] = self._spawn(vu_loop(rank))
                    started += 1
            if held:
                # let the started VUs run (and their connects end) before starting more
                await asyncio.sleep(0 if started >= START_BATCH else PACER_TICK)
                continue
            await self._sleep_or_stop(min(CONTROLLER_TICK, duration - t))

    # ------------------------------------------------------------------ iterations model

    async def _per_vu_iterations(self) -> None:
        await self._iterations(per_vu=True)

    async def _iterations(self, per_vu: bool = False) -> None:
        """Shared: this shard's share of N, each taken by whichever VU is free; per VU:
        N for each of this shard's VUs (``todo`` keys the count by rank, or one for all)."""
        load = self.load
        n = int(load.iterations or 0)
        ranks = list(self.shard.ranks(int(load.vus or 1)))
        todo = {r: n for r in ranks} if per_vu else {-1: self.shard.share(n)}
        deadline = load.duration  # optional upper bound on the run

        async def vu_loop(rank: int) -> None:
            vu = self._vu(rank + 1)
            key = rank if per_vu else -1
            while todo.get(key, 0) > 0 and not self.stop.is_set():
                if deadline is not None and self._elapsed() >= deadline:
                    return
                todo[key] -= 1
                await self._one(vu, None)

        tasks = [self._spawn(vu_loop(r)) for r in ranks]
        if not tasks:
            return
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            timeout = None if deadline is None else max(deadline - self._elapsed(), 0.0)
            await asyncio.wait([*tasks, stopper], timeout=timeout,
                               return_when=asyncio.FIRST_COMPLETED)
            while not stopper.done() and any(not t.done() for t in tasks):
                left = None if deadline is None else deadline - self._elapsed()
                if left is not None and left <= 0:
                    break
                await asyncio.wait([*[t for t in tasks if not t.done()], stopper],
                                   timeout=left, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if deadline is not None or self.stop.is_set():
            todo.clear()  # no new iterations; in-flight ones get the grace period

    # ------------------------------------------------------------------ open model

    def _pool_bounds(self, sched: ArrivalSchedule) -> tuple[int, int]:
        load = self.load
        peak = max((s.target for s in load.stages), default=float(load.rps or 0.0))
        default_max = max(100, math.ceil(peak * DEFAULT_MAX_VUS_SECONDS))
        max_total = int(load.max_vus or max(default_max, load.vus or 0))
        max_vus = self.shard.share(max_total)
        pre_total = (int(load.vus) if load.vus
                     else min(max_total, math.ceil(peak * PRE_VUS_SECONDS) + 1))
        pre = min(self.shard.share(pre_total), max_vus)
        return pre, max_vus

    async def _open(self) -> None:
        """The open model: a pacer starts each scheduled iteration on an idle VU, grows
        the pool up to max_vus, or drops it (and says why: no VU, saturated, connects
        pending, late).

        One function on purpose (over 80 lines): the pacer and its workers share the
        schedule cursor ``k``, the idle stack and ``closing`` as closure variables, and a
        free worker starts what fell due itself. These lines are the open model's
        per-iteration cost at 50,000/s (docs/benchmarks.md, "Open model pacing");
        methods would put attribute reads and calls on that path."""
        sched = ArrivalSchedule(self.load)
        pre, max_vus = self._pool_bounds(sched)
        loop = asyncio.get_running_loop()
        idle: list[tuple[VULike, asyncio.Future[int | None]]] = []
        workers: list[asyncio.Task[None]] = []
        n, i = self.shard.count, self.shard.index
        st = self.state

        closing = False  # the schedule is over: a worker that finishes does not park again
        k = i  # this shard's next iteration of the global schedule (pacer and workers)
        total = sched.total
        start = self.start_ns
        stopped = self.stop.is_set

        async def worker(vu: VULike) -> None:
            nonlocal k
            while not closing:
                fut: asyncio.Future[int | None] = loop.create_future()
                idle.append((vu, fut))
                scheduled = await fut
                if scheduled is None:
                    return
                await self._one(vu, scheduled)
                # Free again: start what fell due meanwhile right here, as the pacer would
                # on its next tick (giving it to the VU that parked last: this one) — it
                # starts sooner and skips a park, a future and a task switch per iteration
                # when the loop is busy. A new worker always parks first, so the pacer's
                # hand-over to it is never taken by another iteration.
                while k < total and not closing and not stopped():
                    due_ns = start + int(sched.time_of(k) * 1e9)
                    if due_ns > time.monotonic_ns():
                        break
                    k += n
                    await self._one(vu, due_ns)

        def add_worker() -> None:
            vu = self._vu(len(workers) * n + i + 1)
            workers.append(self._spawn(worker(vu)))

        for _ in range(pre):
            add_worker()
        await asyncio.sleep(0)  # let the workers park themselves in `idle`

        #: a saturated loop does not grow the pool (engine/saturation.py says why)
        self.saturation = sat = LoopSaturation(time.monotonic_ns())
        connecting = CONNECTING
        end = sched.duration + LATE_SLACK
        while k < total and not self.stop.is_set():
            now = time.monotonic_ns()
            sat.update(now)
            elapsed = (now - start) / 1e9
            if elapsed >= end:
                # due before the end, reached only after it: never started, so the run
                # ends on time even when the loop fell behind (counted, never delayed)
                late = len(range(k, total, n))
                st.dropped += late
                st.dropped_late += late
                k = total
                break
            due = sched.time_of(k)
            while k < total and due <= elapsed:
                due_ns = start + int(due * 1e9)
                k += n  # claimed before any await below: a worker may take the next one
                if idle:
                    _vu, fut = idle.pop()
                    fut.set_result(due_ns)
                elif len(workers) >= max_vus:
                    st.dropped += 1
                elif sat.saturated:
                    st.dropped += 1
                    st.dropped_saturated += 1
                elif connecting.n >= CONNECT_LIMIT:
                    st.dropped += 1
                    st.dropped_connecting += 1
                else:
                    add_worker()
                    # the new worker parks on its first run; hand it the work right after
                    await asyncio.sleep(0)
                    if idle:
                        _vu, fut = idle.pop()
                        fut.set_result(due_ns)
                    else:  # pragma: no cover - a worker always parks after one tick
                        st.dropped += 1
                due = sched.time_of(k)
            if k >= total:
                break
            wait = due - (time.monotonic_ns() - start) / 1e9
            await self._sleep_or_stop(max(wait, PACER_TICK) if wait > PACER_TICK else PACER_TICK)
        # the last start is 1/rate before D: the load runs for D all the same (a 5 rps
        # load for 1 s that ended at its last start would report 6.2/s over 0.8 s)
        await self._sleep_or_stop(sched.duration - (time.monotonic_ns() - start) / 1e9)
        # the schedule is over: release idle workers; busy ones finish (grace) in _drain
        closing = True
        for _vu, fut in idle:
            if not fut.done():
                fut.set_result(None)
        idle.clear()


#: each load model's run loop, keyed like ``loadmodels.MODELS`` (its plan-level half;
#: tests/load/test_models_registry.py holds the two tables to the same keys)
RUNNERS: dict[str, Callable[[Executor], Coroutine[Any, Any, None]]] = {
    loadmodels.CLOSED.name: Executor._closed,
    loadmodels.OPEN.name: Executor._open,
    loadmodels.ITERATIONS.name: Executor._iterations,
    loadmodels.PER_VU_ITERATIONS.name: Executor._per_vu_iterations,
}
