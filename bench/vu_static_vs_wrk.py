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

import sys
from typing import Any

from _common import ensure_tools, machine, nginx, profile_report, scenario_text, vs_wrk_row
from _vs_wrk import variants, vs_wrk_parser, vs_wrk_report, vs_wrk_rounds, wrk_row

GOAL = 1.3


def check_run(_name: str, r: dict[str, Any]) -> None:
    if r["failures"] or r["checks_failed"]:
        sys.exit(f"httptool run had failures: {r['failures_by_kind']}")


def main() -> None:
    args = vs_wrk_parser(__doc__, "an extra httptool row with these knobs (e.g. gc=off)"
                         ).parse_args()
    rows_knobs: dict[str, dict[str, str]] = {"httptool": {}, **variants(args)}
    ensure_tools()
    m = machine()
    prof: dict[str, Any] = {}
    with nginx() as base:
        text = scenario_text(base, "static", f"{args.vus} vus for {args.duration}s")
        res = vs_wrk_rounds(base, {v: (text, knobs) for v, knobs in rows_knobs.items()}, args,
                            check_run)
        if args.profile:
            prof = profile_report(text, args.duration + 60, "vu_static")
    ratio = res.ratio("httptool")
    rows = [wrk_row(f"wrk -t1 -c{args.vus}", res)]
    for v, rs in res.runs.items():
        label = f"httptool run_shard, {args.vus} VUs" + ("" if v == "httptool" else f", {v}")
        rows.append(vs_wrk_row(label, rs, res.ratio_cell(v)))
    verdict = "met" if ratio <= GOAL else "NOT met"
    vs_wrk_report("vu_static_vs_wrk", m, args, res, rows,
                  f"Goal: CPU/request ≤ {GOAL}× wrk — {verdict} ({ratio:.2f}×).",
                  {"ratio_median": ratio, "goal": GOAL}, prof)


if __name__ == "__main__":
    main()
