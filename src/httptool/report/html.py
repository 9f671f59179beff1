"""``--report PATH`` and ``httptool report``: one self-contained HTML report of a run.

The report is always rendered from the ``--summary-json`` document (:func:`summary_dict`),
so a report written at the end of a run and one built later from an archived summary
file are the same page. The page is one file: the charting library (uPlot, vendored
under ``report/vendor`` by ``scripts/vendor-uplot.sh``), the styles and the script are
inlined, fonts are the system's, and a Content-Security-Policy of ``default-src 'none'``
forbids any request, so it opens the same on an air-gapped machine.

The tables are plain HTML written here (readable without the script, and when printed);
the script only draws the charts from a compact JSON block (at most
:data:`MAX_POINTS` points per time series, whatever the run's length) and sorts tables.
Elements carry ``data-*`` attributes with the raw numbers, for tools and tests.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from html import escape
from typing import Any

from httptool.errors import HttptoolError
from httptool.inputs import read_json_text
from httptool.metrics.result import SCHEMA, SCHEMA_VERSION, RunResult
from httptool.report.info import RunInfo, partial_status
from httptool.report.json_summary import summary_dict
from httptool.report.page import asset as _asset
from httptool.report.page import page_head
from httptool.report.summary import verdict_text
from httptool.report.thresholds import ThresholdOutcome, fmt_metric
from httptool.report.units import (
    fmt_bytes,
    fmt_duration,
    fmt_elapsed,
    fmt_latency_ms,
    fmt_pct,
    fmt_rate,
    plural,
)
from httptool.report.validity import Validity

#: Schema versions of the summary document this renderer reads.
SUPPORTED_VERSIONS = (SCHEMA_VERSION,)
#: Most points a time-series chart gets; longer runs are drawn in buckets of whole seconds.
MAX_POINTS = 1800
#: Up to this many VUs the per-VU table shows every VU; above, the slowest and fastest.
VU_FULL_MAX = 50
#: How many slowest and fastest VUs a condensed per-VU table shows.
VU_SHOW = 20
#: Most request names drawn in the percentile chart (besides all requests).
CURVE_LINES = 6

_Kind = type | tuple[type, ...]

_REQUIRED: dict[str, _Kind] = {
    "run": dict, "thresholds": dict, "duration_s": (int, float), "requests": int,
    "failures": int, "error_rate": (int, float), "rps": (int, float), "iterations": dict,
    "vus": dict, "total": dict, "per_request": dict, "checks": dict, "per_vu": list,
    "time_series": list,
}
#: The nested parts the renderer relies on: (path, kind, optional). ``*`` is every member
#: of an object, ``[]`` every item of a list; optional parts may be absent or null (older
#: documents, ``service`` outside the open model). Scalars inside (counts, milliseconds)
#: are read leniently, so they are not listed.
_NESTED: tuple[tuple[str, _Kind, bool], ...] = (
    ("thresholds.outcomes", list, True),
    ("thresholds.outcomes.[]", dict, False),
    ("total.latency", dict, True),
    ("total.ttfb", dict, True),
    ("total.connect", dict, True),
    ("total.service", dict, True),
    ("total.failures_by_kind", dict, True),
    ("per_request.*", dict, False),
    ("per_request.*.latency", dict, True),
    ("per_request.*.failures_by_kind", dict, True),
    ("checks.per_check", dict, True),
    ("checks.per_check.*", dict, False),
    ("per_vu.[]", dict, False),
    ("per_vu.[].vu", int, False),
    ("time_series.[]", dict, False),
    ("skipped", dict, True),
    ("percentile_curve", dict, True),
    ("slowest_requests", list, True),
    ("percentile_curve.percentiles", list, True),
    ("percentile_curve.percentiles.[]", (int, float), False),
)
_LAT_COLS = ("avg", "min", "med", "p90", "p95", "p99", "max")


class ReportInputError(HttptoolError, ValueError):
    """A summary document that cannot be rendered; the message is one line for people."""


# ------------------------------------------------------------------ input


def _is(value: Any, kind: _Kind) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def _kind_name(kind: _Kind) -> str:
    """What a part should be, in the words of someone reading the JSON."""
    names: dict[_Kind, str] = {dict: "an object", list: "a list", int: "a whole number",
                               str: "text"}
    return names.get(kind, "a number")


def _value_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return "a number"


def _member(path: str, key: str) -> str:
    """``path.key``, or ``path["key"]`` (JSON-escaped) for a key that would be unreadable
    or ambiguous in a one-line message (a dot, a bracket, a newline...)."""
    if key and key.isprintable() and not any(c in key for c in '.[]"'):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _walk(node: Any, steps: Sequence[str], path: str) -> list[tuple[str, bool, Any]]:
    """(path, present, value) for every node ``steps`` reach below ``node``; missing
    parents (or parents of the wrong type, reported on their own line) yield nothing."""
    if not steps:
        return [(path, True, node)]
    step, rest = steps[0], steps[1:]
    if step == "[]":
        if not isinstance(node, list):
            return []
        return [hit for i, item in enumerate(node) for hit in _walk(item, rest, f"{path}[{i}]")]
    if not isinstance(node, dict):
        return []
    if step == "*":
        return [hit for k, v in node.items() for hit in _walk(v, rest, _member(path, k))]
    child = _member(path, step)
    if step not in node:
        return [(child, False, None)] if not rest else []
    return _walk(node[step], rest, child)


def _non_finite(node: Any, path: str = "") -> str | None:
    """The path of the first NaN or infinity in ``node`` (Python's JSON reader accepts
    them; the page's data block and the number formatting cannot), or None."""
    if isinstance(node, float) and not math.isfinite(node):
        return path
    if isinstance(node, dict):
        items: Any = ((_member(path, str(k)), v) for k, v in node.items())
    elif isinstance(node, list):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(node))
    else:
        return None
    for sub, v in items:
        found = _non_finite(v, sub)
        if found is not None:
            return found
    return None


