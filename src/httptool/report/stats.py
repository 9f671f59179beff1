"""Is a difference between two runs more than noise? Tests on the summaries' histograms.

Both runs keep their latencies as mergeable histograms with the same buckets (see
:mod:`httptool.metrics.histogram`), so the tests work on bucket counts, not samples:

* **Mann–Whitney U on the binned latencies** for the centre of the distribution (avg,
  p50). Why this test: it needs no shape (latencies are skewed and multi-modal, so a
  t-test's normality is wrong), it reads a shift of the whole distribution, and on
  buckets it is exact arithmetic: values in one bucket are ties (mid-ranks), and the
  normal approximation with the tie correction is accurate at the sample sizes of a load
  test (thousands). Kolmogorov–Smirnov would also work, but it reacts to any difference
  of shape, not to "slower", and its p-value needs more care with ties.
* **Exceedance at the baseline's quantile** for the tail (p90, p95, p99): the share of
  each run's requests slower than the baseline's p95 is a proportion; a two-proportion
  z-test says whether the current run has more of them than chance allows. The U test
  barely moves when only 1 % of requests get slower; this test is about that 1 %.
* **Rates**: requests/s as Poisson counts over each run's duration; failure and check
  rates as two proportions.

With tens of thousands of requests these tests call any real difference significant,
including the run-to-run drift of one build on a noisy machine (other processes, CPU
frequency). That is why a verdict also needs an effect of at least ``--min-change``
(compare.py): a test answers "is it noise within the run?", the floor answers "is it
big enough to matter?".
"""

from __future__ import annotations

import math

import numpy as np

from httptool.metrics.histogram import Histogram

#: Significance level of every test (a p-value below this is "significant").
ALPHA = 0.01


def _two_sided(z: float) -> float:
    """Two-sided p-value of a standard normal statistic."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def mann_whitney(a: Histogram, b: Histogram) -> float | None:
    """Two-sided p-value of the U test between the values of ``a`` and ``b`` (bucketed;
    ties within a bucket), by the normal approximation with tie correction. None when
    either side is empty or every value falls in one bucket."""
    n1, n2 = a.count, b.count
    if n1 == 0 or n2 == 0:
        return None
    idx = np.union1d(np.flatnonzero(a.counts), np.flatnonzero(b.counts))
    ca = a.counts[idx].astype(np.float64)
    cb = b.counts[idx].astype(np.float64)
    t = ca + cb
    below = np.cumsum(t) - t  # values in lower buckets, both runs
    midrank = below + (t + 1) / 2
    r1 = float(np.dot(ca, midrank))
    u1 = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    ties = float(np.sum(t**3 - t))
    var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1))) if n > 1 else 0.0
    if var <= 0:
        return None
    return _two_sided((u1 - n1 * n2 / 2.0) / math.sqrt(var))


def two_proportions(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """Two-sided p-value that ``k1/n1`` and ``k2/n2`` differ (pooled z-test); None when
    a side has no trial or the pooled rate is 0 or 1 (no variance: equal, or both all)."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0:
        return None if k1 * n2 == k2 * n1 else 0.0
    return _two_sided((k1 / n1 - k2 / n2) / math.sqrt(var))


def exceedance(a: Histogram, b: Histogram, q: float) -> float | None:
    """p-value that the share of values above ``a``'s ``q``-quantile differs between
    ``a`` and ``b`` (counted by bucket: values in the quantile's own bucket are not
    above it, in either run)."""
    if a.count == 0 or b.count == 0:
        return None
    from httptool.metrics.histogram import bucket_indices

    cut = int(bucket_indices(np.array([a.quantile(q)], dtype=np.int64))[0])
    above_a = int(a.counts[cut + 1:].sum())
    above_b = int(b.counts[cut + 1:].sum())
    return two_proportions(above_a, a.count, above_b, b.count)


def poisson_rates(c1: int, d1: float, c2: int, d2: float) -> float | None:
    """p-value that counts ``c1`` over ``d1`` s and ``c2`` over ``d2`` s come from the
    same rate (normal approximation of two Poisson counts)."""
    if d1 <= 0 or d2 <= 0 or c1 + c2 == 0:
        return None
    var = c1 / d1**2 + c2 / d2**2
    if var <= 0:
        return None
    return _two_sided((c1 / d1 - c2 / d2) / math.sqrt(var))
