"""Shards on a Dask cluster (``httptool scenario run FILE --cluster tcp://HOST:8786``).

The run is the local one (:func:`httptool.run.orchestrator.run_scenario`: setup and
teardown in this process, the same coordinator loop, merger, progress, signals and
teardown); only the load's :class:`~httptool.run.local.ShardGroup` differs:
:class:`DaskGroup` submits :func:`dask_shard` once per shard, each pinned to one worker.

Why one shard per worker *process* by default: a shard is CPU-bound Python, so two shards
in threads of one worker share one GIL (one core). Start workers with ``--nworkers
<cores> --nthreads 1`` and each core runs a shard, as ``--workers`` does locally.
``--shards N`` may ask for more, up to the cluster's worker threads.

Everything travels over the Dask connections (so the cluster's TLS settings cover it):

* shard -> coordinator: one :class:`distributed.Queue` per run (held by the scheduler,
  bounded: a full queue blocks ``send``, verbose mode's back-pressure; in order per
  shard). ``receive`` takes one message with a timeout, then the rest in one batch.
* coordinator -> shards: two :class:`distributed.Event` (stop, hard stop) that a small
  thread per shard long-polls and copies into local flags (the shard polls those for
  free), and a :class:`distributed.Variable` with the common start instant, set once
  every shard said ``ready`` (a shard waits for it, as a local process waits for "go").
* lost workers: every :data:`PROBE_EVERY` s the coordinator asks the scheduler which
  workers exist; a shard whose worker is gone is ended with ``("lost", i, text)`` after
  what it had put into the queue (the other shards run on). A pinned task cannot move:
  Dask would otherwise re-run it on another worker and send its share twice.
* a coordinator that vanished (or an abort): Dask cancels the task but cannot stop its
  thread, so the watcher also checks the task's state on the worker and hard-stops the
  shard once Dask let go of it. A lost scheduler ends the unfinished shards with an
  error on the coordinator's side (the partial result stays).
* while a shard runs, its worker's statistical profiler is paused (it cost ~16 % CPU
  per request, bench/cluster_vs_local.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import pickle
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from distributed import Client, Event, Future, Queue, Variable, Worker, get_client, get_worker
from distributed.comm import connect as comm_connect
from distributed.security import Security

from httptool.errors import HttptoolError
from httptool.plan import Plan
from httptool.run.local import (
    READY_TIMEOUT,
    LocalFlag,
    Message,
    ShardChannel,
    ShardFn,
    ShardGroup,
)
from httptool.run.orchestrator import RunListener, RunOutcome, run_scenario
from httptool.run.shard import RunOptions, ShardConfig, run_shard

#: Seconds to reach the scheduler (and to see a first worker) before giving up.
CONNECT_TIMEOUT = 5.0
#: Seconds between two "which workers are alive?" questions to the scheduler.
PROBE_EVERY = 0.5
#: Capacity of the run's message queue (messages; a full queue blocks the shards).
QUEUE_SIZE = 256
#: Seconds a shard waits on a full queue before it gives up (a coordinator that died
#: without closing the run leaves nobody to read it; the shard must not hang forever).
PUT_TIMEOUT = 120.0
#: How often a shard's watcher thread re-asks for the stop events (s, long poll).
WATCH_POLL = 0.5


class ClusterError(HttptoolError):
    """The cluster cannot run this (unreachable scheduler, no workers, too many shards):
    a one-line message for the user; the CLI exits 2."""


# ------------------------------------------------------------------- on the worker


@dataclass(frozen=True, slots=True)
class RunNames:
    """The Dask names of one run's queue, events and start variable."""

    queue: str
    stop: str
    hard_stop: str
    start: str

    @classmethod
    def new(cls) -> RunNames:
        run = f"httptool-{uuid.uuid4().hex}"
        return cls(f"{run}-queue", f"{run}-stop", f"{run}-hard", f"{run}-start")


class QueueChannel(ShardChannel):
    """A shard's channel on a worker: messages go into the run's Dask queue (blocks while
    it is full); the flags are local, set by :func:`_watch`."""

    def __init__(self, q: Queue) -> None:
        super().__init__(self._put_pickled, LocalFlag(), LocalFlag())
        self._q = q

    def _put_pickled(self, msg: Message) -> None:
        # bytes, not objects: Dask would try msgpack first, log, and fall back to pickle
        self._q.put(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL), timeout=PUT_TIMEOUT)

    def close(self) -> None:
        """Drop this worker's reference to the queue (the scheduler frees it with the last)."""
        with contextlib.suppress(Exception):
            self._q.close()


