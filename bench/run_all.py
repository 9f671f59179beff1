"""bench/run: httptool against the field — wrk, Locust FastHttpUser and a plain aiohttp
loop on the same nginx, plus open-model pacing, memory and start-up, in one command.

Not a test. Run as root on Debian, through ``bench/run`` (which uses the project venv from
``make venv``). It installs what it needs itself: nginx and wrk from Debian, Locust and
aiohttp with pip into their own virtualenv (``bench/.venv-field``, or
``$HTTPTOOL_FIELD_VENV``; never the project's dependencies).

Method: nginx (one worker) pinned to CPU 0, every generator pinned to CPU 1 with
``taskset``, loopback only, 50 connections/VUs. Every round runs, one after the other:
wrk, httptool's CLI on the static GET, the same scenario through ``run_shard`` in the
bench child (``_common.run_scenario``), Locust on the static GET, the aiohttp loop,
httptool's CLI on the 4-step flow, Locust on the 4-step flow; ratios are taken within a
round, tables show medians over the rounds. CPU per request excludes each tool's start-up:

- wrk: ``RUSAGE_CHILDREN`` (its start-up is negligible);
- httptool CLI (``./bin/httptool scenario run FILE --workers 1 --quiet``): the child's CPU
  minus the median CPU of a one-request run of the same CLI (measured in the start-up
  case: interpreter, imports, compile, summary, exit); the figure with start-up is shown
  too;
- run_shard child, aiohttp loop: their own ``getrusage`` around the load only;
- Locust: ``getrusage`` at its ``test_start`` and ``test_stop`` events
  (``bench/locust_measure.py``).

Then: the open model at 10,000 and 50,000 iterations/s (``open_model.measure``), peak RSS
with 1,000 and 10,000 idle VUs (``vu_memory.measure``), RSS of the CLI process during a
real run of 1 M requests (sampled from ``/proc``), the metrics path at 10 M synthetic
requests (``bench/metrics_memory.py``), and the start-up: launch of ``httptool scenario
run`` to the arrival of its first request at a small server in this process.

Writes ``run_all.md`` (the tables) and ``run_all.json`` (every run) to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import open_model
import vu_memory
from _common import (
    FLOW_LOCATIONS,
    RESULTS_DIR,
    ROOT,
    FirstArrival,
    ensure_tools,
    machine,
    machine_line,
    median,
    nginx,
    per_request,
    run_child,
    run_scenario,
    run_wrk,
    scenario_text,
    spread,
    table,
)
from soak import find_python_child, rss_kb
from startup import ONE_REQUEST

BENCH = Path(__file__).resolve().parent
FIELD_VENV = Path(os.environ.get("HTTPTOOL_FIELD_VENV", BENCH / ".venv-field"))
FIELD_PACKAGES = ("locust>=2.20,<3", "aiohttp>=3.9,<4")

GOAL_STATIC = 1.3  # × wrk CPU/request
GOAL_FLOW = 3.0  # × wrk CPU/request (static GET)
GOAL_LOCUST = 20.0  # Locust CPU/request ÷ httptool's
GOAL_OPEN = open_model.GOAL


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the field


def ensure_field() -> Path:
    """The field venv's bin directory, with Locust and aiohttp installed (pip, once)."""
    bin_dir = FIELD_VENV / "bin"
    ok = (bin_dir / "locust").exists() and subprocess.run(
        [str(bin_dir / "python"), "-c", "import aiohttp, locust"],
        capture_output=True, check=False).returncode == 0
    if not ok:
        log(f"installing {', '.join(FIELD_PACKAGES)} into {FIELD_VENV} ...")
        subprocess.run([sys.executable, "-m", "venv", str(FIELD_VENV)], check=True)
        (FIELD_VENV / ".gitignore").write_text("*\n")  # keep the checkout clean
        p = subprocess.run([str(bin_dir / "pip"), "install", "-q", *FIELD_PACKAGES],
                           capture_output=True, text=True, check=False)
        if p.returncode != 0:
            raise SystemExit("pip install failed:\n" + p.stderr[-3000:])
    return bin_dir


def field_versions(bin_dir: Path) -> dict[str, str]:
    code = "import aiohttp, locust; print(locust.__version__, aiohttp.__version__)"
    out = subprocess.run([str(bin_dir / "python"), "-c", code], capture_output=True,
                         text=True, check=False).stdout.split()
    return {"locust": out[0] if out else "?", "aiohttp": out[1] if len(out) > 1 else "?"}


