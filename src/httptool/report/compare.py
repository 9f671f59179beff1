"""``httptool compare BASELINE.json CURRENT.json``: two runs' summaries, row by row.

Both files are ``--summary-json`` documents. Requests are matched by name; each request
and the whole run get one row per metric (:data:`METRICS`) with the baseline, the
current value, the change and a verdict. A verdict is *better* or *worse* only when the
difference is significant (:mod:`httptool.report.stats`, p < ``ALPHA``) **and** at least
the effect-size floor: ``min_change`` relative for latency and requests/s, ``0.1``
percentage points for the failure and check rates. Otherwise it is *no significant
change*. ``max`` is one request's latency: it gets no test, so its verdict is ``-``.

Files of different scenarios or request sets are refused (:class:`CompareInputError`,
exit 2, naming the requests found in only one) unless ``allow_mismatch``; then only the
common requests are compared. A partial (interrupted, failed) or invalid side is
compared, with a warning.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from httptool.errors import HttptoolError
from httptool.inputs import read_json_text
from httptool.metrics.histogram import Histogram
from httptool.report import stats
from httptool.report.html import ReportInputError, validate_summary
from httptool.report.info import partial_status

#: Rows of each table, in order, and the direction that is better.
METRICS = ("rps", "error_rate", "avg", "p50", "p90", "p95", "p99", "max", "checks")
LATENCY = ("avg", "p50", "p90", "p95", "p99", "max")
HIGHER_IS_BETTER = frozenset({"rps", "checks"})
#: Default effect-size floor (relative change) of latency and requests/s rows.
DEFAULT_MIN_CHANGE = 0.10
#: Effect-size floor of the failure and check rates (a fraction: 0.1 percentage points).
RATE_FLOOR = 0.001

BETTER, WORSE, SAME, UNTESTED = "better", "worse", "no significant change", "-"
ALL = "(all)"


class CompareInputError(HttptoolError, ValueError):
    """A pair of files that cannot be compared; the message is for people (exit 2)."""


@dataclass(frozen=True, slots=True)
class Side:
    """What compare needs of one run: counts and the latency histogram, per scope."""

    requests: int
    failures: int
    duration_s: float
    latency: Histogram
    checks_passed: int
    checks_failed: int


@dataclass(frozen=True, slots=True)
class Run:
    """One loaded summary file."""

    path: str
    doc: dict[str, Any]
    scopes: dict[str, Side]  # request name -> Side; ALL -> the whole run

    @property
    def scenario(self) -> str:
        return str(self.doc["run"].get("scenario", "?"))

    def warnings(self, label: str) -> list[str]:
        """Why this side's numbers may not be trusted (partial, invalid)."""
        out = []
        run = self.doc["run"]
        errors = run.get("errors") if isinstance(run.get("errors"), list) else []
        status = partial_status(bool(run.get("interrupted")), str(run.get("stopped_by") or ""),
                                [str(e) for e in errors])
        if status is None and self.doc.get("final") is False:
            status = "partial results"
        if status:
            out.append(f"the {label} ({self.path}) is {status}")
        validity = self.doc.get("validity")
        if isinstance(validity, dict) and validity.get("valid") is False:
            why = "; ".join(str(r) for r in validity.get("reasons") or []) or "see its summary"
            out.append(f"the {label} ({self.path}) is not a valid run: {why}")
        return out


@dataclass(frozen=True, slots=True)
class Row:
    """One metric of one scope. Values in the metric's unit: ms (latency), per second
    (rps), fractions (error_rate, checks); None when not measured on that side."""

    scope: str
    metric: str
    base: float | None
    cur: float | None
    verdict: str
    p_value: float | None = None

    @property
    def change(self) -> float | None:
        if self.base is None or self.cur is None:
            return None
        return self.cur - self.base

    @property
    def rel(self) -> float | None:
        """Relative change (0.1 = +10 %); None when the baseline is 0 or missing."""
        c = self.change
        if c is None or not self.base:
            return None
        return c / self.base

    def to_dict(self) -> dict[str, Any]:
        return {"request": self.scope, "metric": self.metric, "baseline": self.base,
                "current": self.cur, "change": self.change, "change_rel": self.rel,
                "p_value": self.p_value, "verdict": self.verdict}


