"""The per-second time series: requests, failures, active VUs and latency per second.

Each second keeps a *sparse* histogram (non-zero bucket indices and counts) in the same
bucketing as :class:`~httptool.metrics.histogram.Histogram`. Why sparse and not a dense
histogram per second: a dense one is ~263 KB, i.e. ~1 GB for an hour-long run, while one
second of real traffic touches a few hundred buckets (a few KB). Why the same bucketing
and not a coarser one: seconds from different shards then merge by plain addition,
exactly, and their p50/p95/p99 carry the same 0.05 % bound as the run's totals.

Memory stays bounded on long runs: a shard keeps only its last few seconds (older ones
are *sealed* once sent in a snapshot, see :meth:`TimeSeries.seal`), and the coordinator's
merger reduces a second to its :class:`~httptool.metrics.result.SecondResult` once every
shard has sealed it. Seconds are counted from the recorder's origin ``t0_ns`` (monotonic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from httptool.metrics.histogram import BUCKETS, quantiles_of

_NS = 1_000_000_000
_EMPTY = np.zeros(0, dtype=np.int64)
#: Batches spanning fewer seconds than this are split by second with a dense bincount.
_DENSE_SPAN = 8


def add_sparse(
    ia: np.ndarray, ca: np.ndarray, ib: np.ndarray, cb: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sum of two sparse histograms (indices ascending, unique)."""
    if len(ia) == 0:
        return ib, cb
    if len(ib) == 0:
        return ia, ca
    idx, inv = np.unique(np.concatenate((ia, ib)), return_inverse=True)
    cnt = np.zeros(len(idx), dtype=np.int64)
    np.add.at(cnt, inv, np.concatenate((ca, cb)))
    return idx, cnt


def compact_counts(counts: np.ndarray) -> np.ndarray:
    """Counts in the smallest unsigned dtype that holds them (for pickling)."""
    top = int(counts.max()) if len(counts) else 0
    for dt in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dt).max:
            return counts.astype(dt)
    return counts


@dataclass(slots=True)
class Second:
    """One second of one shard (or of the merged run).

    ``active_vus`` is the most VUs seen inside an iteration during that second (sampled by
    the shard); merged across shards it is the sum of the shards' values.
    ``index``/``counts`` is the sparse latency histogram of the requests that completed in
    that second (requests ended by a transport error have no latency).
    """

    requests: int = 0
    failures: int = 0
    active_vus: int = 0
    index: np.ndarray = field(default_factory=lambda: _EMPTY)
    counts: np.ndarray = field(default_factory=lambda: _EMPTY)

    def add(self, other: Second) -> None:
        self.requests += other.requests
        self.failures += other.failures
        self.active_vus += other.active_vus
        self.index, self.counts = add_sparse(self.index, self.counts, other.index, other.counts)

    def copy(self) -> Second:
        return Second(self.requests, self.failures, self.active_vus, self.index, self.counts)

    def percentiles(self, qs: tuple[float, ...] = (0.5, 0.95, 0.99)) -> list[int]:
        """Latency (ns) at quantiles ``qs``: bucket representative values; 0 if empty."""
        return quantiles_of(self.index, self.counts, qs, 0, np.iinfo(np.int64).max)

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.requests, self.failures, self.active_vus, self.index.astype(np.int32),
                compact_counts(self.counts))

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.requests, self.failures, self.active_vus, idx, cnt = state
        self.index = idx.astype(np.int64)
        self.counts = cnt.astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "failures": self.failures,
                "active_vus": self.active_vus, "index": self.index.tolist(),
                "counts": self.counts.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Second:
        return cls(d["requests"], d["failures"], d["active_vus"],
                   np.asarray(d["index"], dtype=np.int64), np.asarray(d["counts"], dtype=np.int64))


