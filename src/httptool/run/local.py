"""Shards on this machine: in threads of this process, or one OS process each.

A *group* runs some shards and hands their messages (see :mod:`httptool.run.shard`) to the
coordinator through :meth:`ShardGroup.receive`. Whatever happens to a shard, the group
ends it with a ``("done", i)`` message: a shard that raised gets ``("error", i, text)``
first, and so does a process that died without saying ``done`` (killed, crashed) or that
:meth:`ShardGroup.abort` had to end. So the coordinator waits for ``done`` from every
shard and never hangs on a dead one.

Why one :func:`multiprocessing.Pipe` per process and not one shared, bounded
``multiprocessing.Queue``: a queue's writers share a cross-process lock, and a child
killed while writing (SIGKILL, the OOM killer) leaves that lock held and a half-written
message in the pipe, which hangs every other shard. A pipe of its own ties a child's fate
to its own pipe only: its death is an end of file. ``send`` blocks while the pipe's OS
buffer (64 KiB on Linux) is full, which is the verbose mode's back-pressure (lossless,
in order). For the same reason the stop flags are lock-free shared bytes, not
``multiprocessing.Event`` (whose ``is_set`` takes a lock a killed child could keep).

Common start: process start-up takes from ~4 ms a shard (fork) to ~0.4 s (forkserver's
first start, which imports the engine once) or ~0.35 s a shard (spawn, on two busy
cores), so no fixed margin fits. Each child says ``("ready", i)`` once it can run and
waits; when all are ready the group writes the start instant (now + :data:`GO_MARGIN`)
into shared memory, and each shard gets it as ``ShardConfig.start_wall_ns``.
"""

from __future__ import annotations

import abc
import contextlib
import ctypes
import dataclasses
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from httptool.run.shard import Channel, ShardConfig

Message = tuple[Any, ...]
ShardFn = Callable[[ShardConfig, Channel], object]
#: Thread channel capacity in messages (events travel in batches; a full queue blocks).
QUEUE_SIZE = 256
#: Most messages taken from one pipe or the queue per :meth:`ShardGroup.receive` call:
#: a chatty shard cannot starve the others, and few messages wait outside the bounded
#: pipe or queue (reading far ahead would undo the back-pressure).
MAX_BATCH = 16
#: How long :meth:`ShardGroup.close` waits for a process before terminating it.
JOIN_TIMEOUT = 2.0
#: From "every shard is ready" to the common start: children poll the start every ms,
#: then build their VUs and event loop (a few ms).
GO_MARGIN = 0.05
#: A shard not ready after this long (stuck starting) does not hold the others back.
READY_TIMEOUT = 60.0


# ------------------------------------------------------------------------------ flags


class LocalFlag:
    """A stop flag shared by threads: a plain attribute (atomic under the GIL, no lock,
    so setting it is safe anywhere, even from a signal handler)."""

    __slots__ = ("_on",)

    def __init__(self) -> None:
        self._on = False

    def set(self) -> None:
        self._on = True

    def is_set(self) -> bool:
        return self._on


class SharedFlag:
    """A stop flag shared with child processes: one byte of shared memory, no lock."""

    __slots__ = ("_v",)

    def __init__(self, ctx: BaseContext) -> None:
        self._v: Any = ctx.RawValue(ctypes.c_bool, False)

    def set(self) -> None:
        self._v.value = True

    def is_set(self) -> bool:
        return bool(self._v.value)


class SettableFlag(Protocol):
    def set(self) -> None: ...

    def is_set(self) -> bool: ...


# ------------------------------------------------------------------------------ channels


class ShardChannel:
    """What a shard talks through: ``put`` of its transport (a bounded queue for a thread,
    the child's own pipe for a process, the run's Dask queue on a cluster) and the two
    stop flags; it remembers whether ``done`` went out, so a wrapper can add it."""

    def __init__(self, put: Callable[[Message], object], stop: SettableFlag,
                 hard_stop: SettableFlag) -> None:
        self._put = put
        self.stop = stop
        self.hard_stop = hard_stop
        self.done_sent = False

    def send(self, msg: Message) -> None:
        if msg and msg[0] == "done":
            self.done_sent = True
        self._put(msg)


def _error_text(exc: BaseException) -> str:
    """First line ``Type: message`` (what a user sees), then the traceback (for a bug report)."""
    head = f"{type(exc).__name__}: {exc}"
    tb = "".join(traceback.format_exception(exc)).rstrip()
    return f"{head}\n{tb}"


def run_guarded(index: int, fn: Callable[[Any], object],
                channel: ShardChannel) -> None:
    """Run ``fn(channel)``; an exception becomes an ``error`` message; ``done`` always ends."""
    try:
        fn(channel)
    except BaseException as exc:  # the shard's failure is reported, never raised here
        channel.send(("error", index, _error_text(exc)))
    finally:
        if not channel.done_sent:
            channel.send(("done", index))


# ------------------------------------------------------------------------------ groups


