"""Run by test_signals.py in a subprocess (its own session, so a signal sent to its process
group reaches it and its shard processes the way a terminal's Ctrl-C does).

argv[1] is JSON: ``workers``, ``grace``, ``inflight``, optional ``start_method``; with
``url`` the real shard runs run_fakes.REAL_SCENARIO against that target instead. Prints
one JSON object per line: ``{"phase": ...}``, ``{"requests": n}`` (each on_result),
``{"signal": n}``, and finally ``{"outcome": {...}}``; exits 130 when interrupted, else 0.
"""

from __future__ import annotations

import json
import sys
from functools import partial
from typing import Any

from run_fakes import fake_setup, fake_shard, make_plan, real_plan

from httptool.metrics import RunResult
from httptool.plan import LoadSpec, Run
from httptool.run.orchestrator import Listener, run_scenario
from httptool.run.shard import RunOptions


def emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


class Printer(Listener):
    def on_phase(self, phase: str) -> None:
        emit({"phase": phase})

    def on_result(self, result: RunResult) -> None:
        emit({"requests": result.total.requests})

    def on_signal(self, count: int) -> None:
        emit({"signal": count})


def main() -> int:
    cfg = json.loads(sys.argv[1])
    fns: dict[str, Any] = {}
    if "url" in cfg:  # the real shard
        load = f"{{\n vus = 4\n duration = 30s\n graceful_stop = {cfg['grace']}s\n }}"
        plan = real_plan(cfg["url"], load)
    else:
        plan = make_plan(LoadSpec(model="vus", vus=2, duration=30, graceful_stop=cfg["grace"]),
                         setup=(Run("login"),), teardown=(Run("logout"),))
        fns = {"shard_fn": partial(fake_shard, inflight=cfg["inflight"]),
               "setup_fn": fake_setup}
    out = run_scenario(plan, "s", cfg["workers"], RunOptions(snapshot_interval=0.2),
                       Printer(), start_method=cfg.get("start_method"), **fns)
    res = out.result
    emit({"outcome": {
        "interrupted": out.interrupted, "signals": out.signals, "errors": out.errors,
        "final": res.final, "shards": res.shards, "completed": res.completed,
        "interrupted_iterations": res.interrupted, "requests": res.total.requests,
        "failures": res.total.failures,
        "per_name": {n: r.requests for n, r in res.requests.items()},
        "vu_requests": sum(v.requests for v in res.vus),
        "vu_iterations": sum(v.iterations for v in res.vus),
    }})
    return 130 if out.interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
