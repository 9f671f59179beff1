"""How often the client resends a request (issue 16) against a server's keep-alive timeout.

Not a test. Run by hand (loopback only, no root):

    .venv/bin/python bench/resend_rate.py [--rounds 2] [--duration 5] [--vus 20]

Each case runs ``httptool scenario run`` (``--workers 1``, pinned to CPU 1) of ``VUS vus
for D``, each iteration ``GET, think, GET``, against the fault server of
tests/support/faultserver.py in this process (CPU 0) with a keep-alive timeout: none;
shorter than the think time (the server closes every idle connection before its reuse:
the pool drops it, nothing is resent); and inside the think time's range (the server's
close can cross the client's reuse: the worst case). ``resent`` and ``requests`` are from
``--summary-json``, ``server`` is the fault server's own count of request heads read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, bench_parser, machine, machine_line, table

sys.path.insert(0, str(ROOT / "tests"))
from support.faultserver import FaultServer

SCENARIO = """
request a {{
  curl {base}/ok
}}
scenario s {{
  load {vus} vus for {duration}s
  run a
  think {think}
  run a
}}
"""

#: (label, server keep-alive timeout in seconds or None, think time)
CASES = [
    ("none", None, "100ms"),
    ("50 ms (shorter than the think time)", 0.05, "100ms"),
    ("100 ms (inside the think time's range: the worst case)", 0.1, "90ms..110ms"),
]


def run_case(timeout: float | None, think: str, vus: int, duration: int, tmp: Path
             ) -> dict[str, int]:
    srv = FaultServer(idle_timeout=timeout).start_in_thread()
    try:
        src = tmp / "resend.httpx"
        src.write_text(SCENARIO.format(base=srv.base, vus=vus, duration=duration,
                                       think=think))
        summary = tmp / "resend.json"
        cmd = ["taskset", "-c", "1", str(ROOT / "bin" / "httptool"), "scenario", "run",
               str(src), "--workers", "1", "--quiet", "--summary-json", str(summary)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
        if not summary.exists():
            raise SystemExit(f"run failed ({out.returncode}):\n{out.stderr[-2000:]}")
        doc = json.loads(summary.read_text())
    finally:
        srv.stop_thread()
    return {"requests": doc["requests"], "resent": doc["resent"],
            "failures": doc["failures"], "server": srv.total}


def main() -> None:
    args = bench_parser(__doc__, vus=20, rounds=2).parse_args()
    os.sched_setaffinity(0, {0})  # the fault server's thread stays off the tool's core
    rows = []
    with tempfile.TemporaryDirectory(prefix="httptool-resend-") as d:
        for rnd in range(args.rounds):
            for label, timeout, think in CASES:
                r = run_case(timeout, think, args.vus, args.duration, Path(d))
                rate = r["resent"] / max(r["requests"], 1) * 100
                print(f"round {rnd + 1}: {label}: {r}", file=sys.stderr)
                rows.append([label, think.replace("..", "–"), f"{r['requests']:,}",
                             f"{r['resent']} ({rate:.2f} %)", f"{r['failures']}",
                             f"{r['server']:,}"])
    print(machine_line(machine()))
    print(f"{args.vus} VUs for {args.duration} s, 1 worker, {args.rounds} rounds\n")
    print(table(["server keep-alive timeout", "think time", "requests", "resent",
                 "failures", "server counted"], rows))


if __name__ == "__main__":
    main()
