"""Rounds of httptool scenarios against wrk's static GET on one nginx, and their table.

flow_vs_wrk.py and vu_static_vs_wrk.py measure different scenarios the same way: every
round runs wrk first, then each httptool row, so each row's ratio is to the wrk of its
own round (drift on the shared machine hits both alike). This is that loop and the
report; the scripts say what they run and what they check.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from _common import (
    VS_WRK_HEADER,
    bench_parser,
    machine_line,
    median,
    per_request,
    round_line,
    run_scenario,
    run_wrk,
    spread,
    table,
    vs_wrk_row,
    write_json,
)

#: An httptool row: its scenario text and ``run_scenario``'s knobs.
Row = tuple[str, dict[str, str]]


def vs_wrk_parser(doc: str, variant_help: str = "") -> argparse.ArgumentParser:
    """The options every script of this kind takes (more can be added); with
    ``variant_help``, also ``--variant K=V[,K=V]`` (repeatable, see :func:`variants`)."""
    ap = bench_parser(doc)
    ap.add_argument("--profile", action="store_true", help="one more run under py-spy")
    if variant_help:
        ap.add_argument("--variant", action="append", default=[], metavar="K=V[,K=V]",
                        help=variant_help)
    return ap


def variants(args: argparse.Namespace) -> dict[str, dict[str, str]]:
    """``--variant`` values as ``{"K=V,K2=V2": {"K": "V", "K2": "V2"}}``: the knobs of
    ``_common.run_scenario`` for one more httptool row each."""
    return {v: dict(kv.split("=", 1) for kv in v.split(",")) for v in args.variant}


@dataclass
class VsWrk:
    """wrk's runs and each httptool row's, one per round, annotated by ``per_request``
    (httptool's with ``ratio``: its CPU per request over that round's wrk)."""

    wrk: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def ratio(self, name: str) -> float:
        return median(self.runs[name], lambda r: r["ratio"])

    def ratio_cell(self, name: str) -> str:
        rs = self.runs[name]
        return f"{self.ratio(name):.2f}× ({spread(rs, lambda r: r['ratio'])})"


def vs_wrk_rounds(base: str, rows: Mapping[str, Row], args: argparse.Namespace,
                  check: Callable[[str, dict[str, Any]], None]) -> VsWrk:
    """``args.rounds`` rounds (at most 20) of ``wrk -t1 -c VUS`` on ``base``/ then every
    row; ``check(name, run)`` exits on a run that must not count (failures)."""
    res = VsWrk(runs={name: [] for name in rows})
    for rnd in range(1, min(args.rounds, 20) + 1):
        w = per_request(run_wrk(base + "/", args.vus, args.duration))
        res.wrk.append(w)
        line = [round_line("wrk", w)]
        for name, (text, knobs) in rows.items():
            r = per_request(run_scenario(text, timeout=args.duration + 60, knobs=knobs))
            check(name, r)
            r["ratio"] = r["us_per_req"] / w["us_per_req"]
            res.runs[name].append(r)
            line.append(round_line(name, r))
        print(f"round {rnd}: " + " | ".join(line), file=sys.stderr)
    return res


def vs_wrk_report(name: str, m: dict[str, Any], args: argparse.Namespace, res: VsWrk,
                  table_rows: list[list[str]], goal_line: str, extra: dict[str, Any],
                  prof: dict[str, Any]) -> None:
    """Print the table of medians, the goal's verdict and the profile; write
    ``RESULTS_DIR/NAME.json`` (machine, arguments, every run, ``extra``)."""
    md = table(VS_WRK_HEADER, table_rows)
    print(f"\n{machine_line(m)} · {args.duration}s × {args.rounds} rounds (medians)\n")
    print(md)
    print("\n" + goal_line)
    if prof:
        print("\n" + prof["markdown"])
    path = write_json(name, {"machine": m, "args": vars(args), "wrk": res.wrk,
                             "httptool": res.runs, **extra, "table": md, "profile": prof})
    print(f"JSON: {path}", file=sys.stderr)


def wrk_row(label: str, res: VsWrk) -> list[str]:
    return vs_wrk_row(label, res.wrk, "1.00×")
