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
so the ratio is of the same round. CPU per request counts both HTTP requests of an
iteration. Goal: ≤ 3× wrk's CPU per request.

``--profile`` adds one run under ``py-spy record --format raw`` and prints where the time
goes (self and inclusive share of samples per function).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from _common import (
    STATIC_LOCATION,
    ensure_tools,
    machine,
    machine_line,
    median,
    nginx,
    profile_report,
    run_scenario,
    run_wrk,
    spread,
    table,
    write_json,
)

GOAL = 3.0

LOCATIONS = (
    "location = /login { default_type application/json; "
    "return 200 '{\"token\":\"abc123\"}'; }",
    "location = /me { default_type application/json; return 200 '{\"id\":1,\"name\":\"x\"}'; }",
    STATIC_LOCATION,
)

SCENARIO = """
request login {{
  curl -X POST {url}/login \\
    -H 'Content-Type: application/json' \\
    -d '{{"username":"user-${{VU}}","password":"secret"}}'
  extract {{ token = $.token }}
}}

request me {{
  curl {url}/me -H "Authorization: Bearer ${{token}}"
  assert {{
    status == 200
    body.id == 1
  }}
}}

scenario flow {{
  load {vus} vus for {duration}s
  run login -> me
}}
"""


def check_run(r: dict[str, Any]) -> None:
    if r["failures"] or r["checks_failed"] or r["by_name"].get("me", 0) == 0:
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
    wrk: list[dict[str, float]] = []
    flow: list[dict[str, float]] = []
    prof: dict[str, Any] = {}
    with nginx(LOCATIONS) as base:
        text = SCENARIO.format(url=base, vus=args.vus, duration=args.duration)
        for rnd in range(1, min(args.rounds, 20) + 1):
            w = run_wrk(base + "/", args.vus, args.duration)
            w["rps"] = w["requests"] / w["seconds"]
            w["us_per_req"] = w["cpu"] / w["requests"] * 1e6
            wrk.append(w)
            r = run_scenario(text, timeout=args.duration + 60)
            check_run(r)
            r["rps"] = r["requests"] / r["seconds"]
            r["us_per_req"] = r["cpu"] / r["requests"] * 1e6
            r["ratio"] = r["us_per_req"] / w["us_per_req"]
            flow.append(r)
            print(f"round {rnd}: wrk {w['rps']:,.0f} req/s {w['us_per_req']:.2f} µs/req | "
                  f"flow {r['rps']:,.0f} req/s {r['us_per_req']:.2f} µs/req (user "
                  f"{r['cpu_user'] / r['requests'] * 1e6:.2f}, sys "
                  f"{r['cpu_sys'] / r['requests'] * 1e6:.2f}) -> {r['ratio']:.2f}× wrk",
                  file=sys.stderr)
        if args.profile:
            prof = profile_report(text, args.duration + 60, "flow")
            check_run(prof["run"])
    wrk_us = median(wrk, lambda r: r["us_per_req"])
    ratio = median(flow, lambda r: r["ratio"])
    rows = [
        [f"wrk -t1 -c{args.vus}, static GET", f"{median(wrk, lambda r: r['rps']):,.0f}",
         f"{wrk_us:.2f}", "1.00×", spread(wrk, lambda r: r["us_per_req"])],
        [f"httptool, 4-step flow, {args.vus} VUs", f"{median(flow, lambda r: r['rps']):,.0f}",
         f"{median(flow, lambda r: r['us_per_req']):.2f}", f"{ratio:.2f}×",
         spread(flow, lambda r: r["us_per_req"])],
    ]
    md = table(["generator (CPU 1)", "req/s (median)", "CPU µs/request (median)",
                "CPU/request vs wrk (median of same-round ratios)", "µs/request range"], rows)
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(f"\n{machine_line(m)} · {args.duration}s × {args.rounds} rounds\n")
    print(md)
    print(f"\nGoal: CPU/request ≤ {GOAL:g}× wrk's static GET — {verdict} ({ratio:.2f}×; "
          f"same-round ratios {spread(flow, lambda r: r['ratio'])}).")
    if prof:
        print("\n" + prof["markdown"])
    path = write_json("flow_vs_wrk", {"machine": m, "args": vars(args), "wrk": wrk,
                                      "httptool": flow, "ratio_median": ratio, "goal": GOAL,
                                      "table": md, "profile": prof})
    print(f"JSON: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
