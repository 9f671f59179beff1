"""``--fail-on 'p95 > +10%'``: regression gates on a comparison (exit 99 when one fails).

A gate is ``[REQUEST.]METRIC OP CHANGE``: ``METRIC`` one of ``avg p50 med p90 p95 p99
max rps error_rate checks``; ``OP`` one of ``> >= < <=``; ``CHANGE`` a signed number
with a unit: ``%`` (relative to the baseline, any metric), ``pp`` (percentage points,
``error_rate`` and ``checks``), ``ms``/``s`` (latency), ``/s`` or none (``rps``).

A gate fails when the change crosses its bound **and** is significant (p < ALPHA, the
row's test; ``max`` has none, so its bound alone decides): noise within a run never fails
a gate. The ``--min-change`` floor is for verdicts only; a gate's bound is its own floor.
As with thresholds, a gate on something not measured in both runs does not pass.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from httptool.report import stats
from httptool.report.compare import ALL, LATENCY, Comparison, Row

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_METRICS = {"med": "p50", **{m: m for m in (*LATENCY, "rps", "error_rate", "checks")}}
_GATE = re.compile(r"^\s*(?:(?P<scope>.+)\.)?(?P<metric>[a-z_0-9]+)\s*(?P<op>>=|<=|>|<)\s*"
                   r"(?P<num>[+-]?\d+(?:\.\d+)?)\s*(?P<unit>%|pp|ms|s|/s)?\s*$")


@dataclass(frozen=True, slots=True)
class Gate:
    text: str
    scope: str | None
    metric: str
    op: str
    value: float
    unit: str  # "%", "pp", "ms", "/s"


@dataclass(frozen=True, slots=True)
class GateOutcome:
    gate: Gate
    passed: bool
    measured: float | None  # the change in the gate's unit
    note: str = ""

    @property
    def shown(self) -> str:
        if self.measured is None:
            return self.note
        text = f"{fmt_change(self.measured, self.gate.unit)}"
        return f"{text} ({self.note})" if self.note else text

    def to_dict(self) -> dict[str, object]:
        g = self.gate
        return {"gate": g.text, "request": g.scope, "metric": g.metric, "op": g.op,
                "value": g.value, "unit": g.unit, "measured": self.measured,
                "passed": self.passed, "note": self.note}


def fmt_change(v: float, unit: str) -> str:
    if math.isinf(v):
        return "+inf%" if v > 0 else "-inf%"
    return f"{v:+.2f}{unit}" if unit != "/s" else f"{v:+.1f}/s"


def parse_gate(text: str, request_names: Iterable[str] | None = None) -> Gate:
    """One ``--fail-on`` value; ValueError with a one-line message naming it."""
    m = _GATE.match(text)
    if m is None:
        raise ValueError(f"invalid --fail-on {text!r}: expected [REQUEST.]METRIC OP CHANGE, "
                         "e.g. 'p95 > +10%', 'error_rate > +0.5pp', 'login.p99 > +50ms'")
    metric = _METRICS.get(m["metric"])
    if metric is None:
        close = difflib.get_close_matches(m["metric"], sorted(_METRICS), 1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"invalid --fail-on {text!r}: unknown metric {m['metric']!r}{hint}; "
                         f"use one of {', '.join(sorted(_METRICS))}")
    unit = m["unit"] or ("/s" if metric == "rps" else "")
    if unit == "s" and metric in LATENCY:
        unit, value = "ms", float(m["num"]) * 1000
    else:
        value = float(m["num"])
    allowed = {"%"} | ({"ms"} if metric in LATENCY else {"pp"} if metric in (
        "error_rate", "checks") else {"/s"})
    if unit not in allowed:
        raise ValueError(f"invalid --fail-on {text!r}: a change of {metric} is in "
                         f"{' or '.join(sorted(allowed))}" + (" (add a unit)" if not unit else ""))
    scope = m["scope"]
    if scope is not None and request_names is not None:
        names = list(request_names)
        if scope not in names:
            close = difflib.get_close_matches(scope, names, 1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"invalid --fail-on {text!r}: unknown request '{scope}'{hint}")
    return Gate(text.strip(), scope, metric, m["op"], value, unit)


def measured(row: Row, unit: str) -> float | None:
    """The row's change in ``unit`` (None when either side is missing)."""
    change = row.change
    if change is None:
        return None
    if unit == "%":
        if row.rel is not None:
            return row.rel * 100
        return 0.0 if change == 0 else math.copysign(math.inf, change)
    if unit == "pp":
        return change * 100
    return change


def evaluate_gates(gates: Sequence[Gate], cmp: Comparison) -> list[GateOutcome]:
    out = []
    for g in gates:
        row = cmp.row(g.scope or ALL, g.metric)
        if row is None:
            out.append(GateOutcome(g, False, None, f"request '{g.scope}' is not in both runs"))
            continue
        v = measured(row, g.unit)
        if v is None:
            out.append(GateOutcome(g, False, None, "not measured in both runs"))
            continue
        crossed = _OPS[g.op](v, g.value)
        significant = row.metric == "max" or (row.p_value is not None
                                              and row.p_value < stats.ALPHA)
        if crossed and not significant:
            out.append(GateOutcome(g, True, v, "within noise"))
        else:
            out.append(GateOutcome(g, not crossed, v))
    return out


def all_passed(outcomes: Iterable[GateOutcome]) -> bool:
    return all(o.passed for o in outcomes)
