"""Metrics: hot-path recording, mergeable histograms, snapshots and the merged result.

Layering: this package imports nothing from engine/report/cli; the engine writes into a
:class:`Recorder`, shards send :class:`Snapshot` objects, and :func:`merge` (or a
:class:`Merger`) turns them into the :class:`RunResult` every reporter reads.
"""

from __future__ import annotations

from httptool.metrics.histogram import HIGHEST_NS, LOWEST_NS, Histogram
from httptool.metrics.recorder import CheckStats, Recorder, RequestStats, origin_ns
from httptool.metrics.result import (
    SCHEMA_VERSION,
    CheckResult,
    LatencyStats,
    Merger,
    RequestResult,
    RunResult,
    SecondResult,
    VUResult,
    merge,
)
from httptool.metrics.snapshot import RequestSnapshot, Snapshot, VUTable

__all__ = [
    "HIGHEST_NS", "LOWEST_NS", "SCHEMA_VERSION", "CheckResult", "CheckStats", "Histogram",
    "LatencyStats", "Merger", "Recorder", "RequestResult", "RequestSnapshot", "RequestStats",
    "RunResult", "SecondResult", "Snapshot", "VUResult", "VUTable", "merge", "origin_ns",
]