def _cancelled(worker: Worker, key: str) -> bool:
    """Dask let go of this task: its client (the coordinator) died or cancelled it. A
    running task's thread is not stopped by Dask; the shard has to notice."""
    ts = worker.state.tasks.get(key)
    return ts is None or ts.state in ("cancelled", "released", "forgotten")


def _watch(names: RunNames, ch: QueueChannel, over: threading.Event, worker: Worker,
           key: str) -> None:
    """Copy the coordinator's stop events into the shard's local flags (long polls, so a
    stop arrives at once and an idle run costs two RPCs a second); stop at once when the
    task was cancelled (an abort, or a coordinator that went away)."""
    client = worker.client
    stop, hard = Event(names.stop, client=client), Event(names.hard_stop, client=client)
    with contextlib.suppress(Exception):  # the cluster went away: nothing left to watch
        while not over.is_set():
            if _cancelled(worker, key):
                ch.stop.set()
                ch.hard_stop.set()
                return
            if not ch.stop.is_set():
                if stop.wait(WATCH_POLL):
                    ch.stop.set()
            elif not ch.hard_stop.is_set():
                if hard.wait(WATCH_POLL):
                    ch.hard_stop.set()
            else:
                over.wait(WATCH_POLL)


#: The worker's periodic callbacks a shard pauses while it runs (see :func:`_profiler_paused`).
PROFILER_CALLBACKS = ("profile", "profile-cycle")


@contextlib.contextmanager
def _profiler_paused(worker: Worker) -> Iterator[None]:
    """Pause Dask's statistical profiler on this worker while the shard runs: it samples
    every thread's stack every 10 ms under the GIL, which cost a shard about 16 % more CPU
    per request (bench/cluster_vs_local.py). Restored afterwards (a shard holds its
    worker for the run; the profile of a load generator is of no use to anybody)."""
    pcs = [pc for name in PROFILER_CALLBACKS
           if (pc := worker.periodic_callbacks.get(name)) is not None and pc.is_running()]
    for pc in pcs:
        worker.loop.add_callback(pc.stop)  # callbacks belong to the worker's loop thread
    try:
        yield
    finally:
        for pc in pcs:
            worker.loop.add_callback(pc.start)


def _wait_for_start(names: RunNames, ch: QueueChannel) -> int:
    """The common start set by the coordinator (now, if told to stop first or too late)."""
    var = Variable(names.start, client=get_client())
    deadline = time.monotonic() + READY_TIMEOUT + 10
    while not ch.stop.is_set() and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            return int(var.get(timeout=WATCH_POLL))
    return time.time_ns()