def run_locust(bin_dir: Path, locustfile: str, base: str, users: int, duration: int
               ) -> dict[str, Any]:
    """One headless Locust process pinned to CPU 1; its figures from the measure hooks."""
    with tempfile.TemporaryDirectory(prefix="httptool-locust-") as d:
        out = Path(d) / "locust.json"
        cmd = ["taskset", "-c", "1", str(bin_dir / "locust"), "-f", str(BENCH / locustfile),
               "--headless", "-u", str(users), "-r", str(users), "-t", f"{duration}s",
               "--host", base, "--only-summary"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 90,
                           env={**os.environ, "BENCH_LOCUST_OUT": str(out)}, check=False)
        if not out.exists():
            raise SystemExit(f"locust {locustfile} gave no figures (exit {p.returncode}):\n"
                             + p.stderr[-3000:])
        r: dict[str, Any] = json.loads(out.read_text())
    if r["failures"] or not r["requests"]:
        raise SystemExit(f"locust {locustfile}: {r['failures']} failures of "
                         f"{r['requests']}:\n{p.stderr[-2000:]}")
    return per_request(r)


def run_aiohttp(bin_dir: Path, url: str, conns: int, duration: int) -> dict[str, Any]:
    """The aiohttp loop (:func:`aiohttp_child`) in the field venv's Python, on CPU 1."""
    cmd = ["taskset", "-c", "1", str(bin_dir / "python"), str(Path(__file__).resolve()),
           "--aiohttp-child", url, str(conns), str(duration)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60,
                       check=False)
    if p.returncode != 0:
        raise SystemExit("aiohttp loop failed:\n" + p.stderr[-3000:])
    r: dict[str, Any] = json.loads(p.stdout.strip().splitlines()[-1])
    if r["errors"]:
        raise SystemExit(f"aiohttp loop: {r['errors']} non-200 answers")
    return per_request(r)


def aiohttp_child(url: str, conns: int, duration: float) -> dict[str, Any]:
    """``conns`` tasks sharing one ``ClientSession``, each GETting ``url`` in a loop and
    reading the body, for ``duration`` s on the default asyncio loop; its own CPU."""
    import aiohttp

    async def main() -> dict[str, Any]:
        n = errors = 0
        loop = asyncio.get_running_loop()
        connector = aiohttp.TCPConnector(limit=conns)
        async with aiohttp.ClientSession(connector=connector) as session:
            async def worker() -> None:
                nonlocal n, errors
                while loop.time() < stop:
                    async with session.get(url) as resp:
                        await resp.read()
                        errors += resp.status != 200
                    n += 1
            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            stop = loop.time() + duration
            await asyncio.gather(*(worker() for _ in range(conns)))
            wall = time.perf_counter() - t0
            ru1 = resource.getrusage(resource.RUSAGE_SELF)
        user, sys_ = ru1.ru_utime - ru0.ru_utime, ru1.ru_stime - ru0.ru_stime
        return {"requests": n, "errors": errors, "seconds": wall, "cpu": user + sys_,
                "cpu_user": user, "cpu_sys": sys_}

    return asyncio.run(main())


# --------------------------------------------------------------------------- httptool CLI


def run_cli(text: str, tmp: Path, name: str, timeout: float,
            baseline: dict[str, float] | None = None) -> dict[str, Any]:
    """``./bin/httptool scenario run FILE --workers 1 --quiet`` pinned to CPU 1. CPU is the
    child's (``RUSAGE_CHILDREN``, start-up included: ``*_total``); with ``baseline`` (user
    and system seconds of a one-request run) ``cpu``/``cpu_user``/``cpu_sys`` exclude it."""
    src = tmp / f"{name}.httpx"
    src.write_text(text)
    summary = tmp / f"{name}.json"
    cmd = ["taskset", "-c", "1", str(ROOT / "bin" / "httptool"), "scenario", "run", str(src),
           "--workers", "1", "--quiet", "--summary-json", str(summary)]
    t0 = time.perf_counter()
    _, user, sys_ = run_child(cmd, timeout)
    wall = time.perf_counter() - t0
    res = json.loads(summary.read_text())
    base = baseline or {"user": 0.0, "sys": 0.0}
    r = {"requests": res["requests"], "failures": res["failures"],
         "checks": res.get("checks"), "seconds": res["duration_s"], "wall": wall,
         "cpu_user_total": user, "cpu_sys_total": sys_, "cpu_total": user + sys_,
         "cpu_user": max(user - base["user"], 0.0), "cpu_sys": max(sys_ - base["sys"], 0.0)}
    r["cpu"] = r["cpu_user"] + r["cpu_sys"]
    if r["failures"]:
        raise SystemExit(f"httptool {name}: {r['failures']} failures")
    per_request(r)
    r["us_per_req_total"] = r["cpu_total"] / max(r["requests"], 1) * 1e6
    return r