class ShardGroup(abc.ABC):
    """Shards running somewhere; messages come out of :meth:`receive`."""

    def __init__(self, indices: Sequence[int]) -> None:
        self.indices = tuple(indices)
        self.done: set[int] = set()
        self.stop: SettableFlag = LocalFlag()
        self.hard_stop: SettableFlag = LocalFlag()
        #: the shards' common start (``time.time_ns()``), 0 until known
        self.start_wall_ns = 0
        self._pending: list[Message] = []  # made-up endings of shards that cannot say "done"
        self._ready: set[int] = set()  # shards that said ("ready", i)
        self._started_at = 0.0  # time.monotonic() when the shards were started

    @property
    def finished(self) -> bool:
        return self.done.issuperset(self.indices)

    @abc.abstractmethod
    def start(self) -> ShardGroup:
        """Start the shards (once); returns the group, for chaining."""

    def request_stop(self) -> None:
        """Stop starting new work; in-flight iterations get the grace period."""
        self.stop.set()

    def request_hard_stop(self) -> None:
        """Cut the grace period short."""
        self.stop.set()
        self.hard_stop.set()

    def receive(self, timeout: float) -> list[Message]:
        """The next messages (waits up to ``timeout`` seconds for the first one)."""
        raise NotImplementedError

    def abort(self, reason: str) -> None:
        """End every unfinished shard now; each gets ``("error", i, reason)`` and ``done``."""
        raise NotImplementedError

    def close(self) -> None:  # noqa: B027 (an optional hook: nothing to release here)
        """Release resources (bounded); call once, after :attr:`finished` or :meth:`abort`."""

    def _maybe_go(self) -> None:
        """Every shard ready (or ended, or too slow): publish the common start, a little
        in the future so that every shard sees it before it comes."""
        if self.start_wall_ns:
            return
        waiting = set(self.indices) - self._ready - self.done
        if waiting and time.monotonic() - self._started_at < READY_TIMEOUT:
            return
        self.start_wall_ns = time.time_ns() + int(GO_MARGIN * 1e9)
        self._publish_start(self.start_wall_ns)

    def _publish_start(self, start_wall_ns: int) -> None:
        """Hand the common start to shards that wait for it (process and Dask groups)."""
        raise NotImplementedError

    def _give_up(self, indices: Sequence[int], reason: str) -> None:
        """Shards ``indices`` will never say ``done``: end them with ``reason``."""
        for i in indices:
            if i not in self.done:
                self._pending += [("error", i, reason), ("done", i)]

    def _take_pending(self) -> list[Message]:
        msgs, self._pending = self._pending, []
        return msgs

    def _note(self, msgs: list[Message]) -> list[Message]:
        for m in msgs:
            if m and m[0] == "done":
                self.done.add(m[1])
        return msgs