def dask_shard(shard_fn: ShardFn, config: ShardConfig, names: RunNames) -> None:
    """One shard as a Dask task: say ``ready``, wait for the common start, run
    ``shard_fn``; an exception becomes an ``error`` message and ``done`` always ends."""
    index = config.shard.index
    ch = QueueChannel(Queue(names.queue, client=get_client()))
    over = threading.Event()
    worker = get_worker()  # thread-local: only the task's own thread can ask
    watcher = threading.Thread(target=_watch,
                               args=(names, ch, over, worker, worker.get_current_task()),
                               name=f"httptool-watch-{index}", daemon=True)
    watcher.start()
    try:
        ch.send(("ready", index))
        config = dataclasses.replace(config, start_wall_ns=_wait_for_start(names, ch))
        with _profiler_paused(worker):
            shard_fn(config, ch)
    except BaseException as exc:  # reported to the coordinator, never raised to Dask
        ch.send(("error", index, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        over.set()
        if not ch.done_sent:
            ch.send(("done", index))
        watcher.join(timeout=2 * WATCH_POLL)
        ch.close()


# ------------------------------------------------------------------- on the coordinator


def worker_slots(client: Client) -> dict[str, int]:
    """Worker address -> threads, as the scheduler knows them now."""
    info = client.scheduler_info(n_workers=-1)
    return {addr: int(w.get("nthreads", 1)) for addr, w in info.get("workers", {}).items()}


def placement(slots: dict[str, int], count: int) -> list[str]:
    """The worker of each of ``count`` shards: spread across workers first (first thread
    of every worker, then the second ...), never more shards on a worker than its threads
    (a shard holds a thread for the whole run) unless there are more shards than threads."""
    order: list[str] = []
    for k in range(max(slots.values(), default=0)):
        order += [addr for addr in sorted(slots) if slots[addr] > k]
    if not order:
        raise ClusterError("the cluster has no workers")
    return [order[i % len(order)] for i in range(count)]


class DaskGroup(ShardGroup):
    """The load's shards as pinned Dask tasks; see the module docstring."""

    method = "dask"

    def __init__(self, client: Client, shard_fn: ShardFn, configs: Sequence[ShardConfig],
                 workers: Sequence[str]) -> None:
        super().__init__([c.shard.index for c in configs])
        self._client = client
        self._fn = shard_fn
        self._configs = list(configs)
        self._where = dict(zip(self.indices, workers, strict=True))
        self.names = RunNames.new()
        self._q = Queue(self.names.queue, client=client, maxsize=QUEUE_SIZE)
        self._stop_ev = Event(self.names.stop, client=client)
        self._hard_ev = Event(self.names.hard_stop, client=client)
        self._start_var = Variable(self.names.start, client=client)
        self._futures: dict[int, Future] = {}
        self._lost: set[int] = set()
        self._probed_at = 0.0
        self._broken = False  # the scheduler connection failed: nothing more will come

    def start(self) -> DaskGroup:
        self._started_at = time.monotonic()
        for cfg in self._configs:
            i = cfg.shard.index
            self._futures[i] = self._client.submit(
                dask_shard, self._fn, cfg, self.names, key=f"{self.names.queue}-shard-{i}",
                workers=[self._where[i]], allow_other_workers=False, pure=False, retries=0)
        return self

    def request_stop(self) -> None:
        super().request_stop()
        with contextlib.suppress(Exception):  # a lost scheduler is handled by receive
            self._stop_ev.set()

    def request_hard_stop(self) -> None:
        super().request_hard_stop()
        with contextlib.suppress(Exception):
            self._stop_ev.set()
            self._hard_ev.set()

    # ---------------------------------------------------------------- messages

    def _take(self, timeout: float) -> list[Any]:
        try:
            first = self._q.get(timeout=timeout)
        except TimeoutError:
            return []
        rest: list[bytes] = self._q.get(batch=True)
        return [pickle.loads(b) for b in (first, *rest)]

    def receive(self, timeout: float) -> list[Message]:
        if self._broken:
            return self._note(self._take_pending())
        try:
            return self._receive(timeout)
        except Exception as exc:  # the scheduler died or the network broke
            self._broken = True
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._give_up(self.indices, f"lost the connection to the Dask scheduler ({text})")
            return self._note(self._take_pending())

    def _receive(self, timeout: float) -> list[Message]:
        out = self._take_pending()
        newly_lost = self._probe()
        for m in self._take(timeout if not out and not newly_lost else 0.001):
            if m and m[0] == "ready":
                self._ready.add(m[1])
            elif m and m[0] in ("error", "done") and m[1] in self._lost:
                continue  # a straggler of a shard already declared lost
            else:
                out.append(m)
        for i, why in newly_lost:
            out += [("lost", i, why), ("done", i)]
        out = self._note(out)
        self._maybe_go()
        return out

    def _probe(self) -> list[tuple[int, str]]:
        """Shards whose worker left the cluster, or whose task failed in Dask itself."""
        now = time.monotonic()
        if now - self._probed_at < PROBE_EVERY:
            return []
        self._probed_at = now
        alive = set(worker_slots(self._client))
        lost: list[tuple[int, str]] = []
        for i, fut in self._futures.items():
            if i in self.done or i in self._lost:
                continue
            why = ""
            if self._where[i] not in alive:
                why = f"worker {self._where[i]} left the cluster (killed, crashed or cut off)"
            elif fut.status in ("error", "cancelled"):
                why = f"the Dask task ended without finishing ({fut.status})"
            if why:
                self._lost.add(i)
                lost.append((i, why))
                fut.cancel()
        return lost

    def _publish_start(self, start_wall_ns: int) -> None:
        self._start_var.set(start_wall_ns)  # a Dask Variable every shard waits on

    def abort(self, reason: str) -> None:
        """A task's thread cannot be killed: hard-stop it, cancel it, stop listening."""
        with contextlib.suppress(Exception):
            self.request_hard_stop()
        for i, fut in self._futures.items():
            if i not in self.done:
                with contextlib.suppress(Exception):
                    fut.cancel()
        self._give_up(self.indices, reason)

    def close(self) -> None:
        """Forget the run's futures, queue, events and variable on the scheduler."""
        for fut in self._futures.values():
            with contextlib.suppress(Exception):
                fut.release()
        with contextlib.suppress(Exception):
            self._start_var.delete()
        with contextlib.suppress(Exception):
            self._q.close()
        for ev in (self._stop_ev, self._hard_ev):
            with contextlib.suppress(Exception):
                ev.clear()


# ------------------------------------------------------------------- entry points


async def _probe(address: str, timeout: float) -> None:
    """Open and close one connection to the scheduler, with Dask's configured security."""
    comm = await comm_connect(address, timeout=timeout,
                              **Security().get_connection_args("client"))
    await comm.close()


def connect(address: str, timeout: float = CONNECT_TIMEOUT) -> Client:
    """A client of the scheduler at ``address`` with at least one worker, or
    :class:`ClusterError` within about ``timeout`` seconds (twice, at worst). TLS
    (``tls://``) uses Dask's configured security (``distributed.comm.tls.*``)."""
    try:
        # a bare connection first: a Client that failed to connect still tries to close
        # itself when collected (a 10 s wait and a traceback at exit)
        asyncio.run(_probe(address, timeout))
        client = Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError (bad address), TLS ...
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {first}") from exc
    try:
        client.wait_for_workers(1, timeout=timeout)
    except Exception as exc:
        client.close()
        raise ClusterError(f"the Dask scheduler at {address} has no workers "
                           f"(waited {timeout:g} s)") from exc
    return client


def default_shards(slots: dict[str, int]) -> int:
    """One shard per worker process (see the module docstring)."""
    return max(1, len(slots))


def run_on_cluster(client: Client, plan: Plan, scenario: str | None, shards: int | None,
                   options: RunOptions | None = None, listener: RunListener | None = None,
                   *, shard_fn: ShardFn = run_shard, handle_signals: bool = True
                   ) -> RunOutcome:
    """:func:`~httptool.run.orchestrator.run_scenario` with the load on the cluster:
    ``shards`` of them (None: one per worker process), capped by the load as locally."""
    slots = worker_slots(client)
    count = shards or default_shards(slots)

    def group(configs: Sequence[ShardConfig]) -> DaskGroup:
        return DaskGroup(client, shard_fn, configs, placement(slots, len(configs)))

    return run_scenario(plan, scenario, count, options, listener, group_factory=group,
                        handle_signals=handle_signals)


def cluster_runner(address: str, shards: int | None) -> Callable[..., RunOutcome]:
    """The CLI's hook: connect now (an unreachable scheduler, a cluster without workers
    or more ``shards`` than worker threads prints one line and exits 2 before anything
    runs), and return a callable with ``run_scenario``'s signature
    ``(plan, scenario, workers, options, listener)``; ``workers`` (``--workers``) is
    ignored: the cluster's workers are the processes. The client closes after the run."""
    try:
        client = connect(address)
        slots = worker_slots(client)
        threads = sum(slots.values())
        if shards is not None and not 1 <= shards <= threads:
            client.close()
            raise ClusterError(f"--shards {shards}: the cluster at {address} has {threads} "
                               f"worker thread(s) (one shard holds one for the whole run)")
    except ClusterError as exc:
        print(f"httptool: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc

    def run(plan: Plan, scenario: str | None = None, workers: int = 1,
            options: RunOptions | None = None, listener: RunListener | None = None
            ) -> RunOutcome:
        del workers  # the cluster decides (see above)
        try:
            return run_on_cluster(client, plan, scenario, shards, options, listener)
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=5)

    return run


__all__ = ["ClusterError", "DaskGroup", "QueueChannel", "RunNames",
           "cluster_runner", "connect", "dask_shard", "placement", "run_on_cluster",
           "worker_slots"]