def startup(rounds: int, tmp: Path) -> list[dict[str, Any]]:
    """Launch-to-first-request of the CLI, its wall time to exit and its CPU."""
    server = FirstArrival()
    src = tmp / "startup.httpx"
    src.write_text(ONE_REQUEST.format(url=server.url))
    cmd = ["taskset", "-c", "1", str(ROOT / "bin" / "httptool"), "scenario", "run", str(src),
           "--workers", "1", "--quiet"]
    runs = []
    try:
        for _ in range(rounds):
            server.reset()
            t0 = time.time()
            _, user, sys_ = run_child(cmd, 60)
            t_exit = time.time()
            if server.first is None:
                raise SystemExit("start-up run: no request arrived")
            runs.append({"to_first_ms": (server.first - t0) * 1e3,
                         "to_exit_ms": (t_exit - t0) * 1e3,
                         "user": user, "sys": sys_})
    finally:
        server.close()
    return runs


def million(base: str, n: int, vus: int, tmp: Path) -> dict[str, Any]:
    """A real run of ``n`` requests (``load N iterations with 50 vus``) through the CLI on
    CPU 1; the process's RSS sampled every 0.5 s from ``/proc``."""
    src = tmp / "million.httpx"
    src.write_text(scenario_text(base, "million", f"{n} iterations with {vus} vus"))
    summary = tmp / "million.json"
    cmd = ["taskset", "-c", "1", str(ROOT / "bin" / "httptool"), "scenario", "run", str(src),
           "--workers", "1", "--quiet", "--summary-json", str(summary)]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pid = find_python_child(proc)  # type: ignore[arg-type]
    samples: list[tuple[float, int]] = []
    deadline = t0 + max(120.0, n / 5000)
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            samples.append((round(time.monotonic() - t0, 2), rss_kb(pid)))
        except OSError:
            break
        time.sleep(0.5)
    if proc.poll() is None:
        proc.kill()
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"1 M run exited {proc.returncode}:\n{err.decode()[-2000:]}")
    res = json.loads(summary.read_text())
    kb = [s[1] for s in samples if s[1]]
    return {"requests": res["requests"], "failures": res["failures"],
            "seconds": res["duration_s"], "rps": res["requests"] / res["duration_s"],
            "rss_first_mb": kb[min(4, len(kb) - 1)] / 1024 if kb else 0,
            "rss_last_mb": kb[-1] / 1024 if kb else 0, "rss_max_mb": max(kb) / 1024 if kb else 0,
            "samples": samples}


def metrics_path(n: int) -> dict[str, Any]:
    """``bench/metrics_memory.py --requests N`` (the recorder fed exactly as the engine
    does, synthetic data): RSS every million requests."""
    p = subprocess.run([sys.executable, str(BENCH / "metrics_memory.py"), "--requests",
                        str(n)], capture_output=True, text=True, timeout=900, check=False)
    if p.returncode != 0:
        raise SystemExit("metrics_memory.py failed:\n" + p.stderr[-2000:])
    rss = [(int(a), float(b)) for a, b in re.findall(r"^\s*(\d+)\s+([\d.]+)$", p.stdout, re.M)]
    wall = re.search(r"^wall: ([\d.]+) s", p.stdout, re.M)
    return {"requests": n, "rss": rss, "wall_s": float(wall.group(1)) if wall else None}


# --------------------------------------------------------------------------- tables


def goal(ok: bool) -> str:
    return "met" if ok else "**NOT met**"