def _shape_problem(doc: dict[str, Any]) -> str | None:
    """The first part of ``doc`` that is missing or of the wrong kind, said in JSON terms
    (``total.latency is not an object (it is text)``), or None."""
    for key, kind in _REQUIRED.items():
        if key not in doc:
            return f"{key} is missing"
        if not _is(doc[key], kind):
            return f"{key} is not {_kind_name(kind)} (it is {_value_name(doc[key])})"
    for spec, kind, optional in _NESTED:
        for path, present, value in _walk(doc, spec.split("."), ""):
            if not present or value is None:
                if not optional:
                    return f"{path} is missing" if not present else f"{path} is null"
                continue
            if not _is(value, kind):
                return f"{path} is not {_kind_name(kind)} (it is {_value_name(value)})"
    bad = _non_finite(doc)
    if bad is not None:
        return f"{bad} is not a finite number"
    return None


def validate_summary(doc: Any, where: str = "input") -> dict[str, Any]:
    """``doc`` if it is an ``httptool.summary`` document this version can render; else
    ReportInputError naming ``where`` (the file) and what is wrong in the JSON's terms."""
    if not isinstance(doc, dict):
        raise ReportInputError(f"{where}: not an httptool summary (a JSON object is expected)")
    if doc.get("schema") != SCHEMA:
        raise ReportInputError(f"{where}: not an httptool summary (schema is "
                               f"{doc.get('schema')!r}, expected {SCHEMA!r}; write one with "
                               "--summary-json)")
    version = doc.get("schema_version")
    if version not in SUPPORTED_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
        raise ReportInputError(f"{where}: summary schema_version {version!r} is not supported "
                               f"(this httptool reads {supported})")
    problem = _shape_problem(doc)
    if problem is not None:
        raise ReportInputError(f"{where}: malformed summary: {problem}")
    return doc


