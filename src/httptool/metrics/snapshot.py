"""A shard's metrics at one moment: what travels from a shard to the coordinator.

Snapshots are **cumulative** (totals since the shard started), so the coordinator only
needs the latest one from each shard: a lost or duplicated snapshot changes nothing once
a later one arrives. Only the time series is windowed, to keep snapshots small and the
shard's memory bounded on long runs: a snapshot carries the seconds from ``series_from``
on (the last few, the only ones still changing); each second travels in several
consecutive snapshots and is then dropped by the shard. So the coordinator feeds *every*
snapshot it receives to its :class:`~httptool.metrics.result.Merger` (a pipe loses
nothing; the margin tolerates a couple of lost ones). The merger keeps, per (shard,
second), the entry from the newest snapshot, so seconds merge by replacement and repeats
are harmless.

Snapshots pickle compactly (histograms pickle their non-zero buckets only) and have a
JSON-able ``to_dict``/``from_dict`` form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from httptool.metrics.histogram import Histogram
from httptool.metrics.series import Second

_I64 = np.int64


@dataclass(slots=True)
class RequestSnapshot:
    """Totals of one request name in one shard.

    ``responses`` counts requests that got a response (any status); ``errors`` those
    ended by a transport error (no response, no latency); ``resent`` the copies that
    reached the wire, got no answer and were sent again by the client (requests too:
    ``requests = responses + errors + resent``). ``failures`` counts failed
    requests by kind (transport kinds, ``status``, ``assertion``, ``extraction``,
    ``variable``, or any other string), each failed request once. ``service`` holds service
    time (from the actual send) in the open model, where ``latency`` is measured from the
    scheduled start; it is None when nothing was recorded into it. ``statuses`` counts
    responses by HTTP status (responses recorded without one are in no status); ``h2``
    the responses that came over HTTP/2 (the others over HTTP/1.1).
    """

    name: str
    responses: int = 0
    errors: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    bytes_sent: int = 0
    bytes_received: int = 0
    latency: Histogram = field(default_factory=Histogram)
    ttfb: Histogram = field(default_factory=Histogram)
    connect: Histogram = field(default_factory=Histogram)
    service: Histogram | None = None
    resent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    h2: int = 0

    @property
    def requests(self) -> int:
        return self.responses + self.errors + self.resent

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "responses": self.responses, "errors": self.errors,
            "failures": dict(self.failures), "bytes_sent": self.bytes_sent,
            "bytes_received": self.bytes_received, "latency": self.latency.to_dict(),
            "ttfb": self.ttfb.to_dict(), "connect": self.connect.to_dict(),
            "service": None if self.service is None else self.service.to_dict(),
            "resent": self.resent,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "h2": self.h2,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RequestSnapshot:
        svc = d.get("service")
        return cls(d["name"], d["responses"], d["errors"], dict(d["failures"]),
                   d["bytes_sent"], d["bytes_received"], Histogram.from_dict(d["latency"]),
                   Histogram.from_dict(d["ttfb"]), Histogram.from_dict(d["connect"]),
                   None if svc is None else Histogram.from_dict(svc), d.get("resent", 0),
                   {int(k): v for k, v in d.get("statuses", {}).items()}, d.get("h2", 0))


#: Columns of the per-VU table, in order.
VU_COLUMNS = ("vu", "iterations", "requests", "failed", "latency_sum_ns", "latency_count",
              "resent")


@dataclass(slots=True)
class VUTable:
    """Per-VU counters as parallel int64 arrays (one row per VU that did anything).

    ``requests`` counts every request of the VU (with or without a response, resent
    copies too), ``failed`` its failed requests, ``latency_sum_ns``/``latency_count`` the
    latencies it recorded, ``resent`` its copies sent again (see RequestSnapshot).
    """

    vu: np.ndarray = field(default_factory=lambda: np.zeros(0, _I64))
    iterations: np.ndarray = field(default_factory=lambda: np.zeros(0, _I64))
    requests: np.ndarray = field(default_factory=lambda: np.zeros(0, _I64))
    failed: np.ndarray = field(default_factory=lambda: np.zeros(0, _I64))
    latency_sum_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, _I64))
    latency_count: np.ndarray = field(default_factory=lambda: np.zeros(0, _I64))
    resent: np.ndarray = field(default_factory=lambda: np.zeros(0, _I64))

    def columns(self) -> tuple[np.ndarray, ...]:
        return tuple(getattr(self, c) for c in VU_COLUMNS)

    def to_dict(self) -> dict[str, list[int]]:
        return {c: a.tolist() for c, a in zip(VU_COLUMNS, self.columns(), strict=True)}

    @classmethod
    def from_dict(cls, d: dict[str, list[int]]) -> VUTable:
        zeros = [0] * len(d["vu"])
        return cls(*(np.asarray(d.get(c, zeros), dtype=_I64) for c in VU_COLUMNS))


@dataclass(slots=True)
class Snapshot:
    """Cumulative metrics of shard ``shard`` at ``elapsed_ns`` after its origin.

    ``seq`` increases with every snapshot of a shard (the merger keeps the highest).
    ``checks`` maps a check name to ``(passed, failed)``. Iteration counts: ``completed``
    (finished, whatever their requests' outcome), ``dropped`` (open model: no free VU at
    the scheduled time; ``dropped_saturated`` of them because the shard's loop was
    saturated, so the pool did not grow; ``dropped_connecting`` because too many connects
    were pending; ``dropped_late`` because the pacer reached them only after the end),
    ``interrupted`` (cancelled at the end of the grace period).
    ``saturated_ns``: wall time the shard's event loop thread spent saturated (its CPU
    time at least 95 % of the wall time, engine/saturation.py).
    ``vus`` is the number of VUs created, ``vus_max`` the most active at once, ``active``
    the number inside an iteration at snapshot time.
    """

    shard: int
    seq: int
    elapsed_ns: int
    final: bool = False
    requests: dict[str, RequestSnapshot] = field(default_factory=dict)
    checks: dict[str, tuple[int, int]] = field(default_factory=dict)
    vu_table: VUTable = field(default_factory=VUTable)
    completed: int = 0
    dropped: int = 0
    dropped_saturated: int = 0
    dropped_connecting: int = 0
    dropped_late: int = 0
    interrupted: int = 0
    vus: int = 0
    vus_max: int = 0
    active: int = 0
    series_from: int = 0
    #: steps not run (their parent request failed, or their foreach list was missing)
    skipped: dict[str, int] = field(default_factory=dict)
    series: dict[int, Second] = field(default_factory=dict)
    #: ``--trace``: the slowest traced responses, slowest first:
    #: ``(latency_ns, trace_id, request, vu, iteration)``
    slowest: list[tuple[int, str, str, int, int]] = field(default_factory=list)
    saturated_ns: int = 0

    @property
    def total_requests(self) -> int:
        return sum(r.requests for r in self.requests.values())

    @property
    def total_failures(self) -> int:
        return sum(sum(r.failures.values()) for r in self.requests.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "shard": self.shard, "seq": self.seq, "elapsed_ns": self.elapsed_ns,
            "final": self.final,
            "requests": [r.to_dict() for r in self.requests.values()],
            "checks": {k: list(v) for k, v in self.checks.items()},
            "vu_table": self.vu_table.to_dict(),
            "completed": self.completed, "dropped": self.dropped,
            "dropped_saturated": self.dropped_saturated,
            "dropped_connecting": self.dropped_connecting, "dropped_late": self.dropped_late,
            "interrupted": self.interrupted,
            "vus": self.vus, "vus_max": self.vus_max,
            "active": self.active, "series_from": self.series_from,
            "skipped": dict(self.skipped),
            "series": [[k, v.to_dict()] for k, v in sorted(self.series.items())],
            "saturated_ns": self.saturated_ns,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Snapshot:
        reqs = (RequestSnapshot.from_dict(r) for r in d["requests"])
        return cls(
            shard=d["shard"], seq=d["seq"], elapsed_ns=d["elapsed_ns"], final=d["final"],
            requests={r.name: r for r in reqs},
            checks={k: (int(v[0]), int(v[1])) for k, v in d["checks"].items()},
            vu_table=VUTable.from_dict(d["vu_table"]),
            completed=d["completed"], dropped=d["dropped"],
            dropped_saturated=d.get("dropped_saturated", 0),
            dropped_connecting=d.get("dropped_connecting", 0),
            dropped_late=d.get("dropped_late", 0), interrupted=d["interrupted"],
            vus=d["vus"], vus_max=d["vus_max"], active=d["active"],
            series_from=d["series_from"], skipped=dict(d.get("skipped", {})),
            series={int(k): Second.from_dict(v) for k, v in d["series"]},
            saturated_ns=d.get("saturated_ns", 0),
        )