def vs_table(rounds: list[dict[str, dict[str, Any]]], vus: int) -> str:
    labels = [
        ("wrk", "static", f"wrk -t1 -c{vus}", None),
        ("cli_static", "static", "httptool CLI, `--workers 1` (start-up excluded)", "locust"),
        ("cli_static_total", "static", "… the same run, start-up included", "locust"),
        ("shard_static", "static", "httptool `run_shard` in the bench child", "locust"),
        ("locust", "static", "Locust FastHttpUser, 1 process", "locust"),
        ("aiohttp", "static", f"aiohttp, {vus} tasks, one ClientSession", "locust"),
        ("cli_flow", "4-step flow", "httptool CLI, `--workers 1` (start-up excluded)",
         "locust_flow"),
        ("locust_flow", "4-step flow", "Locust FastHttpUser, 1 process", "locust_flow"),
    ]
    rows = []
    for key, case, label, vs in labels:
        field = "us_per_req_total" if key == "cli_static_total" else "us_per_req"
        src = "cli_static" if key == "cli_static_total" else key
        rs = [rd[src] for rd in rounds]
        us = [r[field] for r in rs]
        wr = [rd[src][field] / rd["wrk"]["us_per_req"] for rd in rounds]
        lo = ([rd[vs]["us_per_req"] / rd[src][field] for rd in rounds] if vs else [])
        user = "" if field != "us_per_req" else f"{median(rs, lambda r: r['user_us']):.2f}"
        sys_ = "" if field != "us_per_req" else f"{median(rs, lambda r: r['sys_us']):.2f}"
        rows.append([
            case, label, f"{median(rs, lambda r: r['rps']):,.0f}",
            f"{statistics.median(us):.2f}", user, sys_,
            f"{statistics.median(wr):.2f}× ({min(wr):.2f}–{max(wr):.2f})",
            f"{statistics.median(lo):.1f}× ({min(lo):.1f}–{max(lo):.1f})" if lo else "",
            f"{min(us):.2f}–{max(us):.2f}",
        ])
    return table(["case", "generator (CPU 1)", "req/s", "CPU µs/request", "user µs",
                  "system µs", "CPU/request ÷ wrk's (same round; range)",
                  "Locust's CPU/request ÷ this (same case, same round)",
                  "µs/request, all rounds"], rows, right_from=2)


def ratio_med(rounds: list[dict[str, dict[str, Any]]], a: str, b: str) -> float:
    return statistics.median(rd[a]["us_per_req"] / rd[b]["us_per_req"] for rd in rounds)


