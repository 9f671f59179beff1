"""A log-linear latency histogram (HDR-style, 3 significant digits) over nanoseconds.

Why not the ``hdrhistogram`` package: its ``record_value`` costs ~1.5 µs per call, too much
for the per-request budget (DESIGN.md, "Latency recording"). Here the hot path only appends
raw integers to a list; :meth:`Histogram.record_many` folds a whole batch with numpy.

Bucketing (the same as HdrHistogram with a unit of 1 ns and 2048 sub-buckets): a value
``v`` falls in bucket ``b = bit_length(v | 2047) - 11`` and its counts index is
``(b << 10) + (v >> b)``. Bucket ``b`` holds values of width ``2**b`` starting at
``>= 1024 * 2**b``, so a bucket's midpoint (its representative value) is within
``1/2048`` (0.049 %) of any value in it. Values are clamped to ``[LOWEST_NS, HIGHEST_NS]``
(1 µs .. 1 hour) for bucketing and counted in ``underflow``/``overflow``; ``min``, ``max``,
``sum`` and ``count`` are exact whatever the value.

Percentiles use the nearest-rank definition, which is numpy's ``method="inverted_cdf"``:
the value at quantile ``q`` of ``n`` values is the ``max(1, ceil(n * q))``-th smallest.
The histogram returns the representative value of the bucket holding that value, clipped
to the exact ``[min, max]``, so for in-range values the relative error is at most 0.05 %.

Memory is fixed: one ``int64`` array of :data:`BUCKETS` counts (~263 KB). Serialised
forms (``to_dict``, pickle) hold only the non-zero buckets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

#: Smallest value with its own bucket (1 µs); anything lower is clamped and counted.
LOWEST_NS = 1_000
#: Largest value with its own bucket (1 hour); anything higher is clamped and counted.
HIGHEST_NS = 3_600 * 1_000_000_000
#: 2048 sub-buckets: every value below 2048 ns has a bucket of width 1 (3 digits: 2 * 10**3).
_SUB_BITS = 11
_HALF_BITS = _SUB_BITS - 1
_SUB_MASK = (1 << _SUB_BITS) - 1
_INT64_SAFE = 1 << 62


def _raw_index(v: int) -> int:
    b = max(0, (v | _SUB_MASK).bit_length() - _SUB_BITS)
    return (b << _HALF_BITS) + (v >> b)


#: Offset of the first stored bucket (the one holding LOWEST_NS).
_OFFSET = _raw_index(LOWEST_NS)
#: Number of buckets in the dense counts array.
BUCKETS = _raw_index(HIGHEST_NS) - _OFFSET + 1


def bucket_indices(values: np.ndarray) -> np.ndarray:
    """Dense bucket index of each value (clamped to the histogram's range), vectorised."""
    v = np.clip(values, LOWEST_NS, HIGHEST_NS).astype(np.int64, copy=False)
    # bit_length(x) for 0 < x < 2**53 is the float64 biased exponent - 1022 (exact here:
    # HIGHEST_NS < 2**42); reading it from the bits is ~4x faster than np.frexp.
    b = (v | _SUB_MASK).astype(np.float64).view(np.int64)
    b >>= 52
    b -= 1022 + _SUB_BITS
    out = v >> b
    b <<= _HALF_BITS
    out += b
    out -= _OFFSET
    return out


def _bucket_bounds(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lowest value, width) of each dense bucket index."""
    raw = np.asarray(index, dtype=np.int64) + _OFFSET
    b = np.maximum((raw >> _HALF_BITS) - 1, 0)
    sub = raw - (b << _HALF_BITS)
    return sub << b, np.left_shift(1, b)


def bucket_values(index: np.ndarray) -> np.ndarray:
    """Representative (middle) value of each dense bucket index."""
    low, width = _bucket_bounds(index)
    return low + (width >> 1)


def nearest_rank(n: int, q: float) -> int:
    """1-based rank of the value at quantile ``q`` among ``n`` (numpy ``inverted_cdf``)."""
    return max(1, min(n, math.ceil(n * q)))


def quantiles_of(
    index: np.ndarray, counts: np.ndarray, qs: Sequence[float], lo: int, hi: int
) -> list[int]:
    """Values at quantiles ``qs`` from buckets (``index`` ascending, ``counts`` > 0).

    ``lo``/``hi`` are the exact min and max: representative values are clipped to them and
    ``q == 0``/``q == 1`` return them exactly. Shared by dense and sparse (per-second) forms.
    """
    cum = np.cumsum(counts)
    n = int(cum[-1]) if len(cum) else 0
    out: list[int] = []
    for q in qs:
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile {q} is outside [0, 1]")
        if n == 0:
            out.append(0)
        elif q == 0.0:
            out.append(lo)
        elif q == 1.0:
            out.append(hi)
        else:
            pos = int(np.searchsorted(cum, nearest_rank(n, q), side="left"))
            rep = int(bucket_values(np.array([index[pos]]))[0])
            out.append(min(max(rep, lo), hi))
    return out


def as_int64(values: np.ndarray | Sequence[int] | Iterable[int]) -> np.ndarray:
    """An int64 array of ``values`` (a list of Python ints converts at ~20 ns per item)."""
    if isinstance(values, np.ndarray):
        return values.astype(np.int64, copy=False)
    if isinstance(values, list | tuple):
        return np.fromiter(values, dtype=np.int64, count=len(values))
    return np.fromiter(values, dtype=np.int64)


def exact_sum(arr: np.ndarray) -> int:
    """Sum of an int64 array without int64 overflow (splits when it could overflow)."""
    n = len(arr)
    if n == 0:
        return 0
    bound = max(abs(int(arr.max())), abs(int(arr.min())))
    if bound * n < _INT64_SAFE:
        return int(arr.sum(dtype=np.int64))
    if n == 1:
        return int(arr[0])
    mid = n // 2
    return exact_sum(arr[:mid]) + exact_sum(arr[mid:])


class Histogram:
    """Counts of nanosecond values in log-linear buckets, plus exact count/sum/min/max.

    Mergeable by addition: merging the histograms of shards gives exactly the histogram of
    all their values. ``min``/``max`` are 0 while empty.
    """

    __slots__ = ("count", "counts", "max", "min", "overflow", "sum", "underflow")

    def __init__(self) -> None:
        self.counts: np.ndarray = np.zeros(BUCKETS, dtype=np.int64)
        self.count = 0
        self.sum = 0
        self.min = 0
        self.max = 0
        self.underflow = 0  # values below LOWEST_NS (bucketed as LOWEST_NS)
        self.overflow = 0  # values above HIGHEST_NS (bucketed as HIGHEST_NS)

    # ------------------------------------------------------------------ recording

    def record_many(self, values: np.ndarray | Sequence[int]) -> np.ndarray:
        """Fold a batch of raw values; returns their bucket indices (for callers that also
        keep per-second histograms)."""
        arr = as_int64(values)
        if len(arr) == 0:
            return np.zeros(0, dtype=np.int64)
        idx = bucket_indices(arr)
        np.add.at(self.counts, idx, 1)
        self._add_exact(arr)
        return idx

    def record(self, value: int) -> None:
        """One value (convenience; the hot path appends to a list and uses record_many)."""
        self.record_many(np.array([value], dtype=np.int64))

    def _add_exact(self, arr: np.ndarray) -> None:
        lo, hi = int(arr.min()), int(arr.max())
        self.min = lo if self.count == 0 else min(self.min, lo)
        self.max = hi if self.count == 0 else max(self.max, hi)
        self.count += len(arr)
        self.sum += exact_sum(arr)
        if lo < LOWEST_NS:
            self.underflow += int(np.count_nonzero(arr < LOWEST_NS))
        if hi > HIGHEST_NS:
            self.overflow += int(np.count_nonzero(arr > HIGHEST_NS))

    def merge(self, other: Histogram) -> Histogram:
        """Add ``other``'s counts into this histogram (in place); returns self."""
        if other.count == 0:
            return self
        self.counts += other.counts
        self.min = other.min if self.count == 0 else min(self.min, other.min)
        self.max = other.max if self.count == 0 else max(self.max, other.max)
        self.count += other.count
        self.sum += other.sum
        self.underflow += other.underflow
        self.overflow += other.overflow
        return self

    def copy(self) -> Histogram:
        h = Histogram()
        h.merge(self)
        return h

    # ------------------------------------------------------------------ reading

    @property
    def mean(self) -> float:
        return self.sum / self.count if self.count else 0.0

    def quantile(self, q: float) -> int:
        """Value at quantile ``q`` in [0, 1] (nearest rank); 0 when empty."""
        return self.quantiles([q])[0]

    def percentile(self, p: float) -> int:
        """Value at percentile ``p`` in [0, 100] (nearest rank); 0 when empty."""
        return self.quantile(p / 100.0)

    def quantiles(self, qs: Sequence[float]) -> list[int]:
        """Values at several quantiles with one pass over the counts."""
        idx = np.flatnonzero(self.counts)
        return quantiles_of(idx, self.counts[idx], qs, self.min, self.max)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Histogram):
            return NotImplemented
        return self._exact() == other._exact() and bool(np.array_equal(self.counts, other.counts))

    __hash__ = None  # type: ignore[assignment]

    def _exact(self) -> tuple[int, ...]:
        return (self.count, self.sum, self.min, self.max, self.underflow, self.overflow)

    def __repr__(self) -> str:
        return (f"Histogram(count={self.count}, min={self.min}, max={self.max}, "
                f"mean={self.mean:.0f})")

    # ------------------------------------------------------------------ serialisation

    def sparse(self) -> tuple[np.ndarray, np.ndarray]:
        """(indices, counts) of the non-zero buckets."""
        idx = np.flatnonzero(self.counts)
        return idx, self.counts[idx]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with only the non-zero buckets (``index``/``counts`` lists)."""
        idx, cnt = self.sparse()
        return {
            "lowest_ns": LOWEST_NS,
            "highest_ns": HIGHEST_NS,
            "sub_buckets": 1 << _SUB_BITS,
            "count": self.count,
            "sum": self.sum,
            "min": self.min,
            "max": self.max,
            "underflow": self.underflow,
            "overflow": self.overflow,
            "index": idx.tolist(),
            "counts": cnt.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Histogram:
        layout = (d.get("lowest_ns"), d.get("highest_ns"), d.get("sub_buckets"))
        if layout != (LOWEST_NS, HIGHEST_NS, 1 << _SUB_BITS):
            raise ValueError(f"histogram with a different bucket layout: {layout}")
        h = cls()
        idx = np.asarray(d["index"], dtype=np.int64)
        cnt = np.asarray(d["counts"], dtype=np.int64)
        if len(idx) != len(cnt) or (len(idx) and (idx.min() < 0 or idx.max() >= BUCKETS)):
            raise ValueError("histogram buckets out of range")
        h.counts[idx] = cnt
        h.count, h.sum, h.min, h.max = d["count"], d["sum"], d["min"], d["max"]
        h.underflow, h.overflow = d["underflow"], d["overflow"]
        if int(cnt.sum()) != h.count:
            raise ValueError("histogram counts do not add up to its count")
        return h

    def __getstate__(self) -> dict[str, Any]:
        idx, cnt = self.sparse()
        top = int(cnt.max()) if len(cnt) else 0
        small = cnt.astype(np.uint32) if top < 2**32 else cnt
        return {"e": self._exact(), "i": idx.astype(np.int32), "c": small}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.counts = np.zeros(BUCKETS, dtype=np.int64)
        self.counts[state["i"].astype(np.int64)] = state["c"].astype(np.int64)
        (self.count, self.sum, self.min, self.max, self.underflow, self.overflow) = state["e"]
