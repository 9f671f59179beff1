"""run_scenario with fake shards (tests/run/run_fakes.py): merging, events, failures,
setup/teardown, bounded stops. Signals are in test_signals.py (a subprocess)."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from functools import partial
from typing import Any

import pytest
from run_fakes import failing_setup, fake_setup, fake_shard, make_plan

from httptool.metrics import RunResult
from httptool.plan import LoadSpec, Run, Stage
from httptool.run import orchestrator
from httptool.run.orchestrator import Listener, run_scenario, shard_count
from httptool.run.shard import RunOptions

pytestmark = pytest.mark.timeout(60)


class Recording(Listener):
    def __init__(self) -> None:
        self.results: list[RunResult] = []
        self.events: list[tuple[Any, ...]] = []
        self.phases: list[str] = []

    def on_phase(self, phase: str) -> None:
        self.phases.append(phase)

    def on_events(self, batch: list[tuple[Any, ...]]) -> None:
        self.events.extend(batch)

    def on_result(self, result: RunResult) -> None:
        self.results.append(result)


def _consistent(res: RunResult) -> None:
    """The numbers agree with each other (one request per iteration in the fakes)."""
    assert sum(v.requests for v in res.vus) == res.total.requests
    assert sum(v.iterations for v in res.vus) == res.completed
    assert sum(r.requests for r in res.requests.values()) == res.total.requests
    assert res.total.latency_hist.count == res.total.requests


@pytest.mark.parametrize(("workers", "method"),
                         [(1, None), (2, "fork"), (2, "forkserver"), (3, None)])
def test_iterations_merge_exactly(workers: int, method: str | None) -> None:
    plan = make_plan(LoadSpec(model="iterations", vus=5, iterations=301))
    lis = Recording()
    out = run_scenario(plan, "s", workers, RunOptions(snapshot_interval=0.2), lis,
                       shard_fn=fake_shard, setup_fn=fake_setup, start_method=method,
                       handle_signals=False)
    assert out.errors == []
    assert not out.interrupted
    assert out.workers == workers
    assert out.start_method == ("thread" if workers == 1 else method or out.start_method)
    res = out.result
    assert res.final and res.shards == workers
    assert res.total.requests == 301 and res.completed == 301
    assert res.checks_passed == 301 and res.checks_failed == 0
    assert [v.vu for v in res.vus] == [1, 2, 3, 4, 5]
    assert res.total.bytes_received == 301 * 200
    _consistent(res)
    assert lis.phases == ["load"]
    assert lis.results[-1] is res  # the last on_result is the final result


def test_duration_load_two_processes_totals_match() -> None:
    plan = make_plan(LoadSpec(model="vus", vus=3, duration=0.6, graceful_stop=1.0))
    lis = Recording()
    out = run_scenario(plan, None, 2, RunOptions(), lis, shard_fn=fake_shard,
                       setup_fn=fake_setup, handle_signals=False)
    res = out.result
    assert out.errors == [] and res.final and res.shards == 2
    assert res.total.requests > 10 and res.total.requests == res.completed
    assert {v.vu for v in res.vus} == {1, 2, 3}
    _consistent(res)
    # progress results arrive while it runs, never more often than RESULT_EVERY
    assert len(lis.results) <= 0.6 / orchestrator.RESULT_EVERY + 3
    counts = [r.total.requests for r in lis.results]
    assert counts == sorted(counts)


def test_processes_share_one_start_set_when_all_are_ready() -> None:
    """spawn takes ~0.35 s a shard on two cores: the start is set only once every shard
    is ready, so they all get the same one, after the slowest one started."""
    plan = make_plan(LoadSpec(model="vus", vus=2, duration=0.3))
    t0 = time.time_ns()
    out = run_scenario(plan, "s", 2, None, None, shard_fn=partial(fake_shard, name_start=True),
                       setup_fn=fake_setup, start_method="spawn", handle_signals=False)
    assert out.errors == [] and out.start_method == "spawn"
    starts = {int(n.split("=")[1]) for n in out.result.requests}
    assert len(starts) == 1
    # a spawned shard cannot be ready in under 50 ms (it imports numpy and httptool)
    assert starts.pop() - t0 > 0.05e9 + orchestrator.THREAD_MARGIN * 1e9


def test_shard_count_caps_workers_at_useful_shards() -> None:
    assert shard_count(LoadSpec(model="vus", vus=3, duration=1), 8) == 3
    assert shard_count(LoadSpec(model="vus", stages=(Stage(1, 5), Stage(1, 0))), 8) == 5
    assert shard_count(LoadSpec(model="iterations", vus=10, iterations=2), 8) == 2
    assert shard_count(LoadSpec(model="iterations", vus=1, iterations=100), 8) == 1
    assert shard_count(LoadSpec(model="rps", rps=1000, duration=1), 8) == 8
    assert shard_count(LoadSpec(model="rps", rps=1000, duration=1, max_vus=2), 8) == 2
    assert shard_count(LoadSpec(model="vus", vus=4, duration=1), 0) == 1


def _seqs_per_shard(events: list[tuple[Any, ...]]) -> dict[int, list[tuple[int, int]]]:
    per: dict[int, list[tuple[int, int]]] = {}
    for e in events:
        shard, seq, k = e[6].rsplit("/", 3)[1:]
        per.setdefault(int(shard), []).append((int(seq), int(k)))
    return per


@pytest.mark.parametrize("workers", [1, 2])
def test_events_lossless_in_order_with_back_pressure(workers: int) -> None:
    """A slow listener holds the shards back (bounded queue / pipe) instead of letting
    events pile up, and every event arrives once, in order per shard."""
    per_iter, iters, delay = 100, 160 * workers, 0.004

    class Slow(Recording):
        def __init__(self) -> None:
            super().__init__()
            self.max_lag = 0.0

        def on_events(self, batch: list[tuple[Any, ...]]) -> None:
            self.max_lag = max(self.max_lag, time.time() - batch[0][1])
            super().on_events(batch)
            time.sleep(delay)

    plan = make_plan(LoadSpec(model="iterations", vus=2, iterations=iters))
    lis = Slow()
    t0 = time.monotonic()
    out = run_scenario(plan, "s", workers, RunOptions(events=True), lis,
                       shard_fn=partial(fake_shard, pause=0, events_per_iteration=per_iter),
                       setup_fn=fake_setup, handle_signals=False, queue_size=2)
    took = time.monotonic() - t0
    assert out.errors == []
    assert len(lis.events) == iters * per_iter == out.result.total.requests * per_iter
    per = _seqs_per_shard(lis.events)
    assert sorted(per) == list(range(workers))
    for seqs in per.values():
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert len(seqs) == iters // workers * per_iter
    assert took >= iters * delay
    # Without back-pressure the lag would grow to about the whole run (measured: 0.64 s
    # of 0.68 with an unbounded queue); with it, it stays at what the queue or the pipes
    # hold (measured: 0.02 s in a thread, 0.24 s with two 64 KiB pipes of ~6 KB batches).
    assert lis.max_lag < took / 3


def test_raising_shard_in_thread_is_reported() -> None:
    plan = make_plan(LoadSpec(model="vus", vus=2, duration=20))
    t0 = time.monotonic()
    out = run_scenario(plan, "s", 1, RunOptions(), None,
                       shard_fn=partial(fake_shard, raise_after=1), setup_fn=fake_setup,
                       handle_signals=False)
    assert time.monotonic() - t0 < 5
    assert len(out.errors) == 1
    assert out.errors[0].startswith("shard 0: RuntimeError: fake shard failed on purpose\n")
    assert "Traceback" in out.errors[0]
    assert out.result.total.requests > 0  # what it had sent is kept
    assert not out.result.final and not out.interrupted


def test_crashing_process_is_reported_and_others_stopped() -> None:
    plan = make_plan(LoadSpec(model="vus", vus=2, duration=20, graceful_stop=1))
    t0 = time.monotonic()
    out = run_scenario(plan, "s", 2, RunOptions(), None,
                       shard_fn=partial(fake_shard, crash_after=1, only=1),
                       setup_fn=fake_setup, handle_signals=False)
    assert time.monotonic() - t0 < 5
    assert out.errors == ["shard 1: shard process ended without finishing (exit code 3)"]
    res = out.result
    assert res.shards == 2 and not res.final and res.total.requests > 0
    assert [v.vu for v in res.vus] == [1, 2]
    _consistent(res)


def test_killed_process_is_reported() -> None:
    """SIGKILL from outside (the OOM killer, a user) while the shards run."""

    class Killer(Listener):
        killed = False

        def on_result(self, result: RunResult) -> None:
            if not self.killed and result.total.requests:
                kids = sorted(mp.active_children(), key=lambda p: p.name)
                os.kill(kids[0].pid, signal.SIGKILL)  # type: ignore[arg-type]
                self.killed = True

    plan = make_plan(LoadSpec(model="vus", vus=2, duration=20, graceful_stop=1))
    t0 = time.monotonic()
    out = run_scenario(plan, "s", 2, RunOptions(), Killer(), shard_fn=fake_shard,
                       setup_fn=fake_setup, handle_signals=False)
    assert time.monotonic() - t0 < 5
    assert out.errors == ["shard 0: shard process ended without finishing (killed by SIGKILL)"]
    assert out.result.total.requests > 0


@pytest.mark.parametrize("workers", [1, 2])
def test_stubborn_shards_are_ended_in_bounded_time(monkeypatch: pytest.MonkeyPatch,
                                                   workers: int) -> None:
    """Shards that ignore stop and hard stop: past duration + grace + slack the run is
    stopped, hard-stopped, then ended by force, and every step is reported."""
    monkeypatch.setattr(orchestrator, "RUN_SLACK", 0.3)
    monkeypatch.setattr(orchestrator, "STOP_SLACK", 0.2)
    monkeypatch.setattr(orchestrator, "HARD_SLACK", 0.2)
    plan = make_plan(LoadSpec(model="vus", vus=2, duration=0.3, graceful_stop=0.1))
    t0 = time.monotonic()
    out = run_scenario(plan, "s", workers, RunOptions(), None,
                       shard_fn=partial(fake_shard, stubborn=True), setup_fn=fake_setup,
                       handle_signals=False)
    took = time.monotonic() - t0
    assert 0.9 < took < 6
    assert out.errors[0] == "coordinator: the load did not end on time; stopped it"
    assert out.errors[1:] == [f"shard {i}: did not stop within 0.2 s of a hard stop"
                              for i in range(workers)]
    assert out.result.total.requests > 0


def test_setup_values_reach_shards_and_teardown() -> None:
    plan = make_plan(LoadSpec(model="iterations", vus=2, iterations=10),
                     setup=(Run("login"), Run("me")), teardown=(Run("logout"),))
    lis = Recording()
    out = run_scenario(plan, "s", 2, RunOptions(setup_values={"other": 1}), lis,
                       shard_fn=fake_shard, setup_fn=fake_setup, handle_signals=False)
    assert out.errors == []
    assert out.setup_values == {"token": "t0k"}
    res = out.result
    assert lis.phases == ["setup", "load", "teardown"]
    assert {n: r.requests for n, r in res.requests.items()} == {
        "setup": 2, "get token=t0k": 10, "teardown token=t0k": 1}
    assert res.total.requests == 13
    assert res.shards == 4 and res.final  # 2 load shards, setup, teardown


def test_duration_is_the_loads_not_teardowns() -> None:
    """Teardown's seconds count from the load's start (so its requests land after the
    load in the time series), but the run's duration (hence its rps) is the load's."""
    plan = make_plan(LoadSpec(model="vus", vus=2, duration=0.4),
                     setup=(Run("login"),), teardown=(Run("logout"),))
    out = run_scenario(plan, "s", 1, None, None, shard_fn=fake_shard,
                       setup_fn=partial(fake_setup, teardown_pause=0.7),
                       handle_signals=False)
    res = out.result
    assert out.errors == [] and res.final
    assert 0.4 <= res.duration_s < 0.7
    assert res.requests["teardown token=t0k"].requests == 1
    assert sum(s.requests for s in res.series) == res.total.requests
    assert res.series[-1].second == 1  # teardown ended ~1.1 s after the load's start


def test_failing_setup_skips_load_and_teardown() -> None:
    plan = make_plan(LoadSpec(model="iterations", vus=2, iterations=10),
                     setup=(Run("login"),), teardown=(Run("logout"),))
    lis = Recording()
    out = run_scenario(plan, "s", 2, None, lis, shard_fn=fake_shard,
                       setup_fn=failing_setup, handle_signals=False)
    assert lis.phases == ["setup"]
    assert len(out.errors) == 1
    assert out.errors[0].startswith("setup: ValueError: login failed: status 401\n")
    assert out.result.total.requests == 0 and out.start_method == ""


def test_listener_failure_ends_the_shards() -> None:
    """A bug in a reporter must not leave shard processes behind."""

    class Broken(Listener):
        def on_result(self, result: RunResult) -> None:
            raise KeyError("reporter bug")

    plan = make_plan(LoadSpec(model="vus", vus=2, duration=20))
    with pytest.raises(KeyError):
        run_scenario(plan, "s", 2, None, Broken(), shard_fn=fake_shard,
                     setup_fn=fake_setup, handle_signals=False)
    deadline = time.monotonic() + 5
    while mp.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mp.active_children() == []


def test_unflushed_output_is_not_duplicated_by_forked_shards() -> None:
    """A forked shard inherits the coordinator's stdout buffer and multiprocessing flushes
    it when the child exits: text the CLI printed (a pipe is block-buffered) before the
    shards started must come out once, not once per shard. (multiprocessing flushes the
    std streams before it forks; a hand-made fork would have to do the same.)"""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from run_fakes import fake_shard, fake_setup, make_plan\n"
        "from httptool.plan import LoadSpec\n"
        "from httptool.run.orchestrator import run_scenario\n"
        "print('HEADER')\n"
        "out = run_scenario(make_plan(LoadSpec(model='iterations', vus=2, iterations=4)),\n"
        "                   's', 2, shard_fn=fake_shard, setup_fn=fake_setup,\n"
        "                   start_method='fork', handle_signals=False)\n"
        "print('END', out.start_method, out.errors)\n"
    )
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.run([sys.executable, "-c", code, here], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["HEADER", "END fork []"]
