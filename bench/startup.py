"""Start-up of the CLI: CPU (user+sys) and wall of ``--help``, ``--version``, a one-request
``scenario run`` and an ``exec`` of one curl, with the interpreter and curl as references.

Not a test. Run by hand (loopback only; no root needed):

    .venv/bin/python bench/startup.py [--rounds 15] [--cpu 1]

Every command runs pinned to one core (``taskset -c CPU``) ``--rounds`` times, the cases
interleaved within a round so a noisy neighbour hits them alike; tables show medians and
ranges. CPU is the child's own ``RUSAGE_CHILDREN`` (interpreter start-up included: that is
what a user waits for). For ``scenario run`` and ``exec`` a loopback server records when
the first connection arrives: "to first request" is launch → that accept. Issue 20's goals:
``--help``/``--version`` ≤ 0.15 s of CPU; first request of a one-request run ≤ 0.3 s after
launch; ``exec`` ≤ 0.3 s in all. Results also go to ``$HTTPTOOL_BENCH_OUT/startup.json``.
Bytecode is cached (outside the checkout) as for an installed package, whatever
PYTHONDONTWRITEBYTECODE says. ``--before SRC`` adds the httptool rows run on another
tree's sources (``git archive COMMIT src | tar -x -C DIR``; SRC is DIR/src) in the same
rounds, for a before/after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    FirstArrival,
    machine,
    machine_line,
    median,
    table,
    write_json,
)

ONE_REQUEST = """
request first {{
  curl {url}/first
  assert {{ status == 200 }}
}}

scenario startup {{
  load 1 iterations with 1 vus
  run first
}}
"""

#: case -> goal (seconds) and which figure the goal is about
GOALS = {"--help": (0.15, "cpu"), "--version": (0.15, "cpu"),
         "scenario run (1 request)": (0.3, "first"), "exec (1 curl)": (0.3, "wall")}


def child_env(cache: Path, src: str | None) -> dict[str, str]:
    """The launches' environment: bytecode cached (in ``cache``, outside the checkout), as
    an installed package has it — even where the shell sets PYTHONDONTWRITEBYTECODE, which
    would make every launch compile the tool's ~80 modules from source (~0.4 s of CPU);
    ``src``: import httptool from that tree instead (``--before``)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if src:
        env["PYTHONPATH"] = src
    return env


def measure(cmd: list[str], server: FirstArrival | None, env: dict[str, str]
            ) -> dict[str, Any]:
    """One launch of ``cmd``: wall to exit, CPU, and launch → first accept at ``server``."""
    if server is not None:
        server.reset()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, timeout=60, env=env)
    t_exit = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{cmd} failed ({out.returncode}):\n{out.stderr.decode()[-2000:]}")
    r = {"wall": t_exit - t0, "user": after.ru_utime - before.ru_utime,
         "sys": after.ru_stime - before.ru_stime}
    r["cpu"] = r["user"] + r["sys"]
    if server is not None:
        if server.first is None:
            raise SystemExit(f"{cmd}: no request arrived")
        r["first"] = server.first - t0
    return r


def cases(tmp: Path, url: str, cpu: str) -> dict[str, tuple[list[str], bool]]:
    """case name -> (command, whether it sends a request)."""
    src = tmp / "one.httpx"
    src.write_text(ONE_REQUEST.format(url=url))
    pin = ["taskset", "-c", cpu]
    tool = [*pin, str(ROOT / ".venv" / "bin" / "httptool")]
    out: dict[str, tuple[list[str], bool]] = {
        "python -c pass (interpreter floor)": ([*pin, sys.executable, "-c", "pass"], False),
        "--help": ([*tool, "--help"], False),
        "--version": ([*tool, "--version"], False),
        "scenario run (1 request)": (
            [*tool, "scenario", "run", str(src), "--workers", "1", "--quiet"], True),
        "exec (1 curl)": ([*tool, "exec", f"curl -s {url}/first"], True),
    }
    if shutil.which("curl"):
        out["curl -s (reference)"] = ([*pin, "curl", "-s", f"{url}/first"], True)
    return out


def cell(rs: list[dict[str, Any]], key: str) -> str:
    """``median (min–max)`` of one figure, in ms."""
    vals = [r[key] * 1e3 for r in rs]
    return f"{median(rs, lambda r: r[key]) * 1e3:.0f} ({min(vals):.0f}–{max(vals):.0f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--cpu", default="1", help="core to pin every command to")
    ap.add_argument("--before", metavar="SRC", default=None,
                    help="also run the httptool commands on this tree's sources (e.g. a "
                    "`git archive` of an older commit), in the same rounds")
    args = ap.parse_args()
    server = FirstArrival()
    runs: dict[str, list[dict[str, Any]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="httptool-startup-") as d:
            tmp = Path(d)
            todo = {name: (cmd, sends, child_env(tmp / "pyc", None))
                    for name, (cmd, sends) in cases(tmp, server.url, args.cpu).items()}
            if args.before:
                todo.update({f"{name} [before]": (cmd, sends,
                                                  child_env(tmp / "pyc-before", args.before))
                             for name, (cmd, sends) in cases(tmp, server.url, args.cpu).items()
                             if "httptool" in cmd[3]})
            for cmd, _, env in todo.values():  # warm the page cache and the bytecode
                measure(cmd, None, env)
            for _ in range(args.rounds):
                for name, (cmd, sends, env) in todo.items():
                    runs.setdefault(name, []).append(
                        measure(cmd, server if sends else None, env))
    finally:
        server.close()
    rows = []
    for name, rs in runs.items():
        first = cell(rs, "first") if "first" in rs[0] else "–"
        goal = GOALS.get(name)
        verdict = "–"
        if goal:
            limit, key = goal
            verdict = f"≤ {limit * 1e3:.0f} ms {key}: " + (
                "met" if median(rs, lambda r, k=key: r[k]) <= limit else "not met")
        rows.append([name, cell(rs, "cpu"), f"{median(rs, lambda r: r['user']) * 1e3:.0f}",
                     f"{median(rs, lambda r: r['sys']) * 1e3:.0f}", cell(rs, "wall"), first,
                     verdict])
    m = machine()
    print(machine_line(m))
    print(f"medians of {args.rounds} runs, pinned to CPU {args.cpu}; ms (range)\n")
    print(table(["command", "CPU ms", "user", "sys", "wall ms", "to first request ms",
                 "goal"], rows))
    path = write_json("startup", {"machine": m, "rounds": args.rounds, "runs": runs})
    print(f"\nraw: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