class ThreadGroup(ShardGroup):
    """Shards as daemon threads of this process sharing one bounded queue.

    ``tasks`` are ``(index, fn)``; ``fn(channel)`` runs the shard (a thread cannot be
    killed: :meth:`abort` stops listening and leaves it to end on its own)."""

    def __init__(self, tasks: Sequence[tuple[int, Callable[[Any], object]]],
                 queue_size: int = QUEUE_SIZE, start_wall_ns: int = 0) -> None:
        super().__init__([i for i, _ in tasks])
        self.start_wall_ns = start_wall_ns
        self._tasks = list(tasks)
        self._q: queue.Queue[Message] = queue.Queue(maxsize=max(1, queue_size))
        self.stop = LocalFlag()
        self.hard_stop = LocalFlag()
        self._threads: list[threading.Thread] = []
        self._aborted = False

    def start(self) -> ThreadGroup:
        for index, fn in self._tasks:
            ch = ShardChannel(self._q.put, self.stop, self.hard_stop)
            t = threading.Thread(target=run_guarded, args=(index, fn, ch),
                                 name=f"httptool-shard-{index}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def receive(self, timeout: float) -> list[Message]:
        if self._aborted:  # the threads' later messages are not wanted any more
            return self._note(self._take_pending())
        try:
            msgs = [self._q.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(msgs) < MAX_BATCH:
            try:
                msgs.append(self._q.get_nowait())
            except queue.Empty:
                break
        return self._note(msgs)

    def abort(self, reason: str) -> None:
        self.request_hard_stop()
        self._aborted = True
        self._give_up(self.indices, reason)

    def close(self) -> None:
        for t in self._threads:
            t.join(timeout=0 if self._aborted else JOIN_TIMEOUT)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _die_with_parent() -> None:
    """Linux: SIGTERM this child if the coordinator dies without ending it."""
    if not sys.platform.startswith("linux"):
        return
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _wait_for_start(go: Any, stop: SharedFlag) -> int:
    """The common start written by the coordinator (now, if told to stop first)."""
    deadline = time.monotonic() + READY_TIMEOUT + 10
    while not go.value:
        if stop.is_set() or time.monotonic() > deadline:
            return time.time_ns()
        time.sleep(0.001)
    return int(go.value)


def _child_main(shard_fn: ShardFn, config: ShardConfig, conn: Connection,
                stop: SharedFlag, hard_stop: SharedFlag, go: Any,
                parent_pid: int | None) -> None:
    """A shard process: only the coordinator handles Ctrl-C (the terminal sends SIGINT to
    the whole process group); SIGTERM ends the child (a fork inherited our handler).

    ``parent_pid`` is the coordinator when it is this process's parent (fork, spawn; with
    forkserver the parent is the server, which exits with the coordinator)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the coordinator died before prctl took effect
    channel = ShardChannel(conn.send, stop, hard_stop)
    index = config.shard.index
    try:
        conn.send(("ready", index))
        config = dataclasses.replace(config, start_wall_ns=_wait_for_start(go, stop))
        run_guarded(index, lambda ch: shard_fn(config, ch), channel)
    except (BrokenPipeError, EOFError, ConnectionError):
        os._exit(1)  # the coordinator is gone: nobody to report to
    finally:
        conn.close()


def choose_start_method() -> str:
    """``fork`` when it is safe, else ``forkserver`` (Linux), else ``spawn``.

    Measured on the 2-core dev machine, from ``start()`` to every shard running: fork 10 ms
    for 2 shards, 27 ms for 8; forkserver 410 / 580 ms (its server imports the engine once,
    then forks each shard); spawn 0.7 / 2.4 s (every shard imports everything). fork copies
    only the calling thread: a lock another Python thread holds at that moment (a live panel
    writing to the terminal) stays locked forever in the child. So fork only while this is
    the only Python thread.
    """
    methods = mp.get_all_start_methods()
    if "fork" in methods and sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    if "forkserver" in methods:
        return "forkserver"
    return "spawn"


class ProcessGroup(ShardGroup):
    """Shards as child processes (daemonic: they die with the coordinator), one pipe each."""

    def __init__(self, shard_fn: ShardFn, configs: Sequence[ShardConfig],
                 start_method: str | None = None) -> None:
        super().__init__([c.shard.index for c in configs])
        self.method = start_method or choose_start_method()
        self._ctx = mp.get_context(self.method)
        self._fn = shard_fn
        self._configs = list(configs)
        self.stop = SharedFlag(self._ctx)
        self.hard_stop = SharedFlag(self._ctx)
        self._go: Any = self._ctx.RawValue(ctypes.c_int64, 0)
        self._procs: dict[int, BaseProcess] = {}
        self._conns: dict[Connection, int] = {}
        self._reasons: dict[int, str] = {}

    def start(self) -> ProcessGroup:
        if self.method == "forkserver":
            self._ctx.set_forkserver_preload(["httptool.run.shard"])
        pid = None if self.method == "forkserver" else os.getpid()
        self._started_at = time.monotonic()
        for cfg in self._configs:
            i = cfg.shard.index
            r, w = self._ctx.Pipe(duplex=False)
            p = self._ctx.Process(  # type: ignore[attr-defined]
                target=_child_main,
                args=(self._fn, cfg, w, self.stop, self.hard_stop, self._go, pid),
                name=f"httptool-shard-{i}", daemon=True)
            p.start()
            w.close()  # the child holds the only write end: its exit is our end of file
            self._procs[i] = p
            self._conns[r] = i
        return self

    def _publish_start(self, start_wall_ns: int) -> None:
        self._go.value = start_wall_ns  # shared memory every child polls

    def receive(self, timeout: float) -> list[Message]:
        out = self._take_pending()
        if not self._conns:
            return self._note(out)
        for conn in wait(list(self._conns), timeout):
            assert isinstance(conn, Connection)
            i = self._conns[conn]
            got: list[Message] = []
            try:
                for _ in range(MAX_BATCH):
                    got.append(conn.recv())
                    if not conn.poll():
                        break
            except (EOFError, OSError):
                del self._conns[conn]
                conn.close()
                got.extend(self._ended(i, said_done=any(m[0] == "done" for m in got)))
            for m in got:
                if m and m[0] == "ready":
                    self._ready.add(m[1])
                else:
                    out.append(m)
        out = self._note(out)
        self._maybe_go()
        return out

    def _ended(self, i: int, said_done: bool) -> list[Message]:
        """The pipe of shard ``i`` closed: its process has exited (or is exiting)."""
        p = self._procs[i]
        p.join(timeout=JOIN_TIMEOUT)
        if said_done or i in self.done:
            return []
        reason = self._reasons.get(i) or (
            f"shard process ended without finishing ({_describe_exit(p.exitcode)})")
        return [("error", i, reason), ("done", i)]

    def abort(self, reason: str) -> None:
        self.request_hard_stop()
        self._give_up([i for i in self.indices if i not in self._procs], reason)
        for i, p in self._procs.items():
            if i not in self.done and p.is_alive():
                self._reasons[i] = reason
                p.terminate()
        for p in self._procs.values():
            p.join(timeout=1.0)
            if p.is_alive():
                p.kill()
                p.join(timeout=1.0)

    def close(self) -> None:
        for p in self._procs.values():
            p.join(timeout=JOIN_TIMEOUT)
            if p.is_alive():
                p.terminate()
                p.join(timeout=1.0)
            if p.is_alive():
                p.kill()
                p.join(timeout=1.0)
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()
        self._conns.clear()
