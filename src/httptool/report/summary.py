"""The end-of-run summary (k6-class): what ran, how much, how it failed, how fast.

Layout, top to bottom: the run (scenario, load, start, duration), the counts (VUs,
iterations, requests, failures by kind with the requests they hit, skipped steps,
checks, data), the checks table, the per-request table, the latency table (overall and
per request; TTFB, connect and, in the open model, service time), then the thresholds and
their verdict. Columns are padded on the plain text and coloured afterwards, so the
layout is identical with and without colour.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len

from httptool.metrics.result import LatencyStats, RunResult
from httptool.report.info import RunInfo
from httptool.report.style import Style
from httptool.report.thresholds import ThresholdOutcome
from httptool.report.units import (
    fmt_bytes,
    fmt_duration,
    fmt_elapsed,
    fmt_latency_ns,
    fmt_pct,
    fmt_rate,
    plural,
)
from httptool.report.validity import Validity

INDENT = "  "
#: Columns of the latency tables, in order (LatencyStats attribute names).
LATENCY_COLUMNS = ("avg", "min", "med", "max", "p90", "p95", "p99")


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: plain ``text`` (measured for padding) and the styles painted on it,
    or ``shown``: the same text already painted (for cells coloured in parts)."""

    text: str
    styles: tuple[str, ...] = ()
    shown: str | None = None


def _cell(x: str | Cell) -> Cell:
    return x if isinstance(x, Cell) else Cell(x)


def table(groups: Sequence[Sequence[Sequence[str | Cell]]], align: str, style: Style,
          gap: str = "  ") -> list[str]:
    """Rows (in groups separated by a blank line) padded to common column widths.

    ``align`` has one letter per column, ``l`` or ``r``; the first row of the first group
    is the header (painted bold). Widths are terminal cells (a CJK character or an emoji
    in a check name takes two). Trailing spaces are stripped.
    """
    rows = [[_cell(c) for c in row] for g in groups for row in g]
    widths = [0] * len(align)
    for cells in rows:
        for i, c in enumerate(cells):
            widths[i] = max(widths[i], cell_len(c.text))
    out: list[str] = []
    first = True
    for g in groups:
        if out:
            out.append("")
        for row in g:
            parts = []
            for i, raw in enumerate(row):
                c = _cell(raw)
                pad = " " * (widths[i] - cell_len(c.text))
                styles = ("bold",) if first else c.styles
                painted = c.shown if c.shown is not None and not first else \
                    style.paint(c.text, *styles)
                parts.append(painted + pad if align[i] == "l" else pad + painted)
            out.append((INDENT + gap.join(parts)).rstrip())
            first = False
    return out


def _kv_width(*blocks: Sequence[tuple[int, str, str]]) -> int:
    return max(2 * ind + len(label) for rows in blocks for ind, label, _ in rows) + 2


def _kv_lines(rows: Sequence[tuple[int, str, str]], style: Style, width: int) -> list[str]:
    """``label ......: value`` rows with the colons in one column; ``(indent, label,
    value)``, indent in levels of two spaces; ``width`` from :func:`_kv_width`."""
    out = []
    for ind, label, value in rows:
        dots = "." * (width - 2 * ind - len(label))
        out.append(f"{INDENT}{'  ' * ind}{label} {style.paint(dots, 'dim')}: {value}")
    return out


def _lat(stats: LatencyStats) -> list[str | Cell]:
    cells: list[str | Cell] = []
    if stats.count == 0:
        cells += ["-"] * len(LATENCY_COLUMNS) + ["0"]
    else:
        cells += [fmt_latency_ns(getattr(stats, c)) for c in LATENCY_COLUMNS]
        cells.append(str(stats.count))
    return cells