def load_summary(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a ``--summary-json`` file (ReportInputError with one line if bad)."""
    where = os.fspath(path)
    text = read_json_text(where, "summary file", ReportInputError)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ReportInputError(f"{where}: not JSON ({e.msg} at line {e.lineno} column "
                               f"{e.colno})") from None
    return validate_summary(doc, where)


# ------------------------------------------------------------------ small helpers


def _num(x: Any) -> float:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else 0.0


def _int(x: Any) -> int:
    return int(x) if isinstance(x, int | float) and not isinstance(x, bool) else 0


def _attr(v: Any) -> str:
    """A ``data-*`` attribute value: numbers as JSON writes them, text escaped."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ""
    return escape(str(v), quote=True)


def _td(shown: str, value: Any = None, cls: str = "num", **data: Any) -> str:
    attrs = f' class="{cls}"' if cls else ""
    if value is not None:
        attrs += f' data-v="{_attr(value)}"'
    for k, v in data.items():
        attrs += f' data-{k.replace("_", "-")}="{_attr(v)}"'
    return f"<td{attrs}>{escape(shown)}</td>"


def _th(cols: Sequence[str], num_from: int = 1) -> str:
    cells = "".join(f'<th class="num">{escape(c)}</th>' if i >= num_from
                    else f"<th>{escape(c)}</th>" for i, c in enumerate(cols))
    return f"<thead><tr>{cells}</tr></thead>"


def _lat(stats: dict[str, Any] | None, col: str) -> str:
    if not stats or not _int(stats.get("count")):
        return "-"
    return fmt_latency_ms(_num(stats.get(f"{col}_ms")))


def _ts(doc: dict[str, Any]) -> tuple[str, str]:
    """(started, ended) as ``YYYY-MM-DD HH:MM:SS +zzzz`` in the run's own time zone."""
    run = doc["run"]
    iso = run.get("started_at_iso")
    start: datetime | None = None
    if isinstance(iso, str):
        try:
            start = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            start = None
    if start is None and _num(run.get("started_at")) > 0:
        start = datetime.fromtimestamp(_num(run["started_at"])).astimezone()
    if start is None:
        return "-", "-"
    end = start + timedelta(seconds=_num(doc["duration_s"]))
    fmt = "%Y-%m-%d %H:%M:%S %z"
    return start.strftime(fmt), end.strftime(fmt)


def _open_model(doc: dict[str, Any]) -> bool:
    """Latency is measured from the scheduled start when the run measured service time."""
    return isinstance(doc["total"].get("service"), dict)


# ------------------------------------------------------------------ chart data


def chart_series(rows: Sequence[dict[str, Any]], max_points: int = MAX_POINTS,
                 step: int | None = None) -> dict[str, Any] | None:
    """The time series as chart columns, gaps filled (no requests; VUs and latency
    unknown), in buckets of ``step`` seconds when longer than ``max_points``: rates are
    per-second averages over the bucket, active VUs and latencies the bucket's highest.

    The work is bounded by the rows and ``max_points``, never by the span of seconds: a
    summary with one far-off second (a broken file) must not loop over every second."""
    by_sec = {_int(r.get("second")): r for r in rows if isinstance(r, dict)}
    if not by_sec:
        return None
    first, last = min(by_sec), max(by_sec)
    if step is None:
        step = max(1, math.ceil((last - first + 1) / max_points))
    buckets: dict[int, list[dict[str, Any]]] = {}
    for sec in sorted(by_sec):
        buckets.setdefault((sec - first) // step, []).append(by_sec[sec])
    cols: dict[str, list[Any]] = {k: [] for k in
                                  ("x", "requests", "failures", "active", "p50", "p95", "p99")}
    for k in range((last - first) // step + 1):
        b = first + k * step
        secs = buckets.get(k, [])
        span = min(step, last + 1 - b)
        cols["x"].append(b)
        cols["requests"].append(round(sum(_int(r.get("requests")) for r in secs) / span, 3))
        cols["failures"].append(round(sum(_int(r.get("failures")) for r in secs) / span, 3))
        cols["active"].append(max((_int(r.get("active_vus")) for r in secs), default=None))
        timed = [r for r in secs if _int(r.get("requests")) - _int(r.get("failures")) > 0
                 or _num(r.get("p50_ms")) > 0]
        for q in ("p50", "p95", "p99"):
            cols[q].append(max((_num(r.get(f"{q}_ms")) for r in timed), default=None))
    return {"step": step, **cols}


#: Columns of the baseline drawn over the current run's time series.
_BASE_COLUMNS = ("requests", "p50", "p95", "p99")


def overlay_series(cur: Sequence[dict[str, Any]], base: Sequence[dict[str, Any]]
                   ) -> dict[str, Any] | None:
    """The current run's chart columns with the baseline's (``base_requests``,
    ``base_p50``...) on one x axis: both in buckets of the same step, seconds from each
    run's own start, so second 10 of one is drawn over second 10 of the other."""
    a, b = chart_series(cur), chart_series(base)
    if a is None or b is None:
        return a
    step = max(a["step"], b["step"])
    a, b = chart_series(cur, step=step), chart_series(base, step=step)
    assert a is not None and b is not None
    xs = sorted(set(a["x"]) | set(b["x"]))
    ia = {x: i for i, x in enumerate(a["x"])}
    ib = {x: i for i, x in enumerate(b["x"])}
    out: dict[str, Any] = {"step": step, "x": xs}
    for k in ("requests", "failures", "active", "p50", "p95", "p99"):
        out[k] = [a[k][ia[x]] if x in ia else None for x in xs]
    for k in _BASE_COLUMNS:
        out[f"base_{k}"] = [b[k][ib[x]] if x in ib else None for x in xs]
    return out


def overlay_curve(cur: dict[str, Any] | None, base: dict[str, Any] | None
                  ) -> dict[str, Any] | None:
    """``cur`` with the baseline's all-requests line added (``baseline`` key) when both
    curves are drawn at the same percentiles."""
    if cur is None or base is None or cur["x"] != base["x"] or not base["lines"]:
        return cur
    return {**cur, "baseline": base["lines"][0]["ms"]}


def chart_curve(doc: dict[str, Any]) -> dict[str, Any] | None:
    """Lines of the latency distribution chart, x = 1 / (1 - quantile) (log axis).

    From ``percentile_curve`` when the document has it; older documents give a coarse
    curve from the five percentiles every summary has (``coarse`` is then True)."""
    lines: list[dict[str, Any]] = []
    pc = doc.get("percentile_curve")
    coarse = not (isinstance(pc, dict) and isinstance(pc.get("percentiles"), list))
    if not coarse:
        assert isinstance(pc, dict)
        ps = [float(p) for p in pc["percentiles"]]
        keep = [i for i, p in enumerate(ps) if p < 100]
        named = [("all requests", pc.get("all"))]
        per_doc = pc.get("per_request")
        per: dict[str, Any] = per_doc if isinstance(per_doc, dict) else {}
        counts = {n: _int(r.get("requests")) for n, r in doc["per_request"].items()
                  if isinstance(r, dict)}
        for name in sorted(per, key=lambda n: -counts.get(n, 0))[:CURVE_LINES]:
            named.append((name, per[name]))
        for name, ms in named:
            if isinstance(ms, list) and len(ms) == len(ps):
                lines.append({"name": name, "ms": [ms[i] for i in keep]})
    else:
        ps = [0.0, 50.0, 90.0, 95.0, 99.0]
        keep = list(range(len(ps)))
        lat = doc["total"].get("latency") or {}
        if _int(lat.get("count")):
            lines.append({"name": "all requests",
                          "ms": [_num(lat.get(k)) for k in
                                 ("min_ms", "med_ms", "p90_ms", "p95_ms", "p99_ms")]})
    if not lines:
        return None
    x = [round(100.0 / (100.0 - ps[i]), 6) for i in keep]
    return {"x": x, "lines": lines, "coarse": coarse}


# ------------------------------------------------------------------ sections


def _header(doc: dict[str, Any]) -> str:
    run = doc["run"]
    started, ended = _ts(doc)
    title = f"httptool report: {run.get('scenario', '?')}"
    dur = fmt_elapsed(_num(doc["duration_s"]))
    if run.get("planned_duration"):
        dur += f" (planned {fmt_duration(_num(run['planned_duration']))})"
    vus = doc["vus"]
    outs = doc["thresholds"].get("outcomes") or []
    failed = sum(1 for o in outs if isinstance(o, dict) and not o.get("passed"))
    if not outs:
        verdict, vcls = "no thresholds", ""
    elif failed:
        verdict, vcls = f"✗ {verdict_text(len(outs), failed)}", "bad"
    else:
        verdict, vcls = f"✓ {verdict_text(len(outs), 0)}", "ok"
    workers = _int(run.get("workers"))
    meta = [("scenario", str(run.get("scenario", "?"))), ("file", str(run.get("file", "?"))),
            ("load", str(run.get("load", "?"))),
            ("workers", plural(workers, "worker")),
            ("started", started), ("ended", ended), ("duration", dur),
            ("VUs", f"{_int(vus.get('max'))} max, {_int(vus.get('created'))} created"),
            ("thresholds", verdict),
            ("httptool", str(doc.get("tool_version") or "unknown version"))]
    out = [f'<header id="run" data-scenario="{_attr(run.get("scenario", ""))}">',
           f"<h1>{escape(title)}</h1>"]
    if run.get("interrupted") or doc.get("final") is False:
        errors = run.get("errors") if isinstance(run.get("errors"), list) else []
        # a document that is not final and says no other reason was cut by Ctrl-C
        interrupted = bool(run.get("interrupted")) or not errors
        status = partial_status(interrupted, str(run.get("stopped_by") or ""),
                                [str(e) for e in errors])
        if status:
            out.append(f'<div class="banner bad" id="partial">{escape(status[0].upper())}'
                       f"{escape(status[1:])}, up to the moment the run stopped.</div>")
    validity = doc.get("validity")
    if isinstance(validity, dict) and validity.get("valid") is False:
        why = "; ".join(str(r) for r in validity.get("reasons") or [])
        out.append(f'<div class="banner bad" id="invalid">Not a valid run: {escape(why)}'
                   "</div>")
    out.append(f'<div class="banner {vcls}" id="verdict" data-passed="'
               f'{_attr(doc["thresholds"].get("passed", True))}">Thresholds: '
               f"{escape(verdict)}</div>")
    out.append('<dl class="meta">')
    for k, v in meta:
        out.append(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>")
    out.append("</dl></header>")
    return "\n".join(out)


def _resent_note(doc: dict[str, Any]) -> str:
    """`` · 3 resent`` when copies were sent again (they are in the requests count)."""
    n = _int(doc.get("resent"))
    return f" · {n} resent" if n else ""


def _cards(doc: dict[str, Any]) -> str:
    d = _num(doc["duration_s"])
    it = doc["iterations"]
    tot = doc["total"]
    checks = doc["checks"]
    lat = tot.get("latency") or {}
    rate = (lambda n: fmt_rate(n / d)) if d > 0 else (lambda n: "-")
    cards = [
        ("requests", "total-requests", doc["requests"], str(doc["requests"]),
         fmt_rate(_num(doc["rps"])) + _resent_note(doc)),
        ("failures", "total-failures", doc["failures"], str(doc["failures"]),
         f"{fmt_pct(_num(doc['error_rate']))} of requests"),
        ("latency p95", "total-p95", _num(lat.get("p95_ms")), _lat(lat, "p95"),
         f"p99 {_lat(lat, 'p99')}, med {_lat(lat, 'med')}"),
        ("iterations", "iterations-completed", _int(it.get("completed")),
         str(_int(it.get("completed"))), rate(_int(it.get("completed")))),
        ("dropped iterations", "iterations-dropped", _int(it.get("dropped")),
         str(_int(it.get("dropped"))), f"{_int(it.get('interrupted'))} interrupted"),
        _checks_card(checks),
        ("data received", "bytes-received", _int(tot.get("bytes_received")),
         fmt_bytes(_int(tot.get("bytes_received"))),
         f"sent {fmt_bytes(_int(tot.get('bytes_sent')))}"),
    ]
    out = ['<section class="cards" id="totals">']
    for label, ident, value, shown, sub in cards:
        out.append(f'<div class="card"><div class="k">{escape(label)}</div>'
                   f'<div class="v" id="{ident}" data-value="{_attr(value)}">{escape(shown)}'
                   f'</div><div class="s">{escape(sub)}</div></div>')
    out.append("</section>")
    return "\n".join(out)


def _charts(doc: dict[str, Any], series: dict[str, Any] | None,
            curve: dict[str, Any] | None) -> str:
    step = series["step"] if series else 1
    bucket = (f" Each point covers {step} s (rates averaged, VUs and latencies the highest "
              "second)." if step > 1 else "")
    lat_from = ("Open model: each request's latency includes how late its iteration "
                "started after its scheduled start (queueing included, no coordinated "
                "omission)." if _open_model(doc) else
                "Latency from sending each request to the end of its response.")
    dropped = _int(doc["iterations"].get("dropped"))
    parts = ['<section id="charts"><h2>Over time</h2>']
    if series is None:
        parts.append('<p class="note" id="no-series">No time series in this summary (the run '
                     "measured no second), so there are no charts over time.</p>")
    parts.append('<div class="charts">')

    def chart(ident: str, title: str, note: str, have: bool) -> None:
        plot = f'<div class="plot" id="{ident}"></div>' if have else ""
        cls = "chart" if have else "chart empty"
        parts.append(f'<div class="{cls}"><h3>{escape(title)}</h3>{plot}'
                     f'<p class="note">{escape(note)}</p></div>')

    if series is not None:
        chart("chart-rps", "Requests and failures per second",
              "Requests completed in each second, and those that failed." + bucket, True)
        chart("chart-vus", "Active VUs", "VUs running an iteration, per second." + bucket, True)
        chart("chart-latency", "Latency per second: p50, p95, p99",
              lat_from + " Percentiles of the requests that completed in each second."
              + bucket, True)
    if curve is not None:
        note = ("Latency by percentile, over the whole run (log scale towards the tail, as "
                "HdrHistogram plots)." + (" This summary has no percentile_curve (an older "
                                          "httptool): only min, med, p90, p95 and p99 are "
                                          "drawn." if curve["coarse"] else "")
                + (" " + lat_from if _open_model(doc) else ""))
        chart("chart-curve", "Latency distribution", note, True)
    dropped_note = (f"{plural(dropped, 'iteration')} dropped in total (open "
                    "model: no free VU at the scheduled start). The run counts dropped "
                    "iterations only as a total, not per second, so there is no chart of them."
                    if dropped else "No iteration was dropped (dropped iterations are counted "
                                    "in total only, not per second).")
    parts.append(f'<div class="chart empty" id="dropped" data-value="{dropped}"><h3>Dropped '
                 f'iterations: {dropped}</h3><p class="note">{escape(dropped_note)}</p></div>')
    parts.append("</div></section>")
    return "\n".join(parts)


def _requests_table(doc: dict[str, Any]) -> str:
    cols = ["request", "requests", "failures", "error %", *_LAT_COLS, "sent", "received"]
    d = _num(doc["duration_s"])

    def row(name: str, r: dict[str, Any], cls: str = "") -> str:
        lat = r.get("latency") or {}
        has = bool(_int(lat.get("count")))
        cells = [f"<td>{escape(name)}</td>",
                 _td(str(_int(r.get("requests"))), _int(r.get("requests")),
                     field="requests"),
                 _td(str(_int(r.get("failures"))), _int(r.get("failures")), field="failures"),
                 _td(fmt_pct(_num(r.get("error_rate"))), _num(r.get("error_rate")))]
        for c in _LAT_COLS:
            v = _num(lat.get(f"{c}_ms")) if has else None
            cells.append(_td(_lat(lat, c), v if v is not None else -1, field=f"{c}_ms"))
        cells += [_td(fmt_bytes(_int(r.get("bytes_sent"))), _int(r.get("bytes_sent"))),
                  _td(fmt_bytes(_int(r.get("bytes_received"))), _int(r.get("bytes_received")))]
        p95 = _num(lat.get("p95_ms")) if has else ""
        rate = _int(r.get("requests")) / d if d > 0 else 0.0
        return (f'<tr class="{cls}" data-request="{_attr(name)}" data-requests="'
                f'{_int(r.get("requests"))}" data-failures="{_int(r.get("failures"))}" '
                f'data-p95-ms="{_attr(p95)}" data-rps="{_attr(rate)}">{"".join(cells)}</tr>')

    body = [row(n, r) for n, r in doc["per_request"].items() if isinstance(r, dict)]
    return ("<section><h2>Requests</h2>"
            '<p class="note">Latency columns count responses only (a transport error has no '
            "latency); <code>-</code> means none was measured.</p>"
            '<div class="tablewrap"><table class="sortable" id="requests-table">'
            f"{_th(cols)}<tbody>{''.join(body)}</tbody>"
            f"<tfoot>{row('(all)', doc['total'], 'all')}</tfoot></table></div>"
            + _timing_table(doc) + "</section>")


def _timing_table(doc: dict[str, Any]) -> str:
    tot = doc["total"]
    rows = [("latency", tot.get("latency")), ("ttfb", tot.get("ttfb")),
            ("connect", tot.get("connect"))]
    if isinstance(tot.get("service"), dict):
        rows.append(("service (from send)", tot["service"]))
    body = []
    for name, stats in rows:
        stats = stats if isinstance(stats, dict) else {}
        cells = "".join(f'<td class="num">{escape(_lat(stats, c))}</td>' for c in _LAT_COLS)
        body.append(f"<tr><td>{escape(name)}</td>{cells}"
                    f'<td class="num">{_int(stats.get("count"))}</td></tr>')
    return ('<h3 style="margin-top:12px">Timing, all requests</h3><div class="tablewrap">'
            f'<table id="timing-table">{_th(["", *_LAT_COLS, "count"])}'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _checks_card(checks: dict[str, Any]) -> tuple[str, str, Any, str, str]:
    """The checks card; "none" when no check was defined or evaluated (as the console)."""
    rate = checks.get("pass_rate")
    if not checks.get("per_check") or not isinstance(rate, int | float):
        sub = "no checks defined" if not checks.get("per_check") else "none evaluated"
        return ("checks", "checks-pass-rate", "", "none", sub)
    return ("checks", "checks-pass-rate", _num(rate), fmt_pct(_num(rate)),
            f"✓ {_int(checks.get('passed'))}  ✗ {_int(checks.get('failed'))}")


def _checks_table(doc: dict[str, Any]) -> str:
    per = doc["checks"].get("per_check") or {}
    if not per:
        return '<section><h2>Checks</h2><p class="note">No checks ran.</p></section>'
    body = []
    for name, c in per.items():
        ok = _int(c.get("failed")) == 0
        mark = '<span class="ok">✓</span>' if ok else '<span class="bad">✗</span>'
        body.append(f'<tr data-check="{_attr(name)}"><td>{mark} {escape(name)}</td>'
                    + _td(fmt_pct(_num(c.get("pass_rate"))), _num(c.get("pass_rate")))
                    + _td(str(_int(c.get("passed"))), _int(c.get("passed")))
                    + _td(str(_int(c.get("failed"))), _int(c.get("failed"))) + "</tr>")
    return ('<section><h2>Checks</h2><div class="tablewrap"><table class="sortable" '
            f'id="checks-table">{_th(["check", "pass %", "passed", "failed"])}'
            f"<tbody>{''.join(body)}</tbody></table></div></section>")


def _thresholds_table(doc: dict[str, Any]) -> str:
    outs = [o for o in doc["thresholds"].get("outcomes") or [] if isinstance(o, dict)]
    if not outs:
        return ('<section><h2>Thresholds</h2><p class="note">No thresholds were set.</p>'
                "</section>")
    body = []
    for o in outs:
        ok = bool(o.get("passed"))
        actual = o.get("actual")
        shown = (fmt_metric(str(o.get("metric")), _num(actual))
                 if isinstance(actual, int | float) else str(o.get("note") or "no data"))
        mark = '<span class="ok">✓ pass</span>' if ok else '<span class="bad">✗ fail</span>'
        body.append(f'<tr data-threshold="{_attr(o.get("threshold", ""))}" data-passed='
                    f'"{_attr(ok)}"><td>{mark}</td><td class="mono">'
                    f'{escape(str(o.get("threshold", "")))}</td>'
                    + _td(shown, _num(actual) if actual is not None else None, cls="num wrap")
                    + "</tr>")
    return ('<section><h2>Thresholds</h2><div class="tablewrap"><table id="thresholds-table">'
            f'{_th(["result", "threshold", "measured"], num_from=2)}'
            f"<tbody>{''.join(body)}</tbody></table></div></section>")


def _failures_table(doc: dict[str, Any]) -> str:
    kinds: dict[str, dict[str, int]] = {}
    for name, r in doc["per_request"].items():
        for kind, n in ((r or {}).get("failures_by_kind") or {}).items():
            if _int(n):
                kinds.setdefault(kind, {})[name] = _int(n)
    for kind, n in (doc["total"].get("failures_by_kind") or {}).items():
        if _int(n):
            kinds.setdefault(kind, {})
    skipped = {n: _int(c) for n, c in (doc.get("skipped") or {}).items() if _int(c)}
    parts = ["<section><h2>Failures by kind</h2>"]
    if not kinds:
        parts.append('<p class="note">No request failed.</p>')
    else:
        body = []
        totals = doc["total"].get("failures_by_kind") or {}
        order = sorted(kinds, key=lambda k: (-_int(totals.get(k, sum(kinds[k].values()))), k))
        for kind in order:
            n = _int(totals.get(kind, sum(kinds[kind].values())))
            where = ", ".join(f"{name} {c}" for name, c in
                              sorted(kinds[kind].items(), key=lambda x: -x[1]))
            body.append(f'<tr data-kind="{_attr(kind)}" data-count="{n}"><td>{escape(kind)}'
                        f"</td>{_td(str(n), n)}<td class=\"wrap\">{escape(where)}</td></tr>")
        parts.append('<div class="tablewrap"><table class="sortable narrow" id="failures-table">'
                     '<thead><tr><th>kind</th><th class="num">count</th><th>requests'
                     "</th></tr></thead>"
                     f"<tbody>{''.join(body)}</tbody></table></div>")
    if skipped:
        where = ", ".join(f"{n} {c}" for n, c in skipped.items())
        parts.append(f'<p class="note" id="skipped">Steps skipped because their parent '
                     f"request failed: {sum(skipped.values())} ({escape(where)}).</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _slowest_table(doc: dict[str, Any]) -> str:
    """``--trace``: the slowest requests with their trace ids (nothing without them)."""
    rows = [r for r in doc.get("slowest_requests") or [] if isinstance(r, dict)]
    if not rows:
        return ""
    body = []
    for r in rows:
        ms = _num(r.get("latency_ms"))
        body.append(f'<tr data-trace-id="{_attr(r.get("trace_id", ""))}">'
                    + _td(fmt_latency_ms(ms), ms)
                    + f'<td>{escape(str(r.get("request", "")))}</td>'
                    + _td(str(_int(r.get("vu"))), _int(r.get("vu")))
                    + _td(str(_int(r.get("iteration"))), _int(r.get("iteration")))
                    + f'<td class="mono">{escape(str(r.get("trace_id", "")))}</td></tr>')
    return ('<section><h2>Slowest requests (--trace)</h2><p class="note">Look a trace id up '
            "in the server's tracing (Tempo, Jaeger): each request was the root of its own "
            'sampled trace.</p><div class="tablewrap"><table id="slowest-table">'
            '<thead><tr><th class="num">latency</th><th>request</th><th class="num">VU</th>'
            '<th class="num">iteration</th><th>trace id</th></tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div></section>")


def _vu_rows(rows: Sequence[dict[str, Any]]) -> str:
    out = []
    for v in rows:
        avg = _num(v.get("avg_latency_ms"))
        out.append(f'<tr data-vu="{_int(v.get("vu"))}"><td class="num" data-v="'
                   f'{_int(v.get("vu"))}">{_int(v.get("vu"))}</td>'
                   + _td(str(_int(v.get("iterations"))), _int(v.get("iterations")))
                   + _td(str(_int(v.get("requests"))), _int(v.get("requests")))
                   + _td(str(_int(v.get("ok"))), _int(v.get("ok")))
                   + _td(str(_int(v.get("failed"))), _int(v.get("failed")))
                   + _td(str(_int(v.get("resent"))), _int(v.get("resent")))
                   + _td(fmt_latency_ms(avg) if avg > 0 else "-", avg) + "</tr>")
    return "".join(out)


def _vu_table(doc: dict[str, Any]) -> str:
    vus = sorted((v for v in doc["per_vu"] if isinstance(v, dict)), key=lambda v: _int(v["vu"]))
    if not vus:
        return '<section><h2>Per VU</h2><p class="note">No VU ran.</p></section>'
    cols = ["VU", "iterations", "requests", "ok", "failed", "resent", "avg latency"]
    sums = {k: sum(_int(v.get(k)) for v in vus) for k in ("iterations", "requests", "ok",
                                                          "failed", "resent")}
    foot = (f'<tfoot><tr id="per-vu-sums" data-vus="{len(vus)}" '
            + " ".join(f'data-sum-{k}="{n}"' for k, n in sums.items())
            + f"><td>all {len(vus)} VUs</td>"
            + "".join(f'<td class="num">{n}</td>' for n in sums.values())
            + "<td></td></tr></tfoot>")

    def table(ident: str, rows: Sequence[dict[str, Any]], with_foot: bool) -> str:
        return (f'<div class="tablewrap"><table class="sortable per-vu" id="{ident}">'
                f"{_th(cols, num_from=0)}<tbody>{_vu_rows(rows)}</tbody>"
                f"{foot if with_foot else ''}</table></div>")

    parts = ["<section><h2>Per VU</h2>"]
    if len(vus) <= VU_FULL_MAX:
        parts.append('<p class="note">Every VU; click a column header to sort.</p>')
        parts.append(table("per-vu-table", vus, True))
    else:
        timed = sorted((v for v in vus if _num(v.get("avg_latency_ms")) > 0),
                       key=lambda v: (_num(v["avg_latency_ms"]), _int(v["vu"])))
        slow = sorted(timed[-VU_SHOW:], key=lambda v: (-_num(v["avg_latency_ms"]), _int(v["vu"])))
        fast = timed[:VU_SHOW]
        parts.append(f'<p class="note">{len(vus)} VUs: the {len(slow)} slowest and the '
                     f"{len(fast)} fastest by average latency (every VU is in the per_vu rows "
                     "of the summary JSON); the totals row covers all VUs. Click a column "
                     "header to sort.</p>")
        parts.append('<div class="twocol"><div><h3>Slowest</h3>'
                     + table("per-vu-slowest", slow, False) + "</div><div><h3>Fastest</h3>"
                     + table("per-vu-fastest", fast, False) + "</div></div>")
        parts.append('<div class="tablewrap"><table id="per-vu-table">'
                     f"{_th(cols, num_from=0)}{foot}</table></div>")
    parts.append("</section>")
    return "\n".join(parts)


# ------------------------------------------------------------------ the page


def _script_json(obj: Any) -> str:
    """JSON safe inside ``<script>``: no ``</script>`` or ``<!--`` can appear."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _fill(template: str, values: dict[str, Callable[[], str]]) -> str:
    """One pass over ``{{NAME}}`` markers, so inserted text is never scanned again."""
    return re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: values[m.group(1)](), template)


def render_html(doc: dict[str, Any], where: str = "input",
                baseline: dict[str, Any] | None = None, baseline_where: str = "baseline"
                ) -> str:
    """The report page of a summary document (ReportInputError naming ``where`` if it
    cannot be read); with ``baseline`` (another summary) its latency distribution and
    time series are drawn under this run's, and the comparison table is added."""
    doc = validate_summary(doc, where)
    if baseline is not None:
        baseline = validate_summary(baseline, baseline_where)
    try:
        series = chart_series(doc["time_series"])
        curve = chart_curve(doc)
        compared = ""
        if baseline is not None:
            from httptool.report.html_compare import baseline_section

            series = overlay_series(doc["time_series"], baseline["time_series"])
            curve = overlay_curve(curve, chart_curve(baseline))
            compared = baseline_section(doc, where, baseline, baseline_where)
        body = "\n".join([
            _header(doc), _cards(doc), _charts(doc, series, curve), compared,
            _requests_table(doc),
            '<div class="twocol">' + _checks_table(doc) + _thresholds_table(doc) + "</div>",
            _failures_table(doc), _slowest_table(doc), _vu_table(doc),
            '<footer>Written by httptool from the run\'s summary JSON (schema '
            f'{escape(str(doc["schema"]))} v{_int(doc["schema_version"])}). Charts: uPlot '
            f'{escape(_asset("vendor", "uPlot.VERSION").strip())} (MIT licence), inlined; this '
            "file makes no network request.</footer>"])
    except (AttributeError, KeyError, TypeError, ValueError, ArithmeticError):
        # a gap in _NESTED: still one line for people, never a Python exception's name
        raise ReportInputError(f"{where}: malformed summary: a part of it has an "
                               "unexpected shape (write it again with --summary-json)"
                               ) from None
    data = {"series": series, "curve": curve, "open_model": _open_model(doc)}
    run = doc["run"]
    return _fill(_asset("templates", "report.html"), {
        "HEAD": lambda: page_head(escape(f"httptool report: {run.get('scenario', '?')}")),
        "VERSION": lambda: escape(str(doc.get("tool_version") or "")),
        "BODY": lambda: body,
        "DATA": lambda: _script_json(data),
        "UPLOT_JS": lambda: _asset("vendor", "uPlot.iife.min.js"),
        "REPORT_JS": lambda: _asset("templates", "report.js"),
    })


def write_html(path: str | os.PathLike[str], doc: dict[str, Any], where: str = "input",
               baseline: dict[str, Any] | None = None, baseline_where: str = "baseline"
               ) -> None:
    """Render ``doc`` (read from ``where``; over ``baseline`` if given) and write it to
    ``path`` atomically (OSError if it cannot)."""
    text = render_html(doc, where, baseline, baseline_where)
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_html_report(path: str | os.PathLike[str], result: RunResult, info: RunInfo,
                      outcomes: Sequence[ThresholdOutcome] = (),
                      validity: Validity | None = None) -> None:
    """``--report PATH``: the page of :func:`summary_dict` (the ``--summary-json``
    document), so it equals what ``httptool report`` later builds from that file."""
    write_html(path, summary_dict(result, info, outcomes, validity))
