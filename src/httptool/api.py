"""The public Python API behind ``httptool.load`` and ``httptool.run`` (docs/api.md).

A run here is ``httptool scenario run`` without the console: the same compile, the same
load overrides, the same shards, and a :class:`Result` whose :attr:`Result.summary` is
the document ``--summary-json`` writes (same numbers, same schema). Above every layer,
like ``cli``; imported only when ``httptool.load``/``httptool.run`` is first used.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from typing import Any

from httptool.errors import RunError, ScenarioError, SettingError
from httptool.plan import Plan, ScenarioPlan

__all__ = ["Result", "load", "run"]


def load(path: str | os.PathLike[str], scenario: str | None = None) -> Plan:
    """Read and compile a ``.httpx`` file. Raises :class:`~httptool.errors.ScenarioError`
    (located: ``err.file``, ``err.line``, ``err.col``) when it has errors, and
    ``ScenarioFileError`` (a :class:`~httptool.errors.HttptoolError`) when it cannot be
    read. Warnings do not raise."""
    from httptool.dsl import load_plan

    name = os.fspath(path)
    plan, diags, text = load_plan(name, scenario)
    if plan is None:
        first = diags.errors[0] if diags.errors else diags.sorted()[0]
        raise ScenarioError(diags.render(text), name, first.line, first.col, first.message)
    return plan


@dataclass(frozen=True)
class Result:
    """One finished run. :attr:`summary` is the ``--summary-json`` document; the
    properties read the figures a test most often asserts on."""

    summary: dict[str, Any]
    interrupted: bool = False

    @property
    def requests(self) -> int:
        """Every request sent (as the server counts them)."""
        return int(self.summary["requests"])

    @property
    def failures(self) -> int:
        """Failed requests, each once (DESIGN.md: what counts as a failure)."""
        return int(self.summary["failures"])

    @property
    def error_rate(self) -> float:
        """failures / requests, as a fraction."""
        return float(self.summary["error_rate"])

    @property
    def rps(self) -> float:
        """Requests per second over the load phase."""
        return float(self.summary["rps"])

    @property
    def thresholds_passed(self) -> bool:
        """Every threshold held (True when there are none): ``scenario run`` exits 0."""
        return bool(self.summary["thresholds"]["passed"])

    def latency_ms(self, stat: str = "p95", request: str | None = None) -> float:
        """``stat`` (``min``, ``avg``, ``med``, ``p90``, ``p95``, ``p99``, ``max``) of the
        latency in milliseconds, of the whole run or of one request name."""
        part = self.summary["total"] if request is None else self._request(request)
        return float(part["latency"][f"{stat}_ms"])

    @property
    def p95_ms(self) -> float:
        return self.latency_ms("p95")

    def _request(self, name: str) -> dict[str, Any]:
        per = self.summary["per_request"]
        if name not in per:
            raise SettingError(f"no request {name!r} ran; these did: {', '.join(per)}")
        return dict(per[name])


def run(file: str | os.PathLike[str] | Plan, scenario: str | None = None, *,
        vus: int | None = None, duration: float | None = None, rps: float | None = None,
        iterations: int | None = None, workers: int = 1,
        base_url_map: dict[str, str] | None = None) -> Result:
    """Run ``scenario`` (the file's first when None) of a file or a loaded plan, with the
    overrides ``scenario run`` has (``duration`` in seconds), on ``workers`` local
    shards; returns when it is done. The run's thresholds are evaluated (see
    :attr:`Result.thresholds_passed`), not raised. Raises
    :class:`~httptool.errors.SettingError` for a bad setting and
    :class:`~httptool.errors.RunError` when the tool itself failed."""
    plan = file if isinstance(file, Plan) else load(file)
    name = os.fspath(file) if not isinstance(file, Plan) else "<plan>"
    chosen = _with_load(plan, scenario, vus=vus, duration=duration, rps=rps,
                        iterations=iterations)
    plan = dataclasses.replace(plan, scenarios=tuple(
        chosen if s.name == chosen.name else s for s in plan.scenarios))
    if workers < 1:
        raise SettingError("workers must be at least 1")
    return _run(plan, chosen, name, workers, base_url_map or {})


def _with_load(plan: Plan, scenario: str | None, **overrides: Any) -> ScenarioPlan:
    import click

    from httptool.cli.run_options import override_load

    try:
        chosen = plan.scenario(scenario)
    except KeyError:
        names = ", ".join(s.name for s in plan.scenarios) or "none"
        raise SettingError(f"no scenario {scenario!r} (scenarios: {names})") from None
    try:
        load_spec = override_load(chosen.load, **overrides)
    except click.BadParameter as e:
        what = (e.param_hint or "").lstrip("-") if isinstance(e.param_hint, str) else ""
        raise SettingError(f"{what}: {e.format_message()}" if what
                           else e.format_message()) from None
    return dataclasses.replace(chosen, load=load_spec)


def _run(plan: Plan, sc: ScenarioPlan, file: str, workers: int,
         base_url_map: dict[str, str]) -> Result:
    from httptool.loadmodels import model_of
    from httptool.report.info import RunInfo
    from httptool.report.json_summary import summary_dict
    from httptool.report.thresholds import evaluate_thresholds
    from httptool.report.validity import assess, planned_iterations
    from httptool.run.orchestrator import run_scenario, shard_count
    from httptool.run.shard import RunOptions

    pairs = tuple(sorted(base_url_map.items(), key=lambda kv: -len(kv[0])))
    count = shard_count(sc.load, workers)
    info = RunInfo.from_plan(file, sc, model_of(sc.load).describe(sc.load), count, time.time())
    outcome = run_scenario(plan, sc.name, workers, RunOptions(base_url_map=pairs),
                           handle_signals=False)
    if outcome.errors:
        raise RunError(list(outcome.errors))
    info.interrupted = outcome.interrupted
    info.stopped_by = outcome.stopped_by
    info.workers = outcome.workers or count
    outcomes = evaluate_thresholds(sc.thresholds, outcome.result,
                                   [r.name for r in plan.requests])
    validity = assess(outcome.result, info, planned_iterations(sc.load))
    return Result(summary_dict(outcome.result, info, outcomes, validity), outcome.interrupted)
