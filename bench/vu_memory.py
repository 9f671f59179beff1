"""Memory of one shard holding many mostly idle VUs: peak RSS with 1,000 and 10,000 VUs.

Not a test. Run as root on Debian (installs nginx and wrk when missing):

    .venv/bin/python bench/vu_memory.py [--vus 1000,10000] [--duration 15] [--rounds 3]

Each VU does one request and then ``think 5s`` (``load N vus for D``, closed model), so
every VU has its task, its scope, its cookie jar and one open keep-alive connection to
nginx (CPU 0), and spends most of the run parked. The scenario runs through
``run_shard`` (one shard, child pinned to CPU 1). The child reads ``VmRSS`` before
``run_shard`` (interpreter, imports and compiled plan) and ``VmHWM`` (peak RSS) after it;
the per-VU figure is (peak - before) / N. VU counts are interleaved in every round.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from _common import (
    ensure_tools,
    machine,
    machine_line,
    median,
    nginx,
    run_scenario,
    save_results,
    scenario_text,
    table,
)


def measure(base: str, n: int, duration: int) -> dict[str, Any]:
    """One run of ``n`` mostly idle VUs: the shard child's figures plus ``peak_mb``,
    ``before_mb`` and ``kb_per_vu``."""
    text = scenario_text(base, "idle", f"{n} vus for {duration}s", extra="think 5s")
    r = run_scenario(text, timeout=duration + 120, nofile=2 * n + 1024)
    if r["failures"]:
        sys.exit(f"{n} VUs: failures {r['failures_by_kind']}")
    r["peak_mb"] = r["hwm_kb"] / 1024
    r["before_mb"] = r["rss_before_kb"] / 1024
    r["kb_per_vu"] = (r["hwm_kb"] - r["rss_before_kb"]) / n
    return r


def round_text(n: int, r: dict[str, Any]) -> str:
    return (f"{n} VUs: RSS before {r['before_mb']:.1f} MB, peak "
            f"{r['peak_mb']:.1f} MB, {r['kb_per_vu']:.1f} kB/VU; {r['requests']:,} "
            f"requests, VUs {r['vus_created']:,}, CPU {r['cpu']:.1f} s, "
            f"latency p99 {r['latency_ms']['p99']:.1f} ms, connect p99 "
            f"{r['connect_ms']['p99']:.1f} ms (max {r['connect_ms']['max']:.0f})")


def summary_table(runs: dict[int, list[dict[str, Any]]]) -> str:
    rows = [[f"{n:,}", f"{median(rs, lambda r: r['before_mb']):.1f}",
             f"{median(rs, lambda r: r['peak_mb']):.1f}",
             f"{median(rs, lambda r: r['kb_per_vu']):.1f}",
             f"{median(rs, lambda r: r['requests']):,.0f}",
             f"{median(rs, lambda r: r['connect_ms']['p99']):,.0f}",
             f"{median(rs, lambda r: r['cpu']):.1f}"] for n, rs in runs.items()]
    return table(["VUs", "RSS before run_shard (MB)", "peak RSS, VmHWM (MB, median)",
                  "kB per VU (median)", "requests", "connect p99 (ms)", "CPU s"], rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vus", default="1000,10000")
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    counts = [int(x) for x in args.vus.split(",")]
    ensure_tools()
    m = machine()
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in counts}
    with nginx(connections=max(counts) + 1024) as base:
        for rnd in range(1, min(args.rounds, 20) + 1):
            for n in counts:
                r = measure(base, n, args.duration)
                runs[n].append(r)
                print(f"round {rnd} {round_text(n, r)}", file=sys.stderr)
    md = summary_table(runs)
    print(f"\n{machine_line(m)} · {args.duration}s × {args.rounds} rounds\n")
    print(md)
    save_results("vu_memory", m, args, runs={str(k): v for k, v in runs.items()}, table=md)


if __name__ == "__main__":
    main()
