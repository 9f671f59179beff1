"""The 4-step flow (login, extract, authorised GET, JSON assertion) vs wrk's static GET.

Not a test. Run as root on Debian (installs nginx and wrk when missing; ``--profile``
installs py-spy with pip into its own venv, /tmp/benchvenv):

    .venv/bin/python bench/flow_vs_wrk.py [--duration 5] [--vus 50] [--rounds 3] [--profile]

nginx (CPU 0) serves fixed responses: ``POST /login`` -> ``{"token":"abc123"}`` and
``GET /me`` -> ``{"id":1,"name":"x"}`` (both ``application/json``), ``/`` the static text.
Each iteration of the scenario (``load 50 vus for D``) is: POST /login with a JSON body
rendered per VU -> extract ``token`` with JSONPath -> GET /me with ``Authorization:
Bearer ${token}`` -> ``assert { status == 200  body.id == 1 }``, through ``run_shard`` (one
shard, child pinned to CPU 1). Every round also runs ``wrk -t1 -c50`` on the static GET,
so the ratio is of the same round, and httptool's static GET (as in vu_static_vs_wrk.py)
for reference. CPU per request counts both HTTP requests of an
iteration. Goal: ≤ 3× wrk's CPU per request.

``--profile`` adds one run under ``py-spy record --format raw`` and prints where the time
goes (self and inclusive share of samples per function).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from _common import (
    FLOW_LOCATIONS,
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

GOAL = 3.0

def check_run(r: dict[str, Any], last: str) -> None:
    if r["failures"] or r["checks_failed"] or r["by_name"].get(last, 0) == 0:
        sys.exit(f"httptool run had failures: {r['failures_by_kind']} {r['by_name']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--vus", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="one more run under py-spy")
    args = ap.parse_args()
    ensure_tools()
    m = machine()
    wrk: list[dict[str, Any]] = []
    runs: dict[str, list[dict[str, Any]]] = {"flow": [], "static": []}
    prof: dict[str, Any] = {}
    with nginx(FLOW_LOCATIONS) as base:
        load = f"{args.vus} vus for {args.duration}s"
        texts = {"flow": scenario_text(base, "flow", load, "login -> me"),
                 "static": scenario_text(base, "static", load)}
        for rnd in range(1, min(args.rounds, 20) + 1):
            w = per_request(run_wrk(base + "/", args.vus, args.duration))
            wrk.append(w)
            line = [round_line("wrk", w)]
            for name, text in texts.items():
                r = per_request(run_scenario(text, timeout=args.duration + 60))
                check_run(r, "me" if name == "flow" else "get")
                r["ratio"] = r["us_per_req"] / w["us_per_req"]
                runs[name].append(r)
                line.append(round_line(name, r))
            print(f"round {rnd}: " + " | ".join(line), file=sys.stderr)
        if args.profile:
            prof = profile_report(texts["flow"], args.duration + 60, "flow")
            check_run(prof["run"], "me")
    flow = runs["flow"]
    ratio = median(flow, lambda r: r["ratio"])
    rows = [vs_wrk_row(f"wrk -t1 -c{args.vus}, static GET", wrk, "1.00×")]
    for name, label in (("flow", "4-step flow"), ("static", "static GET (as vu_static)")):
        rs = runs[name]
        rows.append(vs_wrk_row(f"httptool, {label}, {args.vus} VUs", rs,
                               f"{median(rs, lambda r: r['ratio']):.2f}× "
                               f"({spread(rs, lambda r: r['ratio'])})"))
    md = table(VS_WRK_HEADER, rows)
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(f"\n{machine_line(m)} · {args.duration}s × {args.rounds} rounds (medians)\n")
    print(md)
    print(f"\nGoal: 4-step flow CPU/request ≤ {GOAL:g}× wrk's static GET — {verdict} "
          f"({ratio:.2f}×).")
    if prof:
        print("\n" + prof["markdown"])
    path = write_json("flow_vs_wrk", {"machine": m, "args": vars(args), "wrk": wrk,
                                      "httptool": runs, "ratio_median": ratio, "goal": GOAL,
                                      "table": md, "profile": prof})
    print(f"JSON: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
