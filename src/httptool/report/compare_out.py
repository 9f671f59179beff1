"""A comparison as text: console table, markdown (CI step summaries, PR comments), JSON.

All three show the same rows (compare.py) and gate outcomes (gates.py); console and
markdown say in one line what the verdicts mean, so a reader of a pull request comment
needs no docs to tell noise from a regression.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from httptool.report.compare import ALL, BETTER, LATENCY, WORSE, Comparison, Row
from httptool.report.gates import GateOutcome, all_passed
from httptool.report.stats import ALPHA
from httptool.report.style import Style
from httptool.report.summary import INDENT, Cell, table
from httptool.report.units import fmt_latency_ms, fmt_pct, fmt_rate

FORMATS = ("console", "markdown", "json")
_LABEL = {"rps": "requests/s", "error_rate": "failures %", "checks": "checks %"}


def _label(metric: str) -> str:
    return _LABEL.get(metric, metric)


def fmt_value(metric: str, v: float | None) -> str:
    if v is None:
        return "-"
    if metric in LATENCY:
        return fmt_latency_ms(v)
    if metric == "rps":
        return fmt_rate(v)
    return fmt_pct(v)


def fmt_delta(row: Row) -> str:
    """``+12.3ms (+10.2%)``, ``+0.50pp``, ``-4.1/s (-3.0%)``; ``-`` without both sides."""
    c = row.change
    if c is None:
        return "-"
    if row.metric in ("error_rate", "checks"):
        return f"{c * 100:+.2f}pp"
    absolute = (f"{'+' if c >= 0 else '-'}{fmt_latency_ms(abs(c))}" if row.metric in LATENCY
                else f"{c:+.1f}/s")
    rel = row.rel
    return f"{absolute} ({rel * 100:+.1f}%)" if rel is not None else absolute


def _explain(cmp: Comparison) -> str:
    return (f"better/worse: significant (p < {ALPHA:g}) and at least {cmp.min_change:.0%} "
            "(0.1pp for failure and check rates); max is one request, not tested")


def _gate_verdict(outcomes: Sequence[GateOutcome]) -> str:
    failed = sum(1 for o in outcomes if not o.passed)
    n = len(outcomes)
    noun = "gate" if n == 1 else "gates"
    return f"{failed} of {n} {noun} failed" if failed else (
        "the gate passed" if n == 1 else f"all {n} gates passed")


def render_console(cmp: Comparison, outcomes: Sequence[GateOutcome] = (),
                   color: bool = False) -> str:
    style = Style(color)
    paint = {BETTER: ("green",), WORSE: ("red", "bold")}
    lines = [style.paint("Comparison", "bold"),
             f"{INDENT}baseline: {cmp.baseline.path}", f"{INDENT}current:  {cmp.current.path}"]
    for w in cmp.warnings:
        lines.append(f"{INDENT}{style.paint('⚠ ' + w, 'yellow')}")
    header: list[str | Cell] = ["", "baseline", "current", "change", "verdict"]
    groups: list[list[list[str | Cell]]] = []
    for scope in cmp.scopes:
        group: list[list[str | Cell]] = [] if groups else [header]
        group.append([Cell(scope, ("bold",))])
        for r in (x for x in cmp.rows if x.scope == scope):
            group.append([f"  {_label(r.metric)}", fmt_value(r.metric, r.base),
                          fmt_value(r.metric, r.cur), fmt_delta(r),
                          Cell(r.verdict, paint.get(r.verdict, ()))])
        groups.append(group)
    lines.append("")
    lines += table(groups, "lrrrl", style)
    lines.append(style.paint(f"{INDENT}{_explain(cmp)}", "dim"))
    if outcomes:
        lines += ["", style.paint(f"{INDENT}gates", "bold")]
        width = max(len(o.gate.text) for o in outcomes) + 2
        for o in outcomes:
            dots = "." * (width - len(o.gate.text))
            shown = o.shown if o.passed else style.paint(o.shown, "red")
            lines.append(f"{INDENT * 2}{style.mark(o.passed)} {o.gate.text} "
                         f"{style.paint(dots, 'dim')}: {shown}")
        ok = all_passed(outcomes)
        lines.append(f"{INDENT}{style.mark(ok)} "
                     + style.paint(_gate_verdict(outcomes), "green" if ok else "red", "bold"))
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(cmp: Comparison, outcomes: Sequence[GateOutcome] = ()) -> str:
    """GitHub-flavoured markdown: a heading, warnings, one table of every row, gates."""
    icon = {BETTER: "🟢 better", WORSE: "🔴 worse"}
    out = [f"### httptool compare: {_md(cmp.current.scenario)}", "",
           f"Baseline `{_md(cmp.baseline.path)}`, current `{_md(cmp.current.path)}`.", ""]
    if outcomes:
        ok = all_passed(outcomes)
        out += [f"**{'✅' if ok else '❌'} {_gate_verdict(outcomes)}**", ""]
    for w in cmp.warnings:
        out.append(f"> ⚠️ {_md(w)}")
    if cmp.warnings:
        out.append("")
    out += ["| request | metric | baseline | current | change | verdict |",
            "|---|---|--:|--:|--:|---|"]
    for r in cmp.rows:
        scope = "**all**" if r.scope == ALL else _md(r.scope)
        out.append(f"| {scope} | {_label(r.metric)} | {fmt_value(r.metric, r.base)} | "
                   f"{fmt_value(r.metric, r.cur)} | {_md(fmt_delta(r))} | "
                   f"{icon.get(r.verdict, r.verdict)} |")
    out += ["", f"<sub>{_md(_explain(cmp))}</sub>"]
    if outcomes:
        out += ["", "| gate | change | result |", "|---|--:|---|"]
        for o in outcomes:
            out.append(f"| `{_md(o.gate.text)}` | {_md(o.shown)} | "
                       f"{'✅ pass' if o.passed else '❌ fail'} |")
    return "\n".join(out)


def comparison_dict(cmp: Comparison, outcomes: Sequence[GateOutcome] = ()) -> dict[str, Any]:
    return {"schema": "httptool.compare", "schema_version": 1,
            "baseline": cmp.baseline.path, "current": cmp.current.path,
            "scenario": cmp.current.scenario, "alpha": ALPHA, "min_change": cmp.min_change,
            "warnings": list(cmp.warnings), "only_in_baseline": cmp.only_in_baseline,
            "only_in_current": cmp.only_in_current,
            "rows": [r.to_dict() for r in cmp.rows],
            "gates": {"passed": all_passed(outcomes),
                      "outcomes": [o.to_dict() for o in outcomes]}}


def render(cmp: Comparison, outcomes: Sequence[GateOutcome], fmt: str,
           color: bool = False) -> str:
    if fmt == "markdown":
        return render_markdown(cmp, outcomes)
    if fmt == "json":
        return json.dumps(comparison_dict(cmp, outcomes), indent=2, ensure_ascii=False)
    return render_console(cmp, outcomes, color)
