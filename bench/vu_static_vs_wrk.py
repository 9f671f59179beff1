"""Closed model through the whole engine vs wrk: req/s and generator CPU per request.

Not a test. Run as root on Debian (installs nginx and wrk when missing):

    .venv/bin/python bench/vu_static_vs_wrk.py [--duration 5] [--vus 50] [--rounds 3] \
        [--profile]

The scenario is ``load 50 vus for D`` of one ``run get`` (a GET of nginx's fixed 13-byte
response with ``assert { status == 200 }``), run through ``run_shard`` with one shard in a
child process pinned to CPU 1: executor, VUs, the client, checks and the metrics
recorder with its snapshots, i.e. what ``--workers 1`` runs. Its CPU is the child's own
``getrusage`` around ``run_shard`` (start-up, imports and compile excluded). wrk
(``-t1 -c50``) runs on the same nginx (CPU 0) and the same CPU 1, interleaved with it in
every round. Goal: CPU per request ≤ 1.3× wrk's. ``--variant gc=off`` (repeatable; knobs
of ``_common.run_scenario``: ``gc=off|freeze``, ``cookies=off``) adds a row run in every
round with that change, to measure what a change would gain without editing the engine.
``--profile`` adds one run under py-spy (installed with pip into /tmp/benchvenv) and
prints where the time goes.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from _common import (
    VS_WRK_HEADER,
    ensure_tools,
    machine,
    machine_line,
    median,
    nginx,
    per_request,
    profile_report,
    round_line,
    run_scenario,
    run_wrk,
    scenario_text,
    spread,
    table,
    vs_wrk_row,
    write_json,
)

GOAL = 1.3



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--vus", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="one more run under py-spy")
    ap.add_argument("--variant", action="append", default=[], metavar="K=V[,K=V]",
                    help="an extra httptool row with these knobs (e.g. gc=off)")
    args = ap.parse_args()
    variants = {"httptool": {}, **{v: dict(kv.split("=", 1) for kv in v.split(","))
                                   for v in args.variant}}
    ensure_tools()
    m = machine()
    wrk: list[dict[str, Any]] = []
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    prof: dict[str, Any] = {}
    with nginx() as base:
        text = scenario_text(base, "static", f"{args.vus} vus for {args.duration}s")
        for rnd in range(1, min(args.rounds, 20) + 1):
            w = per_request(run_wrk(base + "/", args.vus, args.duration))
            wrk.append(w)
            line = [round_line("wrk", w)]
            for v, knobs in variants.items():
                r = per_request(run_scenario(text, timeout=args.duration + 60, knobs=knobs))
                if r["failures"] or r["checks_failed"]:
                    sys.exit(f"httptool run had failures: {r['failures_by_kind']}")
                r["ratio"] = r["us_per_req"] / w["us_per_req"]
                runs[v].append(r)
                line.append(round_line(v, r))
            print(f"round {rnd}: " + " | ".join(line), file=sys.stderr)
        if args.profile:
            prof = profile_report(text, args.duration + 60, "vu_static")
    vu = runs["httptool"]
    ratio = median(vu, lambda r: r["ratio"])
    rows = [vs_wrk_row(f"wrk -t1 -c{args.vus}", wrk, "1.00×")]
    for v, rs in runs.items():
        label = f"httptool run_shard, {args.vus} VUs" + ("" if v == "httptool" else f", {v}")
        rows.append(vs_wrk_row(label, rs, f"{median(rs, lambda r: r['ratio']):.2f}× "
                                          f"({spread(rs, lambda r: r['ratio'])})"))
    md = table(VS_WRK_HEADER, rows)
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(f"\n{machine_line(m)} · {args.duration}s × {args.rounds} rounds (medians)\n")
    print(md)
    print(f"\nGoal: CPU/request ≤ {GOAL}× wrk — {verdict} ({ratio:.2f}×).")
    if prof:
        print("\n" + prof["markdown"])
    path = write_json("vu_static_vs_wrk", {"machine": m, "args": vars(args), "wrk": wrk,
                                           "httptool": runs, "ratio_median": ratio,
                                           "goal": GOAL, "table": md, "profile": prof})
    print(f"JSON: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
