"""How often does ``httptool compare`` call two runs of the same build different?

Runs the same scenario N times against the built-in target (``--delay`` makes it a
service answering in a few ms), then compares each run with the next, as a pull
request's run is compared with the last good run of main. A *false positive* is a pair
with a better/worse row (tallied for several ``--min-change`` floors) or a failed gate
(of :data:`GATES`). Every run is a real
load run of ``--duration`` on loopback; the target is pinned to CPU 0 and httptool to
CPU 1 with ``taskset`` (when there are two CPUs), so the noise measured is the
machine's, not the two processes fighting over one core.

Not a test: ``.venv/bin/python bench/compare_noise.py --runs 20`` (about 3 s a run);
results in docs/ci.md. Bounded: N runs of a fixed duration, traffic to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from httptool.report.compare import BETTER, WORSE, compare_files
from httptool.report.gates import evaluate_gates, parse_gate
from httptool.target.server import ProcessTarget

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.journeys import shop

GATES = ("p95 > +25%", "p50 > +10%", "error_rate > +0.5pp")


def pin(cpu: int) -> list[str]:
    if shutil.which("taskset") and len(os.sched_getaffinity(0)) >= 2:
        return ["taskset", "-c", str(cpu)]
    return []


def httptool(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*pin(1), sys.executable, "-m", "httptool", *args], env=env,
                          capture_output=True, text=True, timeout=300)


#: --min-change floors tallied from the same runs
FLOORS = (0.05, 0.10, 0.20, 0.30)


def tally(paths: list[Path], floor: float) -> dict[str, object]:
    """Compare each run with the next one (a PR's run against the last good run of main)
    with the verdict floor ``floor``: how many pairs had a better/worse row or a failed
    gate, and which rows and gates."""
    rows_flagged: Counter[str] = Counter()
    gate_fails: Counter[str] = Counter()
    any_verdict = any_gate = 0
    gates = [parse_gate(g) for g in GATES]
    for a, b in pairwise(paths):
        cmp = compare_files(str(a), str(b), min_change=floor)
        flagged = [f"{r.scope}.{r.metric}" for r in cmp.rows if r.verdict in (BETTER, WORSE)]
        failed = [o.gate.text for o in evaluate_gates(gates, cmp) if not o.passed]
        rows_flagged.update(flagged)
        gate_fails.update(failed)
        any_verdict += bool(flagged)
        any_gate += bool(failed)
    return {"pairs_with_a_better_or_worse_row": any_verdict,
            "pairs_with_a_failed_gate": any_gate,
            "rows_flagged": dict(rows_flagged.most_common()),
            "gate_failures": dict(gate_fails)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--duration", default="2s")
    ap.add_argument("--vus", type=int, default=4)
    ap.add_argument("--delay", default="5ms")
    args = ap.parse_args()
    if args.runs < 2 or args.runs > 500:
        raise SystemExit("--runs must be 2..500")
    tmp = Path(tempfile.mkdtemp(prefix="compare-noise-"))
    f = tmp / "s.httpx"
    f.write_text(shop(args.vus, args.duration))
    server = ProcessTarget(extra_args=["--delay", args.delay])
    server.start()
    try:
        cmd = pin(0)
        if cmd:  # the target is already running: move it to CPU 0
            subprocess.run(["taskset", "-pc", "0", str(server._proc.pid)],  # type: ignore[union-attr]
                           capture_output=True, check=False)
        env = dict(os.environ, BASE=server.url)
        paths = []
        for i in range(args.runs):
            p = tmp / f"run{i}.json"
            r = httptool("scenario", "run", str(f), "--workers", "1", "-q", "--summary-json",
                         str(p), env=env)
            if r.returncode != 0:
                raise SystemExit(f"run {i} exited {r.returncode}: {r.stderr}")
            paths.append(p)
    finally:
        server.stop()
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
                   f"{os.getloadavg()[0]:.1f} at the end",
        "args": vars(args), "pairs": len(paths) - 1,
        "by_min_change": {f"{m:.0%}": tally(paths, m) for m in FLOORS},
    }
    print(json.dumps(result, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
