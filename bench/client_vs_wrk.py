"""HTTP client vs wrk: requests/s and generator CPU per request on one pinned core.

Not a test. Run as root on Debian/Ubuntu (installs nginx and wrk when missing):

    .venv/bin/python bench/client_vs_wrk.py [--duration 5] [--connections 50] [--rounds 3]

nginx (1 worker, ``return 200`` of a 13-byte body, access log off) is pinned to CPU 0
and the generator to CPU 1 with ``taskset``. Each round runs wrk (``-t1 -cN -dDs``) and
two closed loops of N keep-alive connections driven by httptool's client — the bare
callback path (``ConnectionPool.start``) and the full ``await ConnectionPool.send`` path a
VU uses — in turn, so drift on the shared machine hits all alike. Generator CPU is
user+system time: for wrk from ``getrusage(RUSAGE_CHILDREN)`` of its process, for the
client from the process's own ``getrusage`` around the measured loop (interpreter
start-up excluded). Prints a markdown table of medians and the ratio to wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

from _common import ensure_tools, nginx, run_child, run_wrk


# ---------------------------------------------------------------------------- client side
def client_loop(url: str, connections: int, duration: float, mode: str) -> dict[str, float]:
    """Closed loop: each connection sends its next request as soon as the last ends."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from httptool.engine.client import ConnectionPool
    from httptool.engine.loop import run
    from httptool.engine.request import build_request

    async def main() -> dict[str, float]:
        pool = ConnectionPool()
        req = build_request("GET", url)
        for _ in range(connections):
            r = await pool.open(req)
            if r.error:
                raise SystemExit(f"connect failed: {r.reason}")
        loop = asyncio.get_running_loop()
        count = errors = 0
        running = True  # cleared by a timer, as wrk stops: no clock read per request

        def stop() -> None:
            nonlocal running
            running = False
        lat: list[int] = []
        rec = lat.append

        if mode == "callback":
            done = loop.create_future()
            active = connections

            def on_done(resp) -> None:  # type: ignore[no-untyped-def]
                nonlocal count, errors, active
                count += 1
                rec(resp.end_ns - resp.start_ns)
                if resp.error is not None:
                    errors += 1
                if running and pool.start(req, on_done):
                    return
                active -= 1
                if active == 0:
                    done.set_result(None)

            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            loop.call_later(duration, stop)
            for _ in range(connections):
                pool.start(req, on_done)
            await done
        else:
            async def worker() -> None:
                nonlocal count, errors
                send = pool.send
                while running:
                    resp = await send(req)
                    count += 1
                    rec(resp.end_ns - resp.start_ns)
                    if resp.error is not None:
                        errors += 1

            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            loop.call_later(duration, stop)
            await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        user, sys_ = ru1.ru_utime - ru0.ru_utime, ru1.ru_stime - ru0.ru_stime
        pool.close()
        return {"requests": count, "errors": errors, "seconds": elapsed, "cpu": user + sys_,
                "cpu_user": user, "cpu_sys": sys_}

    return run(main())


# ---------------------------------------------------------------------------- harness
# nginx, wrk and child processes: bench/_common.py (shared by every engine benchmark)


def run_client(url: str, conns: int, duration: float, mode: str, python: str
               ) -> dict[str, float]:
    cmd = ["taskset", "-c", "1", python, __file__, "--client-run", url, "--mode", mode,
           "--connections", str(conns), "--duration", str(duration)]
    out, _, _ = run_child(cmd, timeout=duration + 60)
    return json.loads(out)


def python_line(python: str) -> str:
    """Version and installation of the client's interpreter: the build matters (a
    distribution's Python ran our code ~10 % faster than a pyenv build here)."""
    code = "import platform, sys; print(platform.python_version(), sys.base_prefix)"
    out, _, _ = run_child([python, "-c", code], timeout=30)
    return out.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter for the client runs (default: this one); it needs "
                         "httptool's dependencies, e.g. a venv made with `make venv PY=...`")
    ap.add_argument("--client-run", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="callback", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client_run:
        print(json.dumps(client_loop(args.client_run, args.connections, args.duration,
                                     args.mode)))
        return
    ensure_tools()
    kinds = {
        "wrk": lambda u: run_wrk(u, args.connections, args.duration),
        "httptool (callback path)": lambda u: run_client(u, args.connections, args.duration,
                                                         "callback", args.python),
        "httptool (await send)": lambda u: run_client(u, args.connections, args.duration,
                                                      "send", args.python),
    }
    results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    with nginx() as base:
        url = f"{base}/"
        for rnd in range(args.rounds):
            for name, fn in kinds.items():
                r = fn(url)
                results[name].append(r)
                print(f"round {rnd + 1} {name}: {r['requests'] / r['seconds']:,.0f} req/s, "
                      f"{r['cpu'] / r['requests'] * 1e6:.2f} µs CPU/req, "
                      f"{int(r['errors'])} errors", file=sys.stderr)
    wrk_cpu = statistics.median(r["cpu"] / r["requests"] for r in results["wrk"]) * 1e6
    print(f"\nMachine: {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} CPUs · client Python {python_line(args.python)} · "
          f"nginx on CPU 0, generator on CPU 1 · -c{args.connections} "
          f"{args.duration:g}s × {args.rounds} rounds\n")
    print("| generator | req/s (median) | CPU µs/request (median) | user | system "
          "| CPU/request vs wrk (median of rounds) | per round |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, rs in results.items():
        rps = statistics.median(r["requests"] / r["seconds"] for r in rs)
        cpu = statistics.median(r["cpu"] / r["requests"] for r in rs) * 1e6
        user = statistics.median(r["cpu_user"] / r["requests"] for r in rs) * 1e6
        sys_ = statistics.median(r["cpu_sys"] / r["requests"] for r in rs) * 1e6
        # each round against the wrk run of the same round: drift hits both alike
        ratios = [(r["cpu"] / r["requests"]) / (w["cpu"] / w["requests"])
                  for r, w in zip(rs, results["wrk"], strict=True)]
        rounds = " ".join(f"{x:.2f}" for x in ratios)
        print(f"| {name} | {rps:,.0f} | {cpu:.2f} | {user:.2f} | {sys_:.2f} "
              f"| {statistics.median(ratios):.2f}× | {rounds} |")
    print(f"\n(wrk's median CPU/request: {wrk_cpu:.2f} µs; ratios are paired by round)")


if __name__ == "__main__":
    main()
