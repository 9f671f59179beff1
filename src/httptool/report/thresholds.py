"""Thresholds: parse the ``--threshold`` option and evaluate gates against a result.

Parsing reuses the scenario language's own threshold parser and compiler on the option
text, so ``--threshold 'login.p95 < 300ms'`` and the same line inside ``thresholds { }``
mean exactly the same thing (same units, same canonical text, same error messages).

Evaluation rule for missing data: a threshold on something that was never measured
(a request that never ran, latency with no response, an error rate with no request,
checks when none ran) does **not** pass. A gate without evidence cannot hold; the outcome
carries a ``note`` saying why, and the run exits 99 like any failed threshold.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from httptool.dsl.compiler import LATENCY_METRICS, RATE_METRICS, fmt_num
from httptool.dsl.expressions import parse_threshold
from httptool.metrics.result import RunResult
from httptool.plan import Threshold
from httptool.report.units import fmt_latency_ms, fmt_pct, fmt_rate

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}


@dataclass(frozen=True, slots=True)
class ThresholdOutcome:
    """One evaluated threshold: ``actual`` in the threshold's unit (ms, fraction, per
    second, count), None when there was nothing to measure (then ``note`` says why)."""

    threshold: Threshold
    actual: float | None
    passed: bool
    note: str = ""

    @property
    def shown(self) -> str:
        """The actual value for people (``312ms``, ``1.42%``, ``84.7/s``) or the note."""
        if self.actual is None:
            return self.note
        return fmt_metric(self.threshold.metric, self.actual)

    def to_dict(self) -> dict[str, object]:
        t = self.threshold
        return {"threshold": t.text, "metric": t.metric, "scope": t.scope, "op": t.op,
                "value": t.value, "actual": self.actual, "passed": self.passed,
                "note": self.note}


def fmt_metric(metric: str, value: float) -> str:
    """A threshold metric's value in its unit."""
    if metric in LATENCY_METRICS:
        return fmt_latency_ms(value)
    if metric in RATE_METRICS:
        return fmt_pct(value)
    if metric == "rps":
        return fmt_rate(value)
    return fmt_num(value)


def _missing(t: Threshold, result: RunResult, names: set[str] | None) -> str:
    """Why ``t`` has no data in ``result`` ("" when it has)."""
    if t.scope is not None and t.scope not in result.requests:
        if names is not None and t.scope not in names:
            close = difflib.get_close_matches(t.scope, sorted(names), 1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return f"unknown request '{t.scope}'{hint}"
        return f"request '{t.scope}' never ran"
    if t.metric in LATENCY_METRICS:
        if result.scope(t.scope).latency_hist.count == 0:
            return "no response was measured"
    elif t.metric == "error_rate":
        if result.scope(t.scope).requests == 0:
            return "no request was sent"
    elif t.metric == "checks":
        if t.scope is None:
            evaluated = result.checks_passed + result.checks_failed
        else:
            evaluated = sum(c.total for n, c in result.checks.items()
                            if n.startswith(t.scope + " "))
        if evaluated == 0:
            return "no check ran"
    return ""


def evaluate_thresholds(thresholds: Sequence[Threshold], result: RunResult,
                        request_names: Iterable[str] | None = None) -> list[ThresholdOutcome]:
    """Each threshold against ``result`` (in order), via :meth:`RunResult.metric`.

    ``request_names`` (the plan's request names, optional) lets a scope that is not a
    request at all be reported as unknown, with a suggestion, rather than "never ran".
    """
    names = None if request_names is None else set(request_names)
    out = []
    for t in thresholds:
        why = _missing(t, result, names)
        if why:
            out.append(ThresholdOutcome(t, None, False, why))
            continue
        actual = result.metric(t.metric, t.scope)
        out.append(ThresholdOutcome(t, actual, _OPS[t.op](actual, t.value)))
    return out


def all_passed(outcomes: Iterable[ThresholdOutcome]) -> bool:
    """True when every outcome passed (and when there are none): exit 0, else 99."""
    return all(o.passed for o in outcomes)


def parse_threshold_option(text: str, request_names: Iterable[str] | None = None) -> Threshold:
    """One ``--threshold`` value (``'p95<500ms'``, ``'login.p95 < 300ms'``,
    ``'error_rate<1%'``, ``'checks>99%'``, ``'rps>=100'``, ``'dropped==0'``) as a
    :class:`Threshold`, parsed and compiled by the scenario language itself.

    With ``request_names`` a scope must be one of them. Raises ValueError with a message
    naming the option and the problem (the language's warnings count as errors here, since
    an option has nowhere to show a warning).
    """
    threshold, diags = parse_threshold(text, request_names, origin="--threshold")
    if threshold is not None:
        return threshold
    d = diags.sorted()[0]
    raise ValueError(f"invalid --threshold {text!r}: {d.message} (column {d.col})")