@dataclass(slots=True)
class Comparison:
    baseline: Run
    current: Run
    min_change: float
    rows: list[Row]
    only_in_baseline: list[str] = field(default_factory=list)
    only_in_current: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def row(self, scope: str, metric: str) -> Row | None:
        for r in self.rows:
            if r.scope == scope and r.metric == metric:
                return r
        return None

    @property
    def scopes(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rows:
            seen.setdefault(r.scope, None)
        return list(seen)


# ------------------------------------------------------------------ loading


def _read(path: str) -> dict[str, Any]:
    text = read_json_text(path, "summary file", CompareInputError)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        body = text.strip()
        if e.pos >= len(text.rstrip()) or (body.startswith("{") and not body.endswith("}")):
            raise CompareInputError(f"{path}: truncated: the JSON ends at line {e.lineno} "
                                    "before the document is complete (was the run killed "
                                    "while writing it?)") from None
        raise CompareInputError(f"{path}: not JSON ({e.msg} at line {e.lineno} column "
                                f"{e.colno})") from None
    try:
        return validate_summary(doc, path)
    except ReportInputError as e:
        raise CompareInputError(str(e)) from None


def _hist(raw: Any, path: str, where: str) -> Histogram:
    if not isinstance(raw, dict):
        raise CompareInputError(f"{path}: malformed summary: {where} is not an object")
    try:
        return Histogram.from_dict(raw)
    except (KeyError, TypeError, ValueError) as e:
        raise CompareInputError(f"{path}: malformed summary: {where}: {e}") from None


def _checks(doc: dict[str, Any], scope: str | None) -> tuple[int, int]:
    per = doc["checks"].get("per_check") or {}
    passed = failed = 0
    for name, c in per.items():
        if isinstance(c, dict) and (scope is None or name.startswith(scope + " ")):
            passed += int(c.get("passed") or 0)
            failed += int(c.get("failed") or 0)
    return passed, failed


def load_run(path: str | os.PathLike[str]) -> Run:
    """Read one ``--summary-json`` file for comparing (CompareInputError if it cannot)."""
    where = os.fspath(path)
    return run_of(_read(where), where)


def run_of(doc: dict[str, Any], where: str) -> Run:
    """A summary document (already checked) as a :class:`Run`, named ``where``."""
    hists = doc.get("latency_histograms")
    if not isinstance(hists, dict):
        raise CompareInputError(
            f"{where}: has no latency_histograms (written by an older httptool, "
            f"{doc.get('tool_version') or 'version unknown'}); compare needs them: run the "
            "scenario again with this httptool and --summary-json")
    per = hists.get("per_request")
    if not isinstance(per, dict):
        raise CompareInputError(f"{where}: malformed summary: latency_histograms.per_request "
                                "is not an object")
    duration = float(doc["duration_s"])
    scopes: dict[str, Side] = {}
    for name, r in doc["per_request"].items():
        if name not in per:
            raise CompareInputError(f"{where}: malformed summary: latency_histograms has no "
                                    f"request {name!r}")
        scopes[name] = Side(int(r.get("requests") or 0), int(r.get("failures") or 0),
                            duration, _hist(per[name], where,
                                            f"latency_histograms.per_request.{name}"),
                            *_checks(doc, name))
    scopes[ALL] = Side(int(doc["requests"]), int(doc["failures"]), duration,
                       _hist(hists.get("all"), where, "latency_histograms.all"),
                       *_checks(doc, None))
    return Run(where, doc, scopes)


# ------------------------------------------------------------------ rows


def _value(s: Side, metric: str) -> float | None:
    if metric == "rps":
        return s.requests / s.duration_s if s.duration_s > 0 else None
    if metric == "error_rate":
        return s.failures / s.requests if s.requests else None
    if metric == "checks":
        n = s.checks_passed + s.checks_failed
        return s.checks_passed / n if n else None
    h = s.latency
    if h.count == 0:
        return None
    if metric == "avg":
        return h.mean / 1e6
    if metric == "max":
        return h.max / 1e6
    return h.quantile(0.5 if metric == "p50" else int(metric[1:]) / 100) / 1e6


def _p_value(b: Side, c: Side, metric: str) -> float | None:
    tests: dict[str, Callable[[], float | None]] = {
        "rps": lambda: stats.poisson_rates(b.requests, b.duration_s, c.requests, c.duration_s),
        "error_rate": lambda: stats.two_proportions(b.failures, b.requests, c.failures,
                                                    c.requests),
        "checks": lambda: stats.two_proportions(
            b.checks_passed, b.checks_passed + b.checks_failed,
            c.checks_passed, c.checks_passed + c.checks_failed),
        "avg": lambda: stats.mann_whitney(b.latency, c.latency),
        "p50": lambda: stats.mann_whitney(b.latency, c.latency),
    }
    if metric in ("p90", "p95", "p99"):
        return stats.exceedance(b.latency, c.latency, int(metric[1:]) / 100)
    fn = tests.get(metric)
    return fn() if fn else None


def verdict(metric: str, base: float | None, cur: float | None, p: float | None,
            min_change: float) -> str:
    """*better*, *worse* or *no significant change* (``-`` for ``max`` or no data)."""
    if metric == "max" or base is None or cur is None:
        return UNTESTED
    change = cur - base
    if metric in ("error_rate", "checks"):
        big = abs(change) >= RATE_FLOOR
    else:
        big = abs(change) >= min_change * abs(base) if base else change != 0
    # equal proportions give no p-value (no variance) and are no change either way
    if not big or change == 0 or (p is not None and p >= stats.ALPHA) or (
            p is None and metric not in ("error_rate", "checks")):
        return SAME
    up_is_good = metric in HIGHER_IS_BETTER
    return BETTER if (change > 0) == up_is_good else WORSE


def _rows(scope: str, b: Side, c: Side, min_change: float) -> list[Row]:
    rows = []
    for m in METRICS:
        bv, cv = _value(b, m), _value(c, m)
        p = _p_value(b, c, m) if bv is not None and cv is not None else None
        rows.append(Row(scope, m, bv, cv, verdict(m, bv, cv, p, min_change), p))
    return rows


def compare(baseline: Run, current: Run, *, min_change: float = DEFAULT_MIN_CHANGE,
            allow_mismatch: bool = False) -> Comparison:
    """Rows for every common request and the whole run (CompareInputError on a mismatch
    unless ``allow_mismatch``)."""
    bnames = [n for n in baseline.scopes if n != ALL]
    cnames = [n for n in current.scopes if n != ALL]
    only_b = [n for n in bnames if n not in current.scopes]
    only_c = [n for n in cnames if n not in baseline.scopes]
    problems = []
    if baseline.scenario != current.scenario:
        problems.append(f"scenario {baseline.scenario!r} in the baseline, "
                        f"{current.scenario!r} in the current run")
    if only_b:
        problems.append("only in the baseline: " + ", ".join(only_b))
    if only_c:
        problems.append("only in the current run: " + ", ".join(only_c))
    warnings = baseline.warnings("baseline") + current.warnings("current run")
    if problems and not allow_mismatch:
        raise CompareInputError(f"{baseline.path} and {current.path} are not runs of the same "
                                f"requests ({'; '.join(problems)}); compare them anyway with "
                                "--allow-mismatch")
    if problems:
        warnings.append("mismatch allowed: " + "; ".join(problems))
    rows: list[Row] = []
    for name in [n for n in bnames if n in current.scopes] + [ALL]:
        rows += _rows(name, baseline.scopes[name], current.scopes[name], min_change)
    return Comparison(baseline, current, min_change, rows, only_b, only_c, warnings)


def compare_files(baseline: str, current: str, **kw: Any) -> Comparison:
    return compare(load_run(baseline), load_run(current), **kw)


def scope_names(runs: Sequence[Run]) -> list[str]:
    """Request names of the runs (for a gate's scope check)."""
    out: dict[str, None] = {}
    for r in runs:
        for n in r.scopes:
            if n != ALL:
                out.setdefault(n, None)
    return list(out)
