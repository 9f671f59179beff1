"""Recorder -> snapshots -> merge across simulated shards: exact totals, per-VU sums,
time series by second, and serialisation round trips."""

from __future__ import annotations

import json
import pickle
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import orjson
import pytest

from httptool.metrics import Histogram, Recorder, Snapshot, merge
from httptool.metrics.recorder import SERIES_WINDOW
from httptool.metrics.result import SCHEMA_VERSION, Merger

NS = 1_000_000_000
NAMES = ("login", "list", "get_item")
KINDS = ("status", "assertion", "timeout", "refused", "extraction", "variable")


@dataclass
class Truth:
    """What really happened, kept the slow obvious way."""

    requests: Counter = field(default_factory=Counter)
    failures: dict = field(default_factory=lambda: defaultdict(Counter))
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    per_vu: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    per_second: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    per_second_lat: dict = field(default_factory=lambda: defaultdict(list))
    checks: Counter = field(default_factory=Counter)
    iterations: Counter = field(default_factory=Counter)
    sent: int = 0


def simulate(shard: int, shards: int, seed: int, truth: Truth, duration_s: int = 12,
             flush_at: int = 500, snapshot_every_s: float = 1.0) -> list[Snapshot]:
    """One shard's traffic through the hot-path API exactly as the engine uses it."""
    rng = np.random.default_rng(seed)
    rec = Recorder(shard=shard, t0_ns=0, flush_at=flush_at)
    stats = {n: rec.request(n) for n in NAMES}
    chk = {n: rec.check(f"{n} status == 200") for n in NAMES}
    vus = [v for v in range(1, 13) if v % shards == shard]
    snaps = []
    next_snap = int(snapshot_every_s * NS)
    t = 0
    while t < duration_s * NS:
        t += int(rng.integers(100_000, 2_000_000))
        if t >= next_snap:
            rec.sample_active(len(vus), now_ns=t)
            snaps.append(rec.snapshot(now_ns=t))
            next_snap += int(snapshot_every_s * NS)
        vu = int(rng.choice(vus))
        name = NAMES[int(rng.integers(len(NAMES)))]
        st = stats[name]
        sec = t // NS
        truth.requests[name] += 1
        truth.per_vu[vu][1] += 1
        truth.per_second[sec][0] += 1
        r = rng.random()
        if r < 0.03:  # transport error: no latency
            kind = ("timeout", "refused", "reset")[int(rng.integers(3))]
            st.error(kind, vu, t)
            truth.failures[name][kind] += 1
            truth.per_vu[vu][2] += 1
            truth.per_second[sec][1] += 1
            continue
        lat = int(rng.lognormal(16, 1.0)) + 1
        truth.latencies[name].append(lat)
        truth.per_vu[vu][3] += lat
        truth.per_second_lat[sec].append(lat)
        st.lat.append(lat)
        st.end.append(t)
        st.vu.append(vu)
        st.ttfb.append(lat // 2)
        st.bytes_sent += 100
        truth.sent += 100
        st.bytes_received += 1000
        if r < 0.10:
            kind = KINDS[int(rng.integers(len(KINDS)))]
            st.fail(kind, vu, t)
            truth.failures[name][kind] += 1
            truth.per_vu[vu][2] += 1
            truth.per_second[sec][1] += 1
            chk[name].failed += 1
            truth.checks[name, False] += 1
        else:
            chk[name].passed += 1
            truth.checks[name, True] += 1
        if rng.random() < 0.3:
            rec.iter_vu.append(vu)
            truth.per_vu[vu][0] += 1
            truth.iterations["completed"] += 1
        rec.maybe_flush()
    rec.dropped += shard + 1
    truth.iterations["dropped"] += shard + 1
    snaps.append(rec.snapshot(now_ns=t, final=True))
    return snaps


def run(shards: int, seed: int = 1) -> tuple[list[list[Snapshot]], Truth]:
    truth = Truth()
    return [simulate(i, shards, seed * 100 + i, truth) for i in range(shards)], truth


@pytest.mark.parametrize("shards", [1, 2, 3])
def test_merged_totals_are_exact(shards: int) -> None:
    per_shard, truth = run(shards)
    res = merge(s[-1] for s in per_shard)
    assert res.final and res.shards == shards
    assert res.total_requests == sum(truth.requests.values())
    total_failures = sum(sum(c.values()) for c in truth.failures.values())
    assert res.total_failures == total_failures
    for name in NAMES:
        r = res.requests[name]
        assert r.requests == truth.requests[name]
        assert r.failures_by_kind == dict(truth.failures[name])
        exact = np.array(truth.latencies[name])
        assert r.latency_hist == _hist(exact)
        assert r.latency.min == exact.min() and r.latency.max == exact.max()
        assert r.latency.avg == pytest.approx(exact.mean(), rel=1e-12)
        for q, got in ((0.5, r.latency.med), (0.95, r.latency.p95), (0.99, r.latency.p99)):
            want = np.quantile(exact, q, method="inverted_cdf")
            assert abs(got - want) <= want * 0.001
        assert r.ttfb.count == len(exact)
        c = res.checks[f"{name} status == 200"]
        assert (c.passed, c.failed) == (truth.checks[name, True], truth.checks[name, False])
    assert res.total.bytes_sent == truth.sent
    assert res.completed == truth.iterations["completed"]
    assert res.dropped == truth.iterations["dropped"]


@pytest.mark.parametrize("shards", [2, 3])
def test_per_vu_rows_sum_to_the_total(shards: int) -> None:
    per_shard, truth = run(shards, seed=7)
    res = merge(s[-1] for s in per_shard)
    assert sum(v.requests for v in res.vus) == res.total_requests
    assert sum(v.failed for v in res.vus) == res.total_failures
    assert sum(v.iterations for v in res.vus) == res.completed
    assert [v.vu for v in res.vus] == sorted(truth.per_vu)
    for v in res.vus:
        it, reqs, failed, lat_sum = truth.per_vu[v.vu]
        assert (v.iterations, v.requests, v.failed, v.latency_sum_ns) == (it, reqs, failed,
                                                                           lat_sum)
        assert v.ok + v.failed == v.requests


def test_every_interim_merge_is_consistent() -> None:
    """At any moment (snapshots so far) per-VU and per-second sums equal the total."""
    per_shard, _ = run(3, seed=11)
    m = Merger(shards=3)
    for snap in _interleaved(per_shard):
        m.add(snap)
        res = m.result()
        assert sum(v.requests for v in res.vus) == res.total_requests
        if len({s.shard for s in m._latest.values()}) == 3:
            assert sum(s.requests for s in res.series) == res.total_requests


def test_time_series_merges_by_second() -> None:
    per_shard, truth = run(3, seed=5)
    res = merge(snap for s in per_shard for snap in s)
    assert [s.second for s in res.series] == sorted(truth.per_second)
    for s in res.series:
        assert [s.requests, s.failures] == truth.per_second[s.second]
        assert s.active_vus == 12 or s.second in (0, max(truth.per_second))
        exact = np.array(truth.per_second_lat[s.second])
        for q, got in ((0.5, s.p50), (0.95, s.p95), (0.99, s.p99)):
            want = np.quantile(exact, q, method="inverted_cdf")
            assert abs(got - want) <= want * 0.001


def _interleaved(per_shard: list[list[Snapshot]]) -> list[Snapshot]:
    """Snapshots in arrival order at the coordinator (shards take turns)."""
    out = []
    for k in range(max(len(s) for s in per_shard)):
        out += [s[k] for s in per_shard if k < len(s)]
    return out


def test_sealing_merger_gives_the_same_result_with_bounded_state() -> None:
    per_shard, _ = run(3, seed=8)
    want = merge(snap for s in per_shard for snap in s).to_dict()
    m = Merger(shards=3)
    for snap in _interleaved(per_shard):
        m.add(snap)
        assert len(m._open) <= 3 * (SERIES_WINDOW + 3)
    assert m.result().to_dict() == want


def test_lost_duplicated_and_reordered_snapshots_are_harmless() -> None:
    per_shard, _ = run(2, seed=3)
    want = merge(snap for s in per_shard for snap in s).to_dict()
    # every third interim snapshot lost, some repeated, order shuffled; finals delivered
    interim = [snap for s in per_shard for i, snap in enumerate(s[:-1]) if i % 3 != 1]
    stream = interim + interim[::4] + [s[-1] for s in per_shard]
    m = Merger()
    for i in np.random.default_rng(0).permutation(len(stream)):
        m.add(stream[i])
    assert m.result().to_dict() == want
    # totals need only the newest snapshot of each shard
    latest = merge(s[-1] for s in per_shard).to_dict()
    assert {k: v for k, v in latest.items() if k != "time_series"} == {
        k: v for k, v in want.items() if k != "time_series"}


def test_snapshots_carry_a_window_of_seconds() -> None:
    per_shard, truth = run(1, seed=2)
    snaps = per_shard[0]
    for snap in snaps:
        assert all(k >= snap.series_from for k in snap.series)
        assert max(snap.series, default=0) - snap.series_from <= SERIES_WINDOW + 1
    assert snaps[-1].series_from > 0
    carried = Counter(k for snap in snaps for k in snap.series)
    assert set(carried) == set(truth.per_second)
    assert all(n >= SERIES_WINDOW for k, n in carried.items() if k < snaps[-1].series_from)


def test_batches_spanning_many_seconds() -> None:
    """A fold whose batch spans many seconds takes the sort-based path: same numbers."""
    rec = Recorder(t0_ns=0)
    st = rec.request("x")
    lat = [1_000_000 + 7919 * i % 5_000_000 for i in range(4000)]
    for i, v in enumerate(lat):
        st.record(vu=1, latency_ns=v, end_ns=i * 10_000_000, ttfb_ns=v)  # 40 seconds
    res = merge([rec.snapshot(now_ns=40 * NS, final=True)])
    assert [s.requests for s in res.series] == [100] * 40
    for s in res.series:
        exact = np.array(lat[s.second * 100 : (s.second + 1) * 100])
        want = np.quantile(exact, 0.95, method="inverted_cdf")
        assert abs(s.p95 - want) <= want * 0.001


def test_snapshot_round_trips_pickle_and_json() -> None:
    per_shard, _ = run(2, seed=9)
    final = [s[-1] for s in per_shard]
    want = merge(final).to_dict()
    pickled = [pickle.loads(pickle.dumps(s)) for s in final]
    assert merge(pickled).to_dict() == want
    via_json = [Snapshot.from_dict(json.loads(json.dumps(s.to_dict()))) for s in final]
    assert merge(via_json).to_dict() == want
    # compact: non-zero buckets only, ~6 bytes each plus a small fixed part per object
    for s in final:
        buckets = sum(len(r.latency.sparse()[0]) + len(r.ttfb.sparse()[0])
                      for r in s.requests.values())
        buckets += sum(len(sec.index) for sec in s.series.values())
        assert len(pickle.dumps(s)) < buckets * 8 + 30_000


def test_result_dict_is_json_with_schema_version() -> None:
    per_shard, _ = run(2, seed=4)
    res = merge(s[-1] for s in per_shard)
    d = json.loads(orjson.dumps(res.to_dict()))
    assert d["schema_version"] == SCHEMA_VERSION and d["schema"] == "httptool.summary"
    assert d["requests"] == res.total_requests
    assert sum(v["requests"] for v in d["per_vu"]) == d["requests"]
    assert set(d["per_request"]) == set(NAMES)
    assert d["iterations"]["dropped"] == 3
    assert d["total"]["latency"]["p95_ms"] == pytest.approx(res.total.latency.p95 / 1e6)


def test_metric_helpers_for_thresholds() -> None:
    per_shard, _ = run(2, seed=6)
    res = merge(s[-1] for s in per_shard)
    assert res.metric("p95") == res.total.latency_hist.percentile(95) / 1e6
    assert res.metric("p95", "login") == res.requests["login"].latency.p95 / 1e6
    assert res.metric("error_rate") == res.total_failures / res.total_requests
    assert res.metric("rps") == pytest.approx(res.total_requests / res.duration_s)
    assert res.metric("dropped") == 3
    c = res.checks["login status == 200"]
    assert res.metric("checks", "login") == c.passed / c.total
    assert 0 < res.checks_pass_rate < 1
    with pytest.raises(ValueError):
        res.metric("p42x")


def test_unaligned_buffers_are_reported() -> None:
    rec = Recorder(t0_ns=0)
    st = rec.request("x")
    st.lat.append(5_000)
    with pytest.raises(RuntimeError):
        rec.flush()


def test_open_model_service_time_is_kept_apart() -> None:
    rec = Recorder(t0_ns=0)
    st = rec.request("x")
    for i in range(100):
        # the scheduled start was 1 s earlier for the last 10 (a stall): CO-correct latency
        lat = 2_000_000 + (NS if i >= 90 else 0)
        st.record(vu=1, latency_ns=lat, end_ns=i * 10_000_000, ttfb_ns=1_000_000,
                  service_ns=2_000_000, connect_ns=50_000 if i == 0 else None)
    res = merge([rec.snapshot(now_ns=NS, final=True)])
    r = res.requests["x"]
    assert r.latency.p99 > NS and r.service is not None and r.service.p99 < 3_000_000
    assert r.connect.count == 1


def _hist(v: np.ndarray) -> Histogram:
    h = Histogram()
    h.record_many(v)
    return h


def test_saturated_drops_travel_through_snapshots() -> None:
    """The open model's guard counts reach the merged result across shards, also through
    the dict form the cluster path uses."""
    snaps = []
    for shard, (dropped, saturated) in enumerate([(7, 5), (3, 3)]):
        rec = Recorder(shard=shard)
        rec.dropped, rec.dropped_saturated = dropped, saturated
        snaps.append(Snapshot.from_dict(rec.snapshot(final=True).to_dict()))
    res = merge(snaps)
    assert (res.dropped, res.dropped_saturated) == (10, 8)
    old = snaps[0].to_dict()
    del old["dropped_saturated"]  # a snapshot from before the field existed
    assert Snapshot.from_dict(old).dropped_saturated == 0


def test_time_series_keeps_busy_seconds_and_leaves_out_empty_ones() -> None:
    """docs/outputs.md: seconds where nothing happened are absent from ``time_series``.
    A second with VUs inside an iteration but no completed request is information
    (a slow endpoint) and is kept; a second with no request, failure or active VU is
    not — the shard samples ``active`` every tick and ``0`` at the end, which used to
    add ``requests 0, active_vus 0`` rows (a slow open-model run, a run's last second)."""
    rec = Recorder(shard=0, t0_ns=0, flush_at=1 << 30)
    rec.request("a").record(1, 5_000_000, int(0.5 * NS), 2_000_000)
    for t in (1.0, 1.1, 1.9):  # second 1: nothing in flight
        rec.sample_active(0, now_ns=int(t * NS))
    rec.sample_active(3, now_ns=int(2.2 * NS))  # second 2: VUs busy, nothing completed
    rec.request("a").record(1, 5_000_000, int(3.5 * NS), 2_000_000)
    rec.sample_active(0, now_ns=int(4.05 * NS))  # the shard's last sample, after the load
    res = merge([rec.snapshot(now_ns=int(4.05 * NS), final=True)])
    rows = [(r["second"], r["requests"], r["active_vus"]) for r in res.to_dict()["time_series"]]
    # (a completed request's VU was active in its second: 1, not 0, in seconds 0 and 3)
    assert rows == [(0, 1, 1), (2, 0, 3), (3, 1, 1)]


@pytest.mark.parametrize("vu_base", [0, 1 << 21])  # the grid path, and the sorting one
def test_active_vus_counts_the_vus_that_completed_requests(vu_base: int) -> None:
    """A run shorter than the sampling tick is never sampled: the VUs that completed a
    request in a second were active in it (QA: 20 requests by 2 VUs, active_vus 0)."""
    rec = Recorder(shard=0, t0_ns=0, flush_at=1 << 30)
    for i in range(20):
        rec.request("a").record(vu_base + 1 + i % 2, 1_000_000, int(0.001 * i * NS), 500_000)
    for i in range(6):  # second 1: three VUs (sampled at 5: the sample wins)
        rec.request("b").record(vu_base + 1 + i % 3, 1_000_000, int((1.1 + 0.01 * i) * NS),
                                500_000)
    rec.sample_active(5, now_ns=int(1.5 * NS))
    res = merge([rec.snapshot(now_ns=int(2 * NS), final=True)])
    rows = [(r["second"], r["requests"], r["active_vus"]) for r in res.to_dict()["time_series"]]
    assert rows == [(0, 20, 2), (1, 6, 5)]


def test_time_series_percentiles_are_null_where_no_latency_was_measured() -> None:
    """A second whose requests all ended in transport errors has no latency: its
    percentiles are null in the JSON, not a measured 0 ms (QA)."""
    rec = Recorder(shard=0, t0_ns=0, flush_at=1 << 30)
    rec.request("a").record(1, 5_000_000, int(0.5 * NS), 2_000_000)
    rec.request("a").error("timeout", 1, int(1.5 * NS))
    res = merge([rec.snapshot(now_ns=int(2 * NS), final=True)])
    rows = {r["second"]: r for r in res.to_dict()["time_series"]}
    assert rows[0]["p50_ms"] == rows[0]["p99_ms"] == pytest.approx(5.0, rel=1e-3)
    assert (rows[1]["requests"], rows[1]["failures"]) == (1, 1)
    assert rows[1]["p50_ms"] is None and rows[1]["p95_ms"] is None and rows[1]["p99_ms"] is None
