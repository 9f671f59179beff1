"""Metrics path at scale: 10 M synthetic requests through the recorder (not a test).

Drives :class:`httptool.metrics.Recorder` exactly as the engine does: per request the
hot-path list appends and int increments, ``maybe_flush()`` once per iteration, and a
snapshot every simulated second (merged as the coordinator would). Latencies come from a
log-normal distribution (median ~2 ms, long tail) with a 2 % failure rate. Prints RSS every
1 M requests and the cost per request of the hot-path part and of the fold.

    .venv/bin/python bench/metrics_memory.py [--requests 10000000] [--rate 50000]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from httptool.metrics import Merger, Recorder
from httptool.metrics.recorder import FLUSH_AT

NS = 1_000_000_000


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=10_000_000)
    ap.add_argument("--rate", type=int, default=50_000, help="simulated requests/s")
    ap.add_argument("--vus", type=int, default=200)
    ap.add_argument("--flush-at", type=int, default=FLUSH_AT)
    args = ap.parse_args()

    rng = np.random.default_rng(42)
    pool = 1 << 20
    lat_pool = (rng.lognormal(np.log(2e6), 0.6, pool)).astype(np.int64).tolist()
    vu_pool = rng.integers(1, args.vus + 1, pool).tolist()
    fail_pool = (rng.random(pool) < 0.02).tolist()
    step = NS // args.rate

    rec = Recorder(shard=0, t0_ns=0, flush_at=args.flush_at)
    names = ("login", "list_items", "get_item", "checkout")
    stats = [rec.request(n) for n in names]
    checks = [rec.check(f"{n} status == 200") for n in names]
    merger = Merger(shards=1)

    hot_ns = 0  # time in the per-request loop body (includes the loop's own overhead)
    fold_ns = 0  # time in maybe_flush/snapshot/merge
    folds = 0
    snap_ns = 0  # snapshot building + merger.add (excluding the fold they trigger)
    snaps = 0
    t_sim = 0
    next_snap = NS
    print(f"{'requests':>12} {'RSS MB':>8}")
    print(f"{0:>12} {rss_mb():8.1f}")
    start = time.perf_counter_ns()
    done = 0
    chunk = 4  # requests per "iteration" (one maybe_flush per iteration)
    mono = time.perf_counter_ns
    while done < args.requests:
        t0 = mono()
        # ---- hot path: what the engine does per request
        for j in range(done, done + chunk):
            k = j & (pool - 1)
            st = stats[j & 3]
            lat = lat_pool[k]
            vu = vu_pool[k]
            t_sim += step
            st.lat.append(lat)
            st.end.append(t_sim)
            st.vu.append(vu)
            st.ttfb.append(lat >> 1)
            st.bytes_sent += 180
            st.bytes_received += 1200
            if fail_pool[k]:
                st.fail("status", vu, t_sim)
                checks[j & 3].failed += 1
            else:
                checks[j & 3].passed += 1
        rec.iter_vu.append(vu)
        t1 = mono()
        hot_ns += t1 - t0
        # ---- fold path: once per iteration, plus a snapshot every simulated second
        if rec.maybe_flush():
            folds += 1
        if t_sim >= next_snap:
            t2 = mono()
            rec.flush()  # the snapshot's own fold, counted as fold time
            t3 = mono()
            rec.sample_active(args.vus, now_ns=t_sim)
            merger.add(rec.snapshot(now_ns=t_sim))
            snap_ns += mono() - t3
            snaps += 1
            fold_ns -= mono() - t3
            next_snap += NS
            folds += 1
            del t2
        fold_ns += mono() - t1
        prev = done
        done += chunk
        if done // 1_000_000 != prev // 1_000_000:
            print(f"{done:>12} {rss_mb():8.1f}", flush=True)
    t1 = mono()
    merger.add(rec.snapshot(now_ns=t_sim, final=True))
    res = merger.result()
    fold_ns += mono() - t1
    wall = mono() - start

    assert res.total_requests == done, (res.total_requests, done)
    assert sum(v.requests for v in res.vus) == done
    assert sum(s.requests for s in res.series) == done

    # the hot-path part alone (no loop/data overhead): bare appends, timed in a tight loop
    st = rec.request("micro")
    la, ea, va, ta = st.lat.append, st.end.append, st.vu.append, st.ttfb.append
    n = 1_000_000
    t0 = mono()
    for _i in range(n):
        pass
    base = mono() - t0
    t0 = mono()
    for i in range(n):
        la(i)
        ea(i)
        va(3)
        ta(i)
        st.bytes_sent += 180
        st.bytes_received += 1200
    appends = mono() - t0 - base
    st2 = rec.request("micro2")
    t0 = mono()
    for i in range(n):
        st2.record(3, i, i, i, 180, 1200)
    method = mono() - t0 - base
    t0 = mono()
    rec.flush()
    micro_fold = mono() - t0

    print()
    print(f"machine: {platform.machine()} {platform.processor() or ''} "
          f"python {platform.python_version()} numpy {np.__version__}")
    print(f"flush_at: {args.flush_at}")
    print(f"requests: {done:,}  simulated seconds: {len(res.series)}  folds: {folds}")
    print(f"wall: {wall / 1e9:.1f} s")
    print(f"loop body per request (hot path + synthetic-data loop): {hot_ns / done:.0f} ns")
    print(f"fold per request (maybe_flush + the snapshots' folds): {fold_ns / done:.0f} ns")
    print(f"snapshot + merger.add, excluding its fold: {snap_ns / snaps / 1e6:.2f} ms each "
          f"({snaps} snapshots, {len(names)} request names)")
    print(f"bare hot path (4 appends + 2 int increments, bound appends): {appends / n:.0f} ns")
    print(f"same through RequestStats.record(): {method / n:.0f} ns")
    print(f"fold of 2 M buffered requests: {micro_fold / (2 * n):.0f} ns per request")
    print(f"p50/p95/p99 ms: {res.total.latency.med / 1e6:.3f} / "
          f"{res.total.latency.p95 / 1e6:.3f} / {res.total.latency.p99 / 1e6:.3f}")
    print(f"final RSS MB: {rss_mb():.1f}")


if __name__ == "__main__":
    main()
