"""Does --progress slow the load? The CLI with no progress, the plain lines and the live
panel, same scenario, interleaved rounds.

Not a test. Run as root on Debian (installs nginx and wrk when missing):

    .venv/bin/python bench/progress_overhead.py [--duration 5] [--vus 50] [--rounds 3]

``httptool scenario run --workers 1`` (the shard in a thread of the CLI process, so the
progress rendering shares the generator's one core) is pinned to CPU 1, nginx to CPU 0.
Three variants per round: no ``--progress``; ``--progress`` to a pipe (plain lines every
2 s); ``--progress`` on a pseudo-terminal (``script -qc``: the rich live panel, redrawn
up to 4 times a second). Requests/s come from ``--summary-json``; CPU per request from
``RUSAGE_CHILDREN`` (whole process, start-up included, the same in every variant).
"""

from __future__ import annotations

import json
import resource
import shlex
import subprocess
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    bench_parser,
    ensure_tools,
    interleaved_rounds,
    machine,
    machine_line,
    median,
    static_get_file,
    table,
    write_json,
)

VARIANTS = ("off", "plain", "live")


def run_cli(scenario: Path, variant: str, out: Path) -> dict[str, Any]:
    cli = [str(ROOT / ".venv/bin/httptool"), "scenario", "run", str(scenario), "--workers",
           "1", "--summary-json", str(out), "--no-color"]
    if variant != "off":
        cli.append("--progress")
    cmd = ["taskset", "-c", "1", *cli]
    if variant == "live":
        cmd = ["script", "-qec", shlex.join(cmd), "/dev/null"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{variant}: exit {p.returncode}\n{p.stderr[-2000:]}")
    doc = json.loads(out.read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    n = doc["requests"]
    return {"variant": variant, "requests": n, "rps": doc["rps"],
            "cpu_us_per_request": cpu / n * 1e6 if n else 0.0,
            "progress_lines": p.stdout.count("Progress:")}


def main() -> None:
    args = bench_parser(__doc__).parse_args()
    ensure_tools()
    m = machine()
    with static_get_file(f"{args.vus} vus for {args.duration}s") as (_, f):
        runs = interleaved_rounds(
            args.rounds, VARIANTS, lambda v: run_cli(f, v, f.parent / f"{v}.json"),
            lambda res: f"{res['rps']:,.0f} req/s, {res['cpu_us_per_request']:.2f} µs/request")
    rows = []
    base = median([x for x in runs if x["variant"] == "off"], lambda x: x["rps"])
    for v in VARIANTS:
        sel = [x for x in runs if x["variant"] == v]
        rps = median(sel, lambda x: x["rps"])
        rows.append([v, f"{rps:,.0f}", f"{median(sel, lambda x: x['cpu_us_per_request']):.2f}",
                     f"{(rps / base - 1) * 100:+.1f} %"])
    print(machine_line(m) + f" · {args.duration}s × {args.rounds} rounds (medians)\n")
    print(table(["--progress", "req/s", "CPU µs/request", "req/s vs off"], rows))
    print("JSON:", write_json("progress_overhead", {"machine": m, "runs": runs}))


if __name__ == "__main__":
    main()
