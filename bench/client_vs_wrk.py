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
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NGINX_CONF = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 120s;
    server {{
        listen 127.0.0.1:{port};
        location / {{ default_type text/plain; return 200 "hello, world\\n"; }}
    }}
}}
"""


# ---------------------------------------------------------------------------- client side
def client_loop(url: str, connections: int, duration: float, mode: str) -> dict[str, float]:
    """Closed loop: each connection sends its next request as soon as the last ends."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from httptool.engine.client import ConnectionPool
    from httptool.engine.loop import new_event_loop
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
        stop_at = 0.0
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
                if loop.time() < stop_at and pool.start(req, on_done):
                    return
                active -= 1
                if active == 0:
                    done.set_result(None)

            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            stop_at = loop.time() + duration
            for _ in range(connections):
                pool.start(req, on_done)
            await done
        else:
            async def worker() -> None:
                nonlocal count, errors
                send = pool.send
                while loop.time() < stop_at:
                    resp = await send(req)
                    count += 1
                    rec(resp.end_ns - resp.start_ns)
                    if resp.error is not None:
                        errors += 1

            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            stop_at = loop.time() + duration
            await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        pool.close()
        return {"requests": count, "errors": errors, "seconds": elapsed, "cpu": cpu}

    loop = new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


# ---------------------------------------------------------------------------- harness
def ensure_tools() -> None:
    if shutil.which("nginx") and shutil.which("wrk"):
        return
    print("installing nginx and wrk from Debian ...", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "nginx", "wrk"], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_nginx(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port))
    proc = subprocess.Popen(["taskset", "-c", "0", "nginx", "-p", str(tmp), "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("nginx did not start: " + (tmp / "error.log").read_text())


def run_child(cmd: list[str], timeout: float) -> tuple[str, float]:
    """Run ``cmd``; return its stdout and its CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out.stdout, cpu


_UNITS = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6}


def run_wrk(url: str, conns: int, duration: float) -> dict[str, float]:
    out, cpu = run_child(["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{duration:g}s",
                          url], timeout=duration + 30)
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if not m:
        raise SystemExit("cannot read wrk output:\n" + out)
    unit = {"s": 1.0, "ms": 1e-3, "m": 60.0}[m.group(3)]
    errors = 0
    e = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if e:
        errors = int(e.group(1))
    return {"requests": int(m.group(1)), "seconds": float(m.group(2)) * unit, "cpu": cpu,
            "errors": errors}


def run_client(url: str, conns: int, duration: float, mode: str) -> dict[str, float]:
    cmd = ["taskset", "-c", "1", sys.executable, __file__, "--client-run", url, "--mode", mode,
           "--connections", str(conns), "--duration", str(duration)]
    out, _ = run_child(cmd, timeout=duration + 60)
    return json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
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
                                                         "callback"),
        "httptool (await send)": lambda u: run_client(u, args.connections, args.duration,
                                                      "send"),
    }
    results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory(prefix="httptool-bench-") as d:
        tmp = Path(d)
        port = free_port()
        nginx = start_nginx(tmp, port)
        url = f"http://127.0.0.1:{port}/"
        try:
            for rnd in range(args.rounds):
                for name, fn in kinds.items():
                    r = fn(url)
                    results[name].append(r)
                    print(f"round {rnd + 1} {name}: {r['requests'] / r['seconds']:,.0f} req/s, "
                          f"{r['cpu'] / r['requests'] * 1e6:.2f} µs CPU/req, "
                          f"{int(r['errors'])} errors", file=sys.stderr)
        finally:
            nginx.terminate()
            nginx.wait(10)
    wrk_cpu = statistics.median(r["cpu"] / r["requests"] for r in results["wrk"]) * 1e6
    print(f"\nMachine: {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} CPUs · Python {platform.python_version()} · "
          f"nginx on CPU 0, generator on CPU 1 · -c{args.connections} "
          f"{args.duration:g}s × {args.rounds} rounds\n")
    print("| generator | req/s (median) | CPU µs/request (median) | CPU/request vs wrk |")
    print("|---|---:|---:|---:|")
    for name, rs in results.items():
        rps = statistics.median(r["requests"] / r["seconds"] for r in rs)
        cpu = statistics.median(r["cpu"] / r["requests"] for r in rs) * 1e6
        print(f"| {name} | {rps:,.0f} | {cpu:.2f} | {cpu / wrk_cpu:.2f}× |")


if __name__ == "__main__":
    main()
