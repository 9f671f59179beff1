"""How many closed-model VUs one core gets running within 1 s (issue 23 item 9).

Not a test. Run by hand (loopback only; nginx from Debian, as bench/_common.py):

    .venv/bin/python bench/vu_startup.py [--rounds 3] [--vus 2000,5000,10000,18000]

nginx (1 worker) on CPU 0 answers a static GET; ``httptool run`` pinned to CPU 1 with
``--workers 1`` runs ``--vus N --duration 1s --graceful-stop 1s``. Figures per case, the
median of ``--rounds``: VUs reached (``vus.max`` of the summary JSON: the most running at
once), iterations completed, and the run's duration as the summary reports it. Two
builds in the same rounds, interleaved: this one (starts of at most START_BATCH VUs per
pass, none while CONNECT_LIMIT connects are pending) and the reference "burst" (both
limits lifted in the child: every VU started in one pass, as before issue 23).
Results also go to ``$HTTPTOOL_BENCH_OUT/vu_startup.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import ROOT, STATIC_LOCATION, machine, machine_line, median, nginx, table, write_json

#: the child: optionally lift the two limits, then the CLI itself
CHILD = """
import sys
if sys.argv.pop(1) == "burst":
    from httptool.engine import executors
    executors.START_BATCH = executors.CONNECT_LIMIT = 10**9
from httptool.cli import main
main(sys.argv[1:])
"""


def one(url: str, vus: int, build: str, tmp: Path) -> dict[str, Any]:
    scenario = tmp / "s.httpx"
    scenario.write_text(f"request get {{ curl {url}/ }}\n"
                        "scenario s: load 1 vus for 1s | run get\n", encoding="utf-8")
    out = tmp / "summary.json"
    cmd = ["taskset", "-c", "1", sys.executable, "-c", CHILD, build, "run", str(scenario),
           "--vus", str(vus), "--duration", "1s", "--graceful-stop", "1s", "--workers", "1",
           "-q", "--summary-json", str(out)]
    subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    s = json.loads(out.read_text(encoding="utf-8"))
    return {"reached": s["vus"]["max"], "completed": s["iterations"]["completed"],
            "interrupted": s["iterations"]["interrupted"], "duration": s["duration_s"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--vus", default="2000,5000,10000,18000")
    args = ap.parse_args()
    counts = [int(v) for v in args.vus.split(",")]
    m = machine()
    results: dict[str, list[dict[str, Any]]] = {}
    with nginx([STATIC_LOCATION], connections=20000) as url, \
            tempfile.TemporaryDirectory() as d:
        for r in range(args.rounds):
            for vus in counts:
                for build in ("batched", "burst"):
                    row = one(url, vus, build, Path(d))
                    results.setdefault(f"{build} {vus}", []).append(row)
                    print(f"round {r + 1} {build:7} {vus:6}: {row}", file=sys.stderr)
    rows = []
    for vus in counts:
        for build in ("batched", "burst"):
            runs = results[f"{build} {vus}"]
            rows.append([f"{build}", f"{vus:,}",
                         f"{median(runs, lambda x: x['reached']):,.0f}",
                         f"{median(runs, lambda x: x['completed']):,.0f}",
                         f"{median(runs, lambda x: x['interrupted']):,.0f}",
                         f"{median(runs, lambda x: x['duration']):.2f}"])
    print(machine_line(m))
    print(table(["build", "VUs asked", "VUs reached", "iterations", "interrupted",
                 "run (s, planned 1 + 1 grace)"], rows, right_from=1))
    write_json("vu_startup", {"machine": m, "results": results})


if __name__ == "__main__":
    main()
