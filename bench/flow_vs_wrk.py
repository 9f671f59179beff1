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

import sys
from typing import Any

from _common import (
    FLOW_LOCATIONS,
    ensure_tools,
    machine,
    nginx,
    profile_report,
    scenario_text,
    vs_wrk_row,
)
from _vs_wrk import variants, vs_wrk_parser, vs_wrk_report, vs_wrk_rounds, wrk_row

GOAL = 3.0


def check_run(r: dict[str, Any], last: str) -> None:
    if r["failures"] or r["checks_failed"] or r["by_name"].get(last, 0) == 0:
        sys.exit(f"httptool run had failures: {r['failures_by_kind']} {r['by_name']}")


def main() -> None:
    args = vs_wrk_parser(__doc__, "an extra 4-step flow row with these knobs (e.g. pure=1)"
                         ).parse_args()
    extra = variants(args)
    ensure_tools()
    m = machine()
    prof: dict[str, Any] = {}
    with nginx(FLOW_LOCATIONS) as base:
        load = f"{args.vus} vus for {args.duration}s"
        texts = {"flow": scenario_text(base, "flow", load, "login -> me"),
                 "static": scenario_text(base, "static", load)}
        plan = {name: (text, {}) for name, text in texts.items()}
        plan.update({f"flow, {v}": (texts["flow"], knobs) for v, knobs in extra.items()})
        res = vs_wrk_rounds(base, plan, args, lambda name, r: check_run(
            r, "get" if name == "static" else "me"))
        if args.profile:
            prof = profile_report(texts["flow"], args.duration + 60, "flow")
            check_run(prof["run"], "me")
    ratio = res.ratio("flow")
    rows = [wrk_row(f"wrk -t1 -c{args.vus}, static GET", res)]
    labels = [("flow", "4-step flow"), ("static", "static GET (as vu_static)"),
              *((f"flow, {v}", f"4-step flow, {v}") for v in extra)]
    for name, label in labels:
        rows.append(vs_wrk_row(f"httptool, {label}, {args.vus} VUs", res.runs[name],
                               res.ratio_cell(name)))
    verdict = "met" if ratio <= GOAL else "NOT met"
    vs_wrk_report("flow_vs_wrk", m, args, res, rows,
                  f"Goal: 4-step flow CPU/request ≤ {GOAL:g}× wrk's static GET — {verdict} "
                  f"({ratio:.2f}×).", {"ratio_median": ratio, "goal": GOAL}, prof)


if __name__ == "__main__":
    main()