class TimeSeries:
    """Per-second entries of one shard, filled from folded batches (vectorised)."""

    __slots__ = ("sealed", "seconds", "t0_ns")

    def __init__(self, t0_ns: int) -> None:
        self.t0_ns = t0_ns
        self.seconds: dict[int, Second] = {}
        self.sealed = 0  # seconds below this were sent and dropped

    def second_of(self, ends_ns: np.ndarray) -> np.ndarray:
        """Second index of each monotonic end time. Times before the origin go to 0 and
        (should a very late value arrive) times in a sealed second to the oldest open one."""
        return np.maximum((ends_ns - self.t0_ns) // _NS, self.sealed)

    def seal(self, before: int) -> None:
        """Drop the seconds below ``before`` (the caller has sent them)."""
        if before > self.sealed:
            self.sealed = before
            for k in [k for k in self.seconds if k < before]:
                del self.seconds[k]

    def _get(self, sec: int) -> Second:
        s = self.seconds.get(sec)
        if s is None:
            s = self.seconds[sec] = Second()
        return s

    def _counts(self, secs: np.ndarray) -> list[tuple[int, int]]:
        """(second, count) pairs of a batch; O(n) with bincount (batches span few seconds)."""
        if len(secs) == 0:
            return []
        lo = int(secs.min())
        per = np.bincount(secs - lo)
        nz = np.flatnonzero(per)
        return list(zip((nz + lo).tolist(), per[nz].tolist(), strict=True))

    def add_requests(self, secs: np.ndarray) -> None:
        for sec, n in self._counts(secs):
            self._get(sec).requests += n

    def add_failures(self, secs: np.ndarray) -> None:
        for sec, n in self._counts(secs):
            self._get(sec).failures += n

    def add_latencies(self, secs: np.ndarray, idx: np.ndarray) -> None:
        """Add bucket indices ``idx`` of requests that completed in seconds ``secs``."""
        if len(idx) == 0:
            return
        lo, hi = int(secs.min()), int(secs.max())
        if hi - lo < _DENSE_SPAN:
            # O(n) path: one dense row per second of the batch (the usual case)
            rows = np.bincount((secs - lo) * BUCKETS + idx, minlength=(hi - lo + 1) * BUCKETS)
            for off, row in enumerate(rows.reshape(hi - lo + 1, BUCKETS)):
                nz = np.flatnonzero(row)
                if len(nz):
                    s = self._get(lo + off)
                    s.index, s.counts = add_sparse(s.index, s.counts, nz, row[nz])
            return
        keys, cnt = np.unique(secs * BUCKETS + idx, return_counts=True)
        key_secs = keys // BUCKETS
        cuts = np.flatnonzero(np.diff(key_secs)) + 1
        for part_keys, part_cnt in zip(np.split(keys, cuts), np.split(cnt, cuts), strict=True):
            sec = int(part_keys[0] // BUCKETS)
            s = self._get(sec)
            s.index, s.counts = add_sparse(s.index, s.counts, part_keys - sec * BUCKETS, part_cnt)

    def raise_active(self, secs: np.ndarray, vus: np.ndarray) -> None:
        """A VU that completed a request in a second was inside an iteration then: the
        distinct VUs of a batch per second are a lower bound of that second's
        ``active_vus`` (a run shorter than the shard's sampling tick, or a second between
        two samples, was never sampled: 20 requests by 2 VUs showed ``active_vus`` 0)."""
        if len(secs) == 0:
            return
        lo, span, top = int(secs.min()), int(secs.max() - secs.min()) + 1, int(vus.max()) + 1
        if span * top <= 1 << 20:
            # a (second, VU) grid instead of sorting: +2 ns per request folded, not +16
            seen = np.zeros((span, top), dtype=bool)
            seen[secs - lo, vus] = True
            per = seen.sum(axis=1)
            pairs = [(lo + int(i), int(per[i])) for i in np.flatnonzero(per)]
        else:  # one key per (second, VU): VU numbers fit in 32 bits
            pairs = self._counts(np.unique((secs << 32) | vus) >> 32)
        for sec, n in pairs:
            s = self._get(sec)
            if n > s.active_vus:
                s.active_vus = n

    def sample_active(self, now_ns: int, active: int) -> None:
        """Raise the current second's ``active_vus`` to ``active``. A sample of 0 never
        creates a second: one with no request, no failure and no active VU says nothing,
        and the summary JSON promises such seconds are absent (docs/outputs.md); the
        shard samples every tick, so idle seconds of a slow open-model run and the
        final ``sample_active(0)`` after the load used to add ``0, 0, 0`` rows."""
        if active <= 0:
            return
        s = self._get(max((now_ns - self.t0_ns) // _NS, self.sealed))
        if active > s.active_vus:
            s.active_vus = active

    def window(self, since: int | None) -> dict[int, Second]:
        """Copies of the seconds ``>= since`` (all of them when ``since`` is None)."""
        return {k: v.copy() for k, v in self.seconds.items() if since is None or k >= since}
