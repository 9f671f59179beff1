"""run_scenario with the real shard (run_shard, run_flow_once) against the built-in target:
the tool's request count equals the server's, for one shard (a thread) and two (processes).
The scenario (run_fakes.REAL_SCENARIO) passes a setup token to the load and teardown."""

from __future__ import annotations

from typing import Any

import pytest
from run_fakes import real_plan

from httptool.metrics import RunResult
from httptool.run.orchestrator import Listener, RunOutcome, run_scenario
from httptool.run.shard import RunOptions

pytestmark = pytest.mark.timeout(60)

class Collect(Listener):
    def __init__(self) -> None:
        self.results: list[RunResult] = []
        self.events: list[tuple[Any, ...]] = []

    def on_result(self, result: RunResult) -> None:
        self.results.append(result)

    def on_events(self, batch: list[tuple[Any, ...]]) -> None:
        self.events.extend(batch)


def _check(out: RunOutcome, counts: dict[str, Any]) -> RunResult:
    res = out.result
    assert out.errors == [] and not out.interrupted and res.final
    assert res.total.failures == 0, res.total.failures_by_kind
    assert res.total.requests == counts["total"]
    assert res.requests["me"].requests == counts["paths"]["/me"]
    assert res.requests["login"].requests == 1 and res.requests["logout"].requests == 1
    assert "token" in out.setup_values
    # the load's VUs are numbered from 1; setup/teardown run as VU 0
    assert sum(v.requests for v in res.vus if v.vu > 0) == res.requests["me"].requests
    assert sum(v.requests for v in res.vus) == res.total.requests
    # ...and VU 0 is not one of the load's VUs (QA: 4 VUs reported as 5 created)
    load_vus = {v.vu for v in res.vus if v.vu > 0}
    assert res.vus_created == len(load_vus), (res.vus_created, load_vus)
    assert res.vus_max <= len(load_vus)
    return res


@pytest.mark.parametrize("workers", [1, 2])
def test_duration_load_matches_server_count(target: Any, workers: int) -> None:
    target.reset()
    lis = Collect()
    out = run_scenario(real_plan(target.url, "4 vus for 1s"), "s", workers,
                       RunOptions(snapshot_interval=0.2), lis, handle_signals=False)
    res = _check(out, target.counts())
    assert out.workers == workers and res.shards == workers + 2
    assert res.requests["me"].requests > 20
    assert 0.9 < res.duration_s < 2.0
    assert len(lis.results) >= 2 and lis.results[-1] is res


@pytest.mark.parametrize("workers", [1, 2])
def test_iterations_exact_with_events(target: Any, workers: int) -> None:
    target.reset()
    lis = Collect()
    out = run_scenario(real_plan(target.url, "301 iterations with 5 vus"), "s", workers,
                       RunOptions(events=True, snapshot_interval=0.2), lis,
                       handle_signals=False)
    res = _check(out, target.counts())
    assert res.requests["me"].requests == 301
    assert sum(v.iterations for v in res.vus if v.vu > 0) == 301
    reqs = [e for e in lis.events if e[0] == "req"]
    assert len(reqs) == res.total.requests == 303  # every request once, setup/teardown too
    assert {e[2] for e in reqs} == {0, 1, 2, 3, 4, 5}
