"""The HTML report's baseline section (``httptool report CURRENT.json --baseline
BASE.json``): which run it is compared with, and the comparison table of
``httptool compare`` (same rows, same verdicts), with ``data-*`` attributes for tools.

The charts' overlay (the baseline's latency distribution and time series drawn under the
current run's) is in html.py and report.js; this module is the text of it.
"""

from __future__ import annotations

from html import escape
from typing import Any

from httptool.report.compare import ALL, BETTER, WORSE, CompareInputError, compare, run_of
from httptool.report.compare_out import fmt_delta, fmt_value
from httptool.report.stats import ALPHA

_LABEL = {"rps": "requests/s", "error_rate": "failures %", "checks": "checks %"}


def baseline_section(doc: dict[str, Any], where: str, base: dict[str, Any],
                     base_where: str) -> str:
    """``<section id="baseline">``: the banner, warnings and the comparison table."""
    run = base["run"]
    head = (f'<section id="baseline" data-baseline="{escape(base_where, quote=True)}">'
            "<h2>Compared with the baseline</h2>"
            f'<p class="note">Baseline <code>{escape(base_where)}</code>: scenario '
            f"{escape(str(run.get('scenario', '?')))}, {escape(str(run.get('load', '?')))}, "
            f"started {escape(str(run.get('started_at_iso') or '?'))}. The charts draw it in "
            "grey under this run.</p>")
    try:
        cmp = compare(run_of(base, base_where), run_of(doc, where), allow_mismatch=True)
    except CompareInputError as e:
        return head + f'<p class="note" id="no-comparison">No comparison table: {escape(str(e))}' \
                      "</p></section>"
    warn = "".join(f'<div class="banner bad">{escape(w)}</div>' for w in cmp.warnings)
    cls = {BETTER: "ok", WORSE: "bad"}
    body = []
    for r in cmp.rows:
        scope = "(all)" if r.scope == ALL else r.scope
        body.append(
            f'<tr data-request="{escape(scope, quote=True)}" data-metric="{r.metric}" '
            f'data-verdict="{escape(r.verdict, quote=True)}">'
            f"<td>{escape(scope)}</td><td>{escape(_LABEL.get(r.metric, r.metric))}</td>"
            f'<td class="num">{escape(fmt_value(r.metric, r.base))}</td>'
            f'<td class="num">{escape(fmt_value(r.metric, r.cur))}</td>'
            f'<td class="num">{escape(fmt_delta(r))}</td>'
            f'<td class="{cls.get(r.verdict, "")}">{escape(r.verdict)}</td></tr>')
    return (head + warn + '<div class="tablewrap"><table id="compare-table"><thead><tr>'
            "<th>request</th><th>metric</th><th class=\"num\">baseline</th>"
            '<th class="num">this run</th><th class="num">change</th><th>verdict</th></tr>'
            f"</thead><tbody>{''.join(body)}</tbody></table></div>"
            f'<p class="note">better/worse: significant (p &lt; {ALPHA:g}) and at least '
            f"{cmp.min_change:.0%} (0.1pp for failure and check rates); max is one request, "
            "not tested. See docs/ci.md.</p></section>")
