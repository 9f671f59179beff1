"""``--summary-json PATH``: the whole merged result as one JSON document.

Layout (schema ``httptool.summary``, ``schema_version`` as in
:data:`httptool.metrics.result.SCHEMA_VERSION`): ``RunResult.to_dict()`` (totals,
per-request, checks, per-VU rows, time series) plus ``run`` (:class:`RunInfo`) and
``thresholds`` (each outcome and the overall verdict), plus optional keys added
without a version bump (readers must accept documents without them): ``tool_version``,
``validity`` (report/validity.py: was the run itself valid), ``percentile_curve``
(latency at :data:`CURVE_PERCENTILES`, all requests and per request name, for the HTML
report's distribution chart) and ``latency_histograms`` (the mergeable latency
histograms, all requests and per request name, for ``httptool compare``'s tests).
Written to a temporary file and renamed, so a reader never sees half a document, even after Ctrl-C.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from typing import Any

from httptool import __version__
from httptool.metrics.histogram import Histogram
from httptool.metrics.result import RunResult
from httptool.report.info import RunInfo
from httptool.report.thresholds import ThresholdOutcome, all_passed
from httptool.report.validity import Validity


def _finite(x: Any) -> Any:
    """JSON has no NaN/Infinity: such floats become null (none are expected)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x


#: Percentiles of ``percentile_curve``: dense towards the tail, as HdrHistogram plots are.
CURVE_PERCENTILES = (0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 55.0, 60.0, 65.0, 70.0, 75.0, 80.0,
                     85.0, 87.5, 90.0, 92.5, 95.0, 96.0, 97.0, 97.5, 98.0, 98.5, 99.0, 99.25,
                     99.5, 99.75, 99.9, 99.95, 99.99, 99.995, 99.999, 100.0)


def _curve(h: Histogram) -> list[float] | None:
    """Latency (ms) at each of :data:`CURVE_PERCENTILES`; None with no value measured."""
    if h.count == 0:
        return None
    return [round(ns / 1e6, 6) for ns in h.quantiles([p / 100 for p in CURVE_PERCENTILES])]


def percentile_curve(result: RunResult) -> dict[str, Any]:
    """``{"percentiles": [...], "all": [ms...] | None, "per_request": {name: ...}}``."""
    return {"percentiles": list(CURVE_PERCENTILES), "all": _curve(result.total.latency_hist),
            "per_request": {n: _curve(r.latency_hist) for n, r in result.requests.items()}}


def latency_histograms(result: RunResult) -> dict[str, Any]:
    """``{"all": Histogram.to_dict(), "per_request": {name: ...}}`` (non-zero buckets only:
    a few hundred numbers per request)."""
    return {"all": result.total.latency_hist.to_dict(),
            "per_request": {n: r.latency_hist.to_dict() for n, r in result.requests.items()}}


def slowest_requests(result: RunResult) -> list[dict[str, Any]]:
    """``--trace``: the slowest traced responses, slowest first, with their trace ids."""
    return [{"trace_id": t, "request": name, "vu": vu, "iteration": it,
             "latency_ms": round(ns / 1e6, 6)} for ns, t, name, vu, it in result.slowest]


def summary_dict(result: RunResult, info: RunInfo,
                 outcomes: Sequence[ThresholdOutcome] = (),
                 validity: Validity | None = None) -> dict[str, Any]:
    """The document ``--summary-json`` writes (JSON-able, finite floats only); with
    ``validity`` (report/validity.py) it has a ``validity`` object too."""
    body = result.to_dict()
    run = info.to_dict()
    run["started_at_iso"] = (time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(info.started_at))
                             if info.started_at else None)
    doc = {"schema": body.pop("schema"), "schema_version": body.pop("schema_version"),
           "run": run,
           "thresholds": {"passed": all_passed(outcomes),
                          "outcomes": [o.to_dict() for o in outcomes]}}
    doc.update(body)
    # added without a version bump, as the keys below: what the closed load asked for
    # and whether that many VUs were ever running at once
    want = info.planned_vus
    doc["vus"] = {**doc["vus"], "requested": want,
                  "all_started": None if want is None else result.vus_max >= want}
    if result.slowest:  # --trace (optional key, no version bump)
        doc["slowest_requests"] = slowest_requests(result)
    doc["tool_version"] = __version__
    doc["percentile_curve"] = percentile_curve(result)
    doc["latency_histograms"] = latency_histograms(result)
    if validity is not None:
        doc["validity"] = validity.to_dict()
    return _finite(doc)


def write_summary_json(path: str | os.PathLike[str], result: RunResult, info: RunInfo,
                       outcomes: Sequence[ThresholdOutcome] = (),
                       validity: Validity | None = None) -> None:
    """Write :func:`summary_dict` to ``path`` atomically (OSError if it cannot)."""
    path = os.fspath(path)
    text = json.dumps(summary_dict(result, info, outcomes, validity), indent=2,
                      ensure_ascii=False, allow_nan=False)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
