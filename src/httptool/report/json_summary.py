"""``--summary-json PATH``: the whole merged result as one JSON document.

Layout (schema ``httptool.summary``, ``schema_version`` as in
:data:`httptool.metrics.result.SCHEMA_VERSION`): ``RunResult.to_dict()`` (totals,
per-request, checks, per-VU rows, time series) plus ``run`` (:class:`RunInfo`) and
``thresholds`` (each outcome and the overall verdict). Written to a temporary file and
renamed, so a reader never sees half a document, even after Ctrl-C.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from typing import Any

from httptool.metrics.result import RunResult
from httptool.report.info import RunInfo
from httptool.report.thresholds import ThresholdOutcome, all_passed


def _finite(x: Any) -> Any:
    """JSON has no NaN/Infinity: such floats become null (none are expected)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x


def summary_dict(result: RunResult, info: RunInfo,
                 outcomes: Sequence[ThresholdOutcome] = ()) -> dict[str, Any]:
    """The document ``--summary-json`` writes (JSON-able, finite floats only)."""
    body = result.to_dict()
    run = info.to_dict()
    run["started_at_iso"] = (time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(info.started_at))
                             if info.started_at else None)
    doc = {"schema": body.pop("schema"), "schema_version": body.pop("schema_version"),
           "run": run,
           "thresholds": {"passed": all_passed(outcomes),
                          "outcomes": [o.to_dict() for o in outcomes]}}
    doc.update(body)
    return _finite(doc)


def write_summary_json(path: str | os.PathLike[str], result: RunResult, info: RunInfo,
                       outcomes: Sequence[ThresholdOutcome] = ()) -> None:
    """Write :func:`summary_dict` to ``path`` atomically (OSError if it cannot)."""
    path = os.fspath(path)
    text = json.dumps(summary_dict(result, info, outcomes), indent=2, ensure_ascii=False,
                      allow_nan=False)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
