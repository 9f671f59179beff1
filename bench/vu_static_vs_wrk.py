"""Closed model through the whole engine vs wrk: req/s and generator CPU per request.

Not a test. Run as root on Debian (installs nginx and wrk when missing):

    .venv/bin/python bench/vu_static_vs_wrk.py [--duration 5] [--vus 50] [--rounds 3]

The scenario is ``load 50 vus for D`` of one ``run get`` (a GET of nginx's fixed 13-byte
response with ``assert { status == 200 }``), run through ``run_shard`` with one shard in a
child process pinned to CPU 1: executor, VUs, the client, checks and the metrics
recorder with its snapshots, i.e. what ``--workers 1`` runs. Its CPU is the child's own
``getrusage`` around ``run_shard`` (start-up, imports and compile excluded). wrk
(``-t1 -c50``) runs on the same nginx (CPU 0) and the same CPU 1, interleaved with it in
every round. Goal: CPU per request ≤ 1.3× wrk's.
"""

from __future__ import annotations

import argparse
import sys

from _common import (
    ensure_tools,
    machine,
    machine_line,
    median,
    nginx,
    run_scenario,
    run_wrk,
    spread,
    table,
    write_json,
)

GOAL = 1.3

SCENARIO = """
request get {{
  curl {url}/
  assert {{ status == 200 }}
}}

scenario static {{
  load {vus} vus for {duration}s
  run get
}}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--vus", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    ensure_tools()
    m = machine()
    wrk: list[dict[str, float]] = []
    vu: list[dict[str, float]] = []
    with nginx() as base:
        text = SCENARIO.format(url=base, vus=args.vus, duration=args.duration)
        for rnd in range(1, min(args.rounds, 20) + 1):
            w = run_wrk(base + "/", args.vus, args.duration)
            w["rps"] = w["requests"] / w["seconds"]
            w["us_per_req"] = w["cpu"] / w["requests"] * 1e6
            wrk.append(w)
            r = run_scenario(text, timeout=args.duration + 60)
            if r["failures"] or r["checks_failed"]:
                sys.exit(f"httptool run had failures: {r['failures_by_kind']}")
            r["rps"] = r["requests"] / r["seconds"]
            r["us_per_req"] = r["cpu"] / r["requests"] * 1e6
            r["ratio"] = r["us_per_req"] / w["us_per_req"]
            vu.append(r)
            print(f"round {rnd}: wrk {w['rps']:,.0f} req/s {w['us_per_req']:.2f} µs/req | "
                  f"httptool {r['rps']:,.0f} req/s {r['us_per_req']:.2f} µs/req "
                  f"(user {r['cpu_user'] / r['requests'] * 1e6:.2f}, sys "
                  f"{r['cpu_sys'] / r['requests'] * 1e6:.2f}) -> {r['ratio']:.2f}× wrk",
                  file=sys.stderr)
    wrk_us = median(wrk, lambda r: r["us_per_req"])
    vu_us = median(vu, lambda r: r["us_per_req"])
    ratio = median(vu, lambda r: r["ratio"])
    rows = [
        [f"wrk -t1 -c{args.vus}", f"{median(wrk, lambda r: r['rps']):,.0f}",
         f"{wrk_us:.2f}", "1.00×", spread(wrk, lambda r: r["us_per_req"])],
        [f"httptool run_shard, {args.vus} VUs", f"{median(vu, lambda r: r['rps']):,.0f}",
         f"{vu_us:.2f}", f"{ratio:.2f}×", spread(vu, lambda r: r["us_per_req"])],
    ]
    md = table(["generator (CPU 1)", "req/s (median)", "CPU µs/request (median)",
                "CPU/request vs wrk (median of same-round ratios)", "µs/request range"], rows)
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(f"\n{machine_line(m)} · {args.duration}s × {args.rounds} rounds\n")
    print(md)
    print(f"\nGoal: CPU/request ≤ {GOAL}× wrk — {verdict} ({ratio:.2f}×; same-round ratios "
          f"{spread(vu, lambda r: r['ratio'])}).")
    path = write_json("vu_static_vs_wrk", {"machine": m, "args": vars(args), "wrk": wrk,
                                           "httptool": vu, "ratio_median": ratio,
                                           "goal": GOAL, "table": md})
    print(f"JSON: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