# --------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="bench/run", description=(
        "httptool against the field: wrk, Locust FastHttpUser, aiohttp; open model, "
        "memory, start-up. Needs root on Debian (installs nginx, wrk; Locust and aiohttp "
        "go into their own venv)."))
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--duration", type=int, default=5,
                    help="seconds per run in the vs-the-field rounds (default 5)")
    ap.add_argument("--vus", type=int, default=50, help="connections/VUs (default 50)")
    ap.add_argument("--open-rates", default="10000,50000")
    ap.add_argument("--open-duration", type=int, default=10)
    ap.add_argument("--open-rounds", type=int, default=None, help="default: --rounds")
    ap.add_argument("--memory-vus", default="1000,10000")
    ap.add_argument("--memory-duration", type=int, default=15)
    ap.add_argument("--memory-rounds", type=int, default=1)
    ap.add_argument("--requests", type=int, default=1_000_000,
                    help="requests of the real RSS run through the CLI (default 1 M)")
    ap.add_argument("--metrics-requests", type=int, default=10_000_000,
                    help="requests through the metrics path (default 10 M)")
    ap.add_argument("--startup-rounds", type=int, default=5)
    ap.add_argument("--skip", default="", help="comma list of: field, open, memory, "
                    "requests, startup")
    ap.add_argument("--quick", action="store_true", help=(
        "a smoke run (~2 min): 1 round of 3 s, open model 5 s, memory 8 s, 200 k real "
        "requests, 2 M through the metrics path, 3 start-ups; figures are not meant to "
        "be quoted"))
    ap.add_argument("--out", type=Path, default=RESULTS_DIR, help="where run_all.md and "
                    "run_all.json go (default $HTTPTOOL_BENCH_OUT or /tmp/httptool-bench)")
    ap.add_argument("--aiohttp-child", nargs=3, metavar=("URL", "CONNS", "SECONDS"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration, args.open_duration = 1, 3, 5
        args.memory_duration, args.memory_rounds = 8, 1
        args.requests, args.metrics_requests, args.startup_rounds = 200_000, 2_000_000, 3
    if args.open_rounds is None:
        args.open_rounds = args.rounds
    return args


def main() -> None:
    args = parse_args()
    if args.aiohttp_child:
        url, conns, secs = args.aiohttp_child
        print(json.dumps(aiohttp_child(url, int(conns), float(secs))))
        return
    skip = set(filter(None, args.skip.split(",")))
    t_start = time.monotonic()
    ensure_tools()
    bin_dir = ensure_field()
    m = machine()
    m.update(field_versions(bin_dir))
    data: dict[str, Any] = {"machine": m, "args": {k: str(v) for k, v in vars(args).items()}}
    md: list[str] = []
    goals: list[list[str]] = []
    vus = args.vus
    with tempfile.TemporaryDirectory(prefix="httptool-run-") as d, \
            nginx(FLOW_LOCATIONS, connections=12000) as base:
        tmp = Path(d)
        # start-up first: its one-request CPU is the baseline taken off the CLI rows
        baseline = {"user": 0.0, "sys": 0.0}
        if "startup" not in skip or "field" not in skip:
            su = startup(max(args.startup_rounds, 1), tmp)
            data["startup"] = su
            baseline = {"user": statistics.median(r["user"] for r in su),
                        "sys": statistics.median(r["sys"] for r in su)}
            log(f"start-up: first request after {median(su, lambda r: r['to_first_ms']):.0f}"
                f" ms, exit after {median(su, lambda r: r['to_exit_ms']):.0f} ms, CPU "
                f"{(baseline['user'] + baseline['sys']) * 1e3:.0f} ms")
        if "field" not in skip:
            rounds: list[dict[str, dict[str, Any]]] = []
            dur = args.duration
            static = scenario_text(base, "static", f"{vus} vus for {dur}s")
            flow = scenario_text(base, "flow", f"{vus} vus for {dur}s", "login -> me")
            for rnd in range(1, max(args.rounds, 1) + 1):
                rd: dict[str, dict[str, Any]] = {}
                rd["wrk"] = per_request(run_wrk(base + "/", vus, dur))
                rd["cli_static"] = run_cli(static, tmp, "static", dur + 60, baseline)
                rd["shard_static"] = per_request(run_scenario(static, timeout=dur + 60))
                rd["locust"] = run_locust(bin_dir, "locust_static.py", base, vus, dur)
                rd["aiohttp"] = run_aiohttp(bin_dir, base + "/", vus, dur)
                rd["cli_flow"] = run_cli(flow, tmp, "flow", dur + 60, baseline)
                rd["locust_flow"] = run_locust(bin_dir, "locust_flow.py", base, vus, dur)
                rounds.append(rd)
                log(f"round {rnd}: " + ", ".join(
                    f"{k} {r['rps']:,.0f}/s {r['us_per_req']:.2f} µs" for k, r in rd.items()))
            data["field"] = rounds
            md.append("### Static GET and the 4-step flow\n\n" + vs_table(rounds, vus))
            st = ratio_med(rounds, "cli_static", "wrk")
            fl = ratio_med(rounds, "cli_flow", "wrk")
            ls = ratio_med(rounds, "locust", "cli_static")
            lf = ratio_med(rounds, "locust_flow", "cli_flow")
            goals += [
                [f"static GET: CPU/request ≤ {GOAL_STATIC}× wrk", f"{st:.2f}×",
                 goal(st <= GOAL_STATIC)],
                [f"4-step flow: CPU/request ≤ {GOAL_FLOW:g}× wrk's static GET", f"{fl:.2f}×",
                 goal(fl <= GOAL_FLOW)],
                [f"static GET: ≥ {GOAL_LOCUST:g}× Locust FastHttpUser per core "
                 "(its CPU/request ÷ httptool's)", f"{ls:.1f}×", goal(ls >= GOAL_LOCUST)],
                [f"4-step flow: ≥ {GOAL_LOCUST:g}× Locust FastHttpUser per core", f"{lf:.1f}×",
                 goal(lf >= GOAL_LOCUST)],
            ]
        if "open" not in skip:
            rates = [int(x) for x in args.open_rates.split(",")]
            runs: dict[int, list[dict[str, Any]]] = {r: [] for r in rates}
            for rnd in range(1, max(args.open_rounds, 1) + 1):
                for rate in rates:
                    r = open_model.measure(base, rate, args.open_duration)
                    runs[rate].append(r)
                    log(f"open round {rnd} {open_model.round_text(rate, r)}")
            data["open_model"] = {str(k): v for k, v in runs.items()}
            md.append(f"### Open model (`load R rps for {args.open_duration}s`, run_shard, "
                      f"{args.open_rounds} round(s))\n\n" + open_model.summary_table(runs))
            for rate, rs in runs.items():
                worst = max(rs, key=lambda r: abs(r["worst_dev"]))
                goals.append([f"open model {rate:,}/s: achieved and every 1-s window within "
                              f"±{GOAL_OPEN:.1%}, 0 dropped",
                              f"achieved {median(rs, lambda r: r['achieved_dev']):+.2%}, "
                              f"worst window {worst['worst_dev']:+.2%}",
                              goal(open_model.met(rs))])
        mem_md = []
        if "memory" not in skip:
            counts = [int(x) for x in args.memory_vus.split(",")]
            mem: dict[int, list[dict[str, Any]]] = {n: [] for n in counts}
            for _ in range(max(args.memory_rounds, 1)):
                for n in counts:
                    r = vu_memory.measure(base, n, args.memory_duration)
                    mem[n].append(r)
                    log("memory " + vu_memory.round_text(n, r))
            data["vu_memory"] = {str(k): v for k, v in mem.items()}
            mem_md.append(f"Idle VUs (`load N vus for {args.memory_duration}s`, one GET "
                          "then `think 5s`, run_shard):\n\n" + vu_memory.summary_table(mem))
        if "requests" not in skip:
            mr = million(base, args.requests, vus, tmp)
            data["requests_rss"] = mr
            log(f"{mr['requests']:,} requests through the CLI: {mr['rps']:,.0f}/s, RSS "
                f"{mr['rss_first_mb']:.1f} -> {mr['rss_last_mb']:.1f} MB")
            mp = metrics_path(args.metrics_requests)
            data["metrics_path"] = mp
            rss = dict(mp["rss"])
            first_m = rss.get(1_000_000, 0.0)
            rows = [[f"real: `load {args.requests:,} iterations with {vus} vus`, CLI "
                     f"`--workers 1`, {mr['rps']:,.0f} req/s",
                     f"{mr['requests']:,}", f"{mr['rss_first_mb']:.1f}",
                     f"{mr['rss_last_mb']:.1f}", f"{mr['rss_max_mb']:.1f}"],
                    [f"metrics path: `bench/metrics_memory.py --requests "
                     f"{args.metrics_requests:,}` (recorder + merger, synthetic data)",
                     f"{args.metrics_requests:,}", f"{first_m:.1f} (at 1 M)",
                     f"{mp['rss'][-1][1]:.1f}", f"{max(b for _, b in mp['rss']):.1f}"]]
            mem_md.append("RSS over many requests (real: first sample 2 s in; metrics "
                          "path: at 1 M and at the end):\n\n" + table(
                              ["run", "requests", "RSS MB early", "RSS MB at the end",
                               "RSS MB max"], rows))
        if mem_md:
            md.append("### Memory\n\n" + "\n\n".join(mem_md))
        if "startup" not in skip and "startup" in data:
            su = data["startup"]
            md.append("### Start-up of `httptool scenario run` (one request)\n\n" + table(
                ["figure", "median", "range"],
                [["launch → first request at the server (ms)",
                  f"{median(su, lambda r: r['to_first_ms']):.0f}",
                  spread(su, lambda r: r["to_first_ms"])],
                 ["launch → process exit (ms)", f"{median(su, lambda r: r['to_exit_ms']):.0f}",
                  spread(su, lambda r: r["to_exit_ms"])],
                 ["CPU of the whole process (ms)",
                  f"{median(su, lambda r: (r['user'] + r['sys']) * 1e3):.0f}",
                  spread(su, lambda r: (r["user"] + r["sys"]) * 1e3)]]))
    if goals:
        md.insert(0, "### Goals\n\n" + table(["goal", "measured (median)", "verdict"], goals))
    elapsed = time.monotonic() - t_start
    head = (f"{machine_line(m)} · Locust {m['locust']} · aiohttp {m['aiohttp']} · "
            f"{args.vus} connections/VUs · {args.rounds} round(s) of {args.duration}s"
            f"{' (--quick: smoke figures)' if args.quick else ''} · took {elapsed / 60:.1f} min")
    text = head + "\n\n" + "\n\n".join(md) + "\n"
    data["markdown"] = text
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "run_all.md").write_text(text)
    (args.out / "run_all.json").write_text(json.dumps(data, indent=1, default=str))
    print("\n" + text)
    log(f"written: {args.out / 'run_all.md'}, {args.out / 'run_all.json'}")


if __name__ == "__main__":
    main()
