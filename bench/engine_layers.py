"""Where a static GET's CPU goes, layer by layer: client -> cookie jar -> VU -> executor ->
run_shard. For finding the engine's hot spots, not a goal of its own.

Not a test. Run as root on Debian (installs nginx and wrk when missing):

    .venv/bin/python bench/engine_layers.py [--duration 4] [--vus 50] [--rounds 3]

Each layer runs 50 concurrent closed loops of a static GET (nginx on CPU 0, a fresh child
process pinned to CPU 1, CPU measured by the child's own ``getrusage`` around the loop):

* ``send``: 50 ``ConnectionPool``s without a cookie jar, each looping ``await send(req)``;
* ``send+jar``: the same with a ``CookieJar`` per pool (what a VU has by default);
* ``vu``: 50 ``VU``s looping ``await vu.iteration()`` over ``run get`` with ``assert {
  status == 200 }`` (Runtime, checks, the metrics recorder and its folds);
* ``executor``: the closed-model ``Executor`` driving those VUs;
* ``run_shard``: the whole shard (snapshots every second), as bench/vu_static_vs_wrk.py.

Two more rows need no network: ``vu, instant send`` and ``flow, instant send`` replace
the VU's ``client.send`` by a coroutine that returns a ready 200 response, so they are the
pure Python cost of the VU layer for the static GET and for the 4-step flow of
bench/flow_vs_wrk.py (per request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    FLOW_LOCATIONS,
    ROOT,
    ensure_tools,
    machine,
    machine_line,
    nginx,
    run_child,
    save_results,
    scenario_block,
    scenario_text,
    table,
)

LAYERS = ("send", "send+jar", "vu", "executor", "run_shard")
NO_NET = ("vu, instant send", "flow, instant send")


def scenarios(url: str, vus: int, duration: int) -> str:
    """The benchmark requests with two scenarios: ``static`` (first) and ``flow``."""
    load = f"{vus} vus for {duration}s"
    return (scenario_text(url, "static", load)
            + scenario_block("flow", load, "login -> me"))

_BODIES = {"/login": b'{"token":"abc123"}', "/me": b'{"id":1,"name":"x"}'}
_HEAD = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Fri, 27 Nov 2026 03:00:00 GMT\r\n"
         b"Content-Type: application/json\r\nContent-Length: 18\r\n"
         b"Connection: keep-alive\r\n\r\n")


def child(mode: str, url: str, vus: int, duration: float) -> dict[str, Any]:
    """Run one layer in this process and measure it."""
    sys.path.insert(0, str(ROOT / "src"))
    from httptool.dsl import compile_source
    from httptool.engine.client import ClientContext, ConnectionPool
    from httptool.engine.cookies import CookieJar
    from httptool.engine.executors import Executor, LoadState, ShardSpec
    from httptool.engine.http import Response
    from httptool.engine.loop import new_event_loop
    from httptool.engine.request import build_request
    from httptool.engine.vu import VU, Runtime
    from httptool.metrics.recorder import Recorder

    text = scenarios(url, vus, max(int(duration), 1))
    plan, diags = compile_source(text, "layers.httpx", None, None)
    if plan is None:
        raise SystemExit(diags.render(text))

    def requests_of(rec: Recorder) -> int:
        return sum(st.requests for st in rec.requests.values())

    async def instant_send(req: Any, *, keep_body: bool = False,
                           cookies: str | None = None) -> Response:
        t = time.perf_counter_ns()
        r = Response(req.method, req.url_text, t)
        r.status, r.raw_head, r.first_ns, r.end_ns = 200, _HEAD, t + 1000, t + 2000
        r.bytes_sent, r.bytes_received = len(req.wire), 200
        if keep_body:
            r.body = _BODIES.get(req.url.path, b"hello, world\n")
        return r

    async def main() -> tuple[int, Any]:
        loop = asyncio.get_running_loop()
        if mode in ("send", "send+jar"):
            ctx = ClientContext()
            req = build_request("GET", url + "/")
            pools = [ConnectionPool(ctx, CookieJar() if mode == "send+jar" else None)
                     for _ in range(vus)]
            for p in pools:  # warm: one connection each
                await p.send(req)
            stop_at = loop.time() + duration
            count = 0

            async def worker(p: ConnectionPool) -> None:
                nonlocal count
                while loop.time() < stop_at:
                    await p.send(req)
                    count += 1

            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            await asyncio.gather(*(worker(p) for p in pools))
            return count, ru0
        rec = Recorder()
        scenario = plan.scenario("flow" if mode.startswith("flow") else "static")
        rt = Runtime(plan, scenario, rec)
        if mode == "executor":
            ex = Executor(scenario.load, lambda i: VU(rt, i), ShardSpec(), LoadState())
            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            await ex.run()
            rec.flush()
            return requests_of(rec), ru0
        if mode.endswith("instant send"):
            vu = VU(rt, 1)
            vu.client.send = instant_send  # type: ignore[method-assign]
            n = 100_000 if mode.startswith("vu") else 50_000
            for _ in range(n // 10):  # warm-up
                await vu.iteration(None)
            before = requests_of(rec)
            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            for _ in range(n):
                await vu.iteration(None)
            return requests_of(rec) - before, ru0
        all_vus = [VU(rt, i + 1) for i in range(vus)]
        stop_at = loop.time() + duration

        async def vu_loop(vu: VU) -> None:
            while loop.time() < stop_at:
                await vu.iteration(None)

        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.gather(*(vu_loop(v) for v in all_vus))
        return requests_of(rec), ru0

    loop = new_event_loop()
    try:
        count, ru0 = loop.run_until_complete(main())
    finally:
        loop.close()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    return {"mode": mode, "requests": count, "cpu_user": ru1.ru_utime - ru0.ru_utime,
            "cpu_sys": ru1.ru_stime - ru0.ru_stime}


def run_layer(mode: str, base: str, vus: int, duration: float) -> dict[str, Any]:
    if mode == "run_shard":
        from _common import run_scenario

        text = scenarios(base, vus, int(duration))
        # run_scenario runs the first scenario of the file: "static"
        r = run_scenario(text, timeout=duration + 60)
        return {"mode": mode, "requests": r["requests"], "cpu_user": r["cpu_user"],
                "cpu_sys": r["cpu_sys"]}
    cmd = ["taskset", "-c", "1", sys.executable, str(Path(__file__).resolve()), "--child",
           mode, "--url", base, "--vus", str(vus), "--duration", str(duration)]
    out, _, _ = run_child(cmd, timeout=duration + 120)
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=4.0)
    ap.add_argument("--vus", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.vus, args.duration)))
        return
    ensure_tools()
    m = machine()
    results: dict[str, list[dict[str, Any]]] = {k: [] for k in (*LAYERS, *NO_NET)}
    with nginx(FLOW_LOCATIONS) as base:
        for rnd in range(1, min(args.rounds, 20) + 1):
            for mode in results:
                r = run_layer(mode, base, args.vus, args.duration)
                n = max(r["requests"], 1)
                r["user_us"] = r["cpu_user"] / n * 1e6
                r["sys_us"] = r["cpu_sys"] / n * 1e6
                r["us"] = r["user_us"] + r["sys_us"]
                results[mode].append(r)
                print(f"round {rnd} {mode}: {r['us']:.2f} µs/req (user {r['user_us']:.2f}, "
                      f"sys {r['sys_us']:.2f}), {r['requests']:,} requests", file=sys.stderr)
    rows = []
    prev = None
    for mode, rs in results.items():
        us = statistics.median(r["us"] for r in rs)
        user = statistics.median(r["user_us"] for r in rs)
        added = "" if prev is None or mode in NO_NET else f"{us - prev:+.2f}"
        rows.append([mode, f"{us:.2f}", f"{user:.2f}",
                     f"{statistics.median(r['sys_us'] for r in rs):.2f}", added])
        if mode not in NO_NET:
            prev = us
    md = table(["layer (CPU 1, 50 loops)", "CPU µs/request", "user µs", "system µs",
                "added by the layer"], rows)
    print(f"\n{machine_line(m)} · {args.duration:g}s × {args.rounds} rounds (medians)\n")
    print(md)
    save_results("engine_layers", m, args, runs=results, table=md)


if __name__ == "__main__":
    main()
