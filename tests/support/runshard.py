"""Run a scenario in-process through the real shard entry point (``run_shard``) and
collect what it sent: the merged result and every event. For engine-level tests that do
not need the CLI or the orchestrator."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from httptool.dsl import compile_source, load_plan
from httptool.engine.executors import ShardSpec
from httptool.metrics.result import Merger, RunResult
from httptool.plan import LoadSpec, Plan
from httptool.run.shard import RunOptions, ShardConfig, run_flow_once, run_shard


class QueueChannel:
    def __init__(self) -> None:
        self.q: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self.stop = threading.Event()
        self.hard_stop = threading.Event()

    def send(self, msg: tuple[Any, ...]) -> None:
        self.q.put(msg)


@dataclass
class Outcome:
    result: RunResult
    events: list[tuple[Any, ...]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    setup_values: dict[str, Any] = field(default_factory=dict)

    def requests(self) -> list[tuple[Any, ...]]:
        return [e for e in self.events if e[0] == "req"]


def plan_from(text: str, path: str = "test.httpx", base_dir: str | None = None) -> Plan:
    plan, diags = compile_source(text, path, None, base_dir)
    assert plan is not None, diags.render(text)
    return plan


def plan_file(path: str | Path) -> Plan:
    plan, diags, text = load_plan(str(path), None)
    assert plan is not None, diags.render(text)
    return plan


def with_load(plan: Plan, load: LoadSpec, scenario: str | None = None) -> Plan:
    sc = plan.scenario(scenario)
    scs = tuple(replace(s, load=load) if s is sc else s for s in plan.scenarios)
    return replace(plan, scenarios=scs)


def run_plan(plan: Plan, scenario: str | None = None, *, load: LoadSpec | None = None,
             base_url_map: tuple[tuple[str, str], ...] = (), cookies: str | None = None,
             events: bool = True, shards: int = 1, env: dict[str, str] | None = None,
             stop_after: float | None = None) -> Outcome:
    """Run ``plan`` with ``shards`` shards (threads) and return everything they sent."""
    if load is not None:
        plan = with_load(plan, load, scenario)
    name = plan.scenario(scenario).name
    ch = QueueChannel()
    opts = RunOptions(base_url_map=base_url_map, cookies=cookies, events=events,  # type: ignore[arg-type]
                      env=env)
    start = time.time_ns()
    setup_values: dict[str, Any] = {}
    if plan.setup:
        setup_values = run_flow_once(plan, plan.setup, opts, ch, shards, start)
        opts = replace(opts, setup_values=setup_values)
    threads = [threading.Thread(target=run_shard, args=(
        ShardConfig(plan, name, ShardSpec(i, shards), start, opts), ch)) for i in range(shards)]
    for t in threads:
        t.start()
    if stop_after is not None:
        threading.Timer(stop_after, ch.stop.set).start()
    for t in threads:
        t.join(120)
    if plan.teardown:
        run_flow_once(plan, plan.teardown, opts, ch, shards + 1, start)
    merger = Merger()
    out = Outcome(Merger().result(), setup_values=setup_values)
    while not ch.q.empty():
        msg = ch.q.get()
        if msg[0] == "snapshot":
            merger.add(msg[1])
        elif msg[0] == "events":
            out.events.extend(msg[1])
        elif msg[0] == "error":
            out.errors.append(msg[2])
    out.result = merger.result()
    assert not out.errors, out.errors
    return out