def _header_rows(info: RunInfo, res: RunResult, style: Style) -> list[tuple[int, str, str]]:
    rows = [(0, "scenario", f"{info.scenario} ({info.file})" if info.file else info.scenario)]
    workers = f", {plural(info.workers, 'worker')}"
    rows.append((0, "load", info.load + workers))
    if info.started_at:
        rows.append((0, "started", time.strftime("%Y-%m-%d %H:%M:%S",
                                                 time.localtime(info.started_at))))
    dur = fmt_elapsed(res.duration_s)
    if info.planned_duration:
        dur += f" (planned {fmt_duration(info.planned_duration)})"
    rows.append((0, "duration", dur))
    status = info.partial_status()
    if status is not None:  # a failure of the tool itself: its errors follow on stderr
        rows.append((0, "status", style.paint(status, "yellow" if info.interrupted else "red",
                                              "bold")))
    return rows


def vus_short(res: RunResult, info: RunInfo | None) -> str | None:
    """Why fewer VUs ran than the closed load asked for, or None: the generator could not
    start them before the end (issue 23 item 9: 6,581 of 30,000 ran, silently)."""
    want = info.planned_vus if info is not None else None
    if not want or info is None or info.interrupted or res.vus_max >= want:
        return None
    return (f"reached {res.vus_max:,} of {want:,}: the generator could not start them in "
            "time — use ramp_up or --workers")


