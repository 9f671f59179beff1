"""Histogram accuracy against exact percentiles, merge, bucketing and serialisation.

"Exact" percentiles are numpy's ``method="inverted_cdf"`` (nearest rank: the
``max(1, ceil(n*q))``-th smallest value), the definition the histogram implements.
"""

from __future__ import annotations

import pickle

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from httptool.metrics.histogram import (
    BUCKETS,
    HIGHEST_NS,
    LOWEST_NS,
    Histogram,
    _bucket_bounds,
    bucket_indices,
    bucket_values,
)

in_range = st.integers(min_value=LOWEST_NS, max_value=HIGHEST_NS)
QS = (0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0)


def _hist(values: list[int] | np.ndarray) -> Histogram:
    h = Histogram()
    h.record_many(values)
    return h


@settings(max_examples=150, deadline=None)
@given(st.lists(in_range, min_size=1, max_size=400), st.sampled_from(QS))
def test_percentile_within_0_1_percent_of_exact(values: list[int], q: float) -> None:
    h = _hist(values)
    exact = int(np.quantile(np.array(values), q, method="inverted_cdf"))
    assert abs(h.quantile(q) - exact) <= exact * 0.001


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(8.0, 20.0), st.floats(0.1, 2.5))
def test_percentiles_of_lognormal_latencies(seed: int, mu: float, sigma: float) -> None:
    rng = np.random.default_rng(seed)
    v = np.clip(rng.lognormal(mu, sigma, 5000), LOWEST_NS, HIGHEST_NS).astype(np.int64)
    h = _hist(v)
    qs = [0.5, 0.9, 0.95, 0.99, 0.999]
    got = h.quantiles(qs)
    for q, g in zip(qs, got, strict=True):
        exact = int(np.quantile(v, q, method="inverted_cdf"))
        assert abs(g - exact) <= exact * 0.001, (q, g, exact)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(in_range, max_size=100), min_size=1, max_size=4))
def test_merge_of_shards_equals_histogram_of_all(shards: list[list[int]]) -> None:
    merged = Histogram()
    for part in shards:
        merged.merge(_hist(part))
    everything = _hist([v for part in shards for v in part])
    assert merged == everything
    assert merged.count == sum(len(p) for p in shards)


def test_exact_count_sum_min_max_and_clamping() -> None:
    h = _hist([5, 2_000, 10**13, 3_000])
    assert (h.count, h.sum, h.min, h.max) == (4, 5 + 2_000 + 10**13 + 3_000, 5, 10**13)
    assert (h.underflow, h.overflow) == (1, 1)
    assert h.quantile(0.0) == 5 and h.quantile(1.0) == 10**13
    assert h.mean == h.sum / 4
    assert Histogram().quantile(0.5) == 0


def test_buckets_are_contiguous_and_fine_enough() -> None:
    idx = np.arange(BUCKETS)
    low, width = _bucket_bounds(idx)
    assert low[0] == LOWEST_NS and low[-1] + width[-1] > HIGHEST_NS
    assert np.array_equal(low[1:], low[:-1] + width[:-1])  # no gaps, no overlaps
    assert np.array_equal(bucket_indices(low), idx)
    assert np.array_equal(bucket_indices(np.minimum(low + width - 1, HIGHEST_NS)), idx)
    assert np.all(width / low <= 1 / 1000)  # 3 significant digits
    values = np.unique(np.geomspace(LOWEST_NS, HIGHEST_NS, 200_000).astype(np.int64))
    err = np.abs(bucket_values(bucket_indices(values)) - values) / values
    assert err.max() <= 1 / 2048
    assert bucket_indices(np.array([0, HIGHEST_NS * 10])).tolist() == [0, BUCKETS - 1]


def test_large_sums_do_not_overflow() -> None:
    v = np.full(3_000_000, HIGHEST_NS * 1000, dtype=np.int64)
    h = _hist(v)
    assert h.sum == HIGHEST_NS * 1000 * 3_000_000


def test_serialisation_round_trips() -> None:
    h = _hist(np.random.default_rng(3).integers(1, 10**10, 2000))
    d = h.to_dict()
    assert len(d["index"]) == np.count_nonzero(h.counts) < BUCKETS
    assert Histogram.from_dict(orjson.loads(orjson.dumps(d))) == h
    assert pickle.loads(pickle.dumps(h)) == h
    assert len(pickle.dumps(h)) < len(d["index"]) * 16 + 1000
    with pytest.raises(ValueError):
        Histogram.from_dict({**d, "sub_buckets": 1024})
    with pytest.raises(ValueError):
        Histogram.from_dict({**d, "count": h.count + 1})