def _count_rows(res: RunResult, style: Style,
                info: RunInfo | None = None) -> list[tuple[int, str, str]]:
    d = res.duration_s
    rows = [(0, "vus", f"{res.vus_max} max, {res.vus_created} created")]
    short = vus_short(res, info)
    if short:
        rows.append((1, "not reached", style.paint(short, "yellow")))
    rows.append((0, "iterations",
                 f"{res.completed} completed ({fmt_rate(res.completed / d if d > 0 else 0)}), "
                 f"{res.dropped} dropped, {res.interrupted} interrupted"))
    if res.dropped_saturated:
        rows.append((1, "saturated", style.paint(
            f"{res.dropped_saturated} of the dropped: httptool's own CPU was saturated "
            "(add --workers or machines)", "yellow")))
    if res.dropped_connecting:
        rows.append((1, "connecting", style.paint(
            f"{res.dropped_connecting} of the dropped: no free VU, and a new one would have "
            "queued behind hundreds of pending connects (the server is not accepting)",
            "yellow")))
    if res.dropped_late:
        rows.append((1, "late", style.paint(
            f"{res.dropped_late} of the dropped: due before the end, reached only after "
            "it (the generator fell behind; add --workers)", "yellow")))
    rows.append((0, "requests", f"{res.total_requests} ({fmt_rate(res.rps())})"))
    if res.total.resent:
        rows.append((1, "resent", style.paint(
            f"{res.total.resent} (sent, no answer, sent again on a new connection; counted "
            "in requests, not in failures)", "yellow")))
    n_fail = res.total_failures
    fail_text = f"{n_fail} ({fmt_pct(res.error_rate)} of requests)"
    rows.append((0, "failures", style.paint(fail_text, "red") if n_fail else fail_text))
    kinds: dict[str, dict[str, int]] = {}
    for name, r in res.requests.items():
        for kind, n in r.failures_by_kind.items():
            if n:
                kinds.setdefault(kind, {})[name] = n
    for kind, per in sorted(kinds.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        where = ", ".join(f"{n} {c}" for n, c in sorted(per.items(), key=lambda x: -x[1]))
        rows.append((1, kind, f"{sum(per.values())}  ({where})"))
    if any(res.skipped.values()):
        where = ", ".join(f"{n} {c}" for n, c in res.skipped.items() if c)
        rows.append((0, "skipped steps", f"{sum(res.skipped.values())}  ({where}; not run: "
                                          "their parent request failed, or the list "
                                          "they loop over was missing)"))
    rows.append((0, "checks", checks_text(res, style)))
    rate = (lambda n: fmt_bytes(n / d) + "/s") if d > 0 else (lambda n: "-")
    rows.append((0, "data sent", f"{fmt_bytes(res.total.bytes_sent)} "
                                 f"({rate(res.total.bytes_sent)})"))
    rows.append((0, "data received", f"{fmt_bytes(res.total.bytes_received)} "
                                     f"({rate(res.total.bytes_received)})"))
    if res.total.h2:  # an HTTP/1.1-only run keeps its summary as it was
        rows.append((0, "protocols", protocols_text(res)))
    return rows


def protocols_text(res: RunResult) -> str:
    """``h2 100%`` or ``h2 60%, http/1.1 40%``, then the connections opened."""
    t = res.total
    mix = sorted(((n, p) for p, n in t.protocols.items() if n), reverse=True)
    shares = ", ".join(f"{p} {round(100 * n / t.responses)}%" for n, p in mix)
    return f"{shares} of responses; {t.connect_hist.count} connections opened"


def _checks_table(res: RunResult, style: Style) -> list[str]:
    rows: list[list[str | Cell]] = [["check", "passed", "✓", "✗"]]
    for c in res.checks.values():
        ok = c.failed == 0
        mark = "✓" if ok else "✗"
        rows.append([Cell(f"{mark} {c.name}", shown=f"{style.mark(ok)} {c.name}"),
                     fmt_pct(c.pass_rate), str(c.passed),
                     Cell(str(c.failed), () if ok else ("red",))])
    return table([rows], "lrrr", style)


def _requests_table(res: RunResult, style: Style) -> list[str]:
    rows: list[list[str | Cell]] = [["request", "requests", "rate", "failed", "error %"]]
    d = res.duration_s

    def row(label: str, requests: int, failures: int, rate: float) -> list[str | Cell]:
        bad = ("red",) if failures else ()
        return [label, str(requests), fmt_rate(requests / d if d > 0 else 0.0),
                Cell(str(failures), bad), Cell(fmt_pct(rate), bad)]

    rows += [row(n, r.requests, r.failures, r.error_rate) for n, r in res.requests.items()]
    rows.append(row("(all)", res.total_requests, res.total_failures, res.error_rate))
    return table([rows], "lrrrr", style)


def _latency_table(res: RunResult, style: Style) -> list[str]:
    head: list[str | Cell] = ["latency", *LATENCY_COLUMNS, "count"]
    per = [[n, *_lat(r.latency)] for n, r in res.requests.items()]
    groups: list[list[list[str | Cell]]] = [[head, *per, ["(all)", *_lat(res.total.latency)]]]
    timing: list[list[str | Cell]] = [
        [Cell("timing (all)", ("bold",)), *[""] * (len(LATENCY_COLUMNS) + 1)],
        ["ttfb", *_lat(res.total.ttfb)],
        ["connect", *_lat(res.total.connect)],
    ]
    service = res.total.service
    if service is not None:
        timing.append(["service", *_lat(service)])
    groups.append(timing)
    lines = table(groups, "l" + "r" * (len(LATENCY_COLUMNS) + 1), style)
    if service is not None:
        lines.append(style.paint(
            f"{INDENT}open model: latency includes each iteration's delay after its "
            "scheduled start (no coordinated omission); service time from the actual send",
            "dim"))
        lines.append(style.paint(
            f"{INDENT}latency includes connection set-up (connect); service leaves it out, "
            "as k6's http_req_duration", "dim"))
    elif res.total.latency.count:
        lines.append(style.paint(
            f"{INDENT}latency: from the send, connection set-up (connect) left out, as "
            "k6's http_req_duration", "dim"))
    return lines


def threshold_lines(outcomes: Sequence[ThresholdOutcome], style: Style) -> list[str]:
    """``✓ p95 < 500ms ....: 180ms`` for each threshold (colons aligned), then the verdict
    (the summary's thresholds section without its heading)."""
    if not outcomes:
        return []
    width = max(len(o.threshold.text) for o in outcomes) + 2
    out = []
    for o in outcomes:
        dots = "." * (width - len(o.threshold.text))
        shown = o.shown if o.passed else style.paint(o.shown, "red")
        out.append(f"{INDENT * 2}{style.mark(o.passed)} {o.threshold.text} "
                   f"{style.paint(dots, 'dim')}: {shown}")
    out.append(INDENT + verdict_line(outcomes, style))
    return out


def verdict_text(n: int, failed: int) -> str:
    """``all 3 thresholds passed`` / ``1 of 3 thresholds failed`` / ``the threshold
    passed``: the words of the verdict, the same in the console and the HTML report."""
    noun = "threshold" if n == 1 else "thresholds"
    if failed:
        return f"{failed} of {n} {noun} failed"
    return "the threshold passed" if n == 1 else f"all {n} thresholds passed"


def verdict_line(outcomes: Sequence[ThresholdOutcome], style: Style) -> str:
    """``✓ all 3 thresholds passed`` / ``✗ 1 of 3 thresholds failed`` / no thresholds."""
    n = len(outcomes)
    failed = sum(1 for o in outcomes if not o.passed)
    if n == 0:
        return f"{style.mark(True)} no thresholds defined"
    text = verdict_text(n, failed)
    if failed:
        return f"{style.mark(False)} " + style.paint(text, "red", "bold")
    return f"{style.mark(True)} " + style.paint(text, "green", "bold")


def render_summary(result: RunResult, info: RunInfo,
                   outcomes: Sequence[ThresholdOutcome] = (), color: bool = False,
                   validity: Validity | None = None) -> str:
    """The whole summary as text (no trailing newline); ``color`` adds ANSI SGR codes.
    ``validity``'s line goes above the thresholds, so their verdict stays the last line."""
    style = Style(color)
    head, counts = _header_rows(info, result, style), _count_rows(result, style, info)
    width = _kv_width(head, counts)
    sections = [_kv_lines(head, style, width), _kv_lines(counts, style, width)]
    if result.checks:
        sections.append(_checks_table(result, style))
    sections.append(_requests_table(result, style))
    sections.append(_latency_table(result, style))
    if validity is not None:
        sections.append([validity.line(style)])
    if outcomes:
        sections.append([style.paint(f"{INDENT}thresholds", "bold"),
                         *threshold_lines(outcomes, style)])
    title = style.paint("Summary", "bold")
    lines = [title]
    for s in sections:
        lines.append("")
        lines.extend(s)
    return "\n".join(lines)


def checks_text(res: RunResult, style: Style) -> str:
    """The checks figure; with none defined, or none evaluated, it says so: a "100 %
    passed" of nothing reads as a pass."""
    if not res.checks:
        return "none"
    if res.checks_passed + res.checks_failed == 0:
        return "none evaluated (their requests failed first)"
    return (f"{fmt_pct(res.checks_pass_rate)} passed  {style.mark(True)} {res.checks_passed}  "
            f"{style.mark(False)} {res.checks_failed}")


def quiet_line(res: RunResult, style: Style) -> str:
    """``--quiet``'s one line of numbers: a run whose requests failed never looks clean."""
    n_fail = res.total_failures
    text = (f"{plural(res.total_requests, 'request')}, {n_fail} failed "
            f"({fmt_pct(res.error_rate)} errors), checks: {checks_text(res, style)}")
    return style.paint(text, "red") if n_fail else text


def render_quiet(
    outcomes: Sequence[ThresholdOutcome], color: bool = False, result: RunResult | None = None
) -> str:
    """What ``--quiet`` prints: the verdict line, one line of numbers (requests, failures,
    error %, checks), then each failed threshold."""
    style = Style(color)
    lines = [verdict_line(outcomes, style)]
    if result is not None:
        lines.append(f"{INDENT}{quiet_line(result, style)}")
    for o in outcomes:
        if not o.passed:
            lines.append(f"{INDENT}{style.mark(False)} {o.threshold.text}: "
                         f"{style.paint(o.shown, 'red')}")
    return "\n".join(lines)
