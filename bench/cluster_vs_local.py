"""What does ``--cluster`` cost next to ``--workers``? The same scenario against nginx,
two shards either way: ``--workers 2`` (two local processes) vs ``--cluster`` with a
scheduler and two single-threaded ``dask worker`` processes on this machine.

Not a test. Run as root on Debian (installs nginx and wrk when missing):

    .venv/bin/python bench/cluster_vs_local.py [--duration 5] [--vus 50] [--rounds 3]

nginx runs on CPU 0; everything of the generator (the CLI and its shard processes, or the
CLI, the scheduler and the workers) on CPU 1, so the CPU per request compares like with
like and the throughput is one core's. Per run:

* requests and req/s from ``--summary-json`` (the load's own duration);
* CPU: the CLI's ``RUSAGE_CHILDREN`` (its shard processes included once reaped) plus,
  for the cluster, the scheduler's and the workers' CPU during the run (``/proc/PID/stat``);
* fixed cost: the same command with a one-request scenario (``1 iterations with 1 vus``)
  just before: its wall time is the start-up (interpreter start, imports, compile,
  connecting, starting the shards, the common start, the final merge and exit) and its
  CPU the fixed CPU; the load's CPU per request is (CPU - fixed CPU) / requests, so the
  machine's other work and the start-up do not blur the per-request figure.

The variants alternate within each round; ``verbose`` variants add ``--verbose`` (every
request's line streamed to the coordinator: through the scheduler's queue on a cluster)
with stdout to a file. Each cluster variant gets a fresh cluster (its start is not
counted); ``no profiler`` starts the workers with ``DASK_DISTRIBUTED__WORKER__PROFILE__
ENABLED=False`` (Dask's statistical profiler samples every thread's stack every 10 ms).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    GET_REQUEST,
    ROOT,
    bench_parser,
    ensure_tools,
    interleaved_rounds,
    machine,
    machine_line,
    median,
    scenario_text,
    static_get_file,
    table,
    write_json,
)

VARIANTS = ("local", "cluster", "cluster no profiler", "local verbose", "cluster verbose")
TINY = "1 iterations with 1 vus"
BIN = ROOT / ".venv/bin"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Cluster:
    """``dask scheduler`` and two ``dask worker --nthreads 1 --no-nanny`` on CPU 1."""

    def __init__(self, tmp: Path, profiler: bool = True) -> None:
        self.tmp = tmp
        self.env = {**os.environ, "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": str(profiler)}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.address = ""

    def __enter__(self) -> Cluster:
        sched = self.tmp / "scheduler.json"
        sched.unlink(missing_ok=True)
        pin = ["taskset", "-c", "1"]
        self.procs.append(subprocess.Popen(
            [*pin, str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(sched)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(600):
            if sched.exists():
                break
            time.sleep(0.05)
        time.sleep(0.1)
        self.address = json.loads(sched.read_text())["address"]
        for _ in range(2):
            self.procs.append(subprocess.Popen(
                [*pin, str(BIN / "dask"), "worker", self.address, "--nworkers", "1",
                 "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env))
        from distributed import Client

        with Client(self.address, timeout=30, set_as_default=False) as c:
            c.wait_for_workers(2, timeout=60)
        return self

    def cpu(self) -> list[float]:
        return [proc_cpu(p.pid) for p in self.procs]

    def __exit__(self, *exc: object) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


def run_variant(scenario: Path, tiny: Path, variant: str, d: Path) -> dict[str, Any]:
    """The one-request run, then the load; a cluster variant on a fresh cluster."""
    if not variant.startswith("cluster"):
        return combine(run_cli(tiny, variant, d, None), run_cli(scenario, variant, d, None))
    with Cluster(d, profiler="no profiler" not in variant) as cluster:
        time.sleep(1.0)  # let the workers settle after their start
        return combine(run_cli(tiny, variant, d, cluster),
                       run_cli(scenario, variant, d, cluster))


def combine(tiny: dict[str, Any], load: dict[str, Any]) -> dict[str, Any]:
    load["startup_s"] = tiny["wall_s"]
    load["fixed_cpu_s"] = tiny["cpu_s"]
    n = max(load["requests"] - tiny["requests"], 1)
    load["us_per_req"] = (load["cpu_s"] - tiny["cpu_s"]) / n * 1e6
    return load


def run_cli(scenario: Path, variant: str, d: Path, cluster: Cluster | None
            ) -> dict[str, Any]:
    out = d / "s.json"
    cli = [str(BIN / "httptool"), "scenario", "run", str(scenario), "--summary-json",
           str(out), "--no-color"]
    cli += ["--cluster", cluster.address] if cluster else ["--workers", "2"]
    if variant.endswith("verbose"):
        cli.append("--verbose")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cl_before = cluster.cpu() if cluster else []
    t0 = time.monotonic()
    with (d / "stdout.txt").open("w") as sink:
        p = subprocess.run(["taskset", "-c", "1", *cli], stdout=sink, stderr=subprocess.PIPE,
                           text=True, timeout=300)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{variant}: exit {p.returncode}\n{p.stderr[-2000:]}")
    doc = json.loads(out.read_text())
    cli_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    extra = [0.0, 0.0, 0.0]
    if cluster:
        extra = [b - a for a, b in zip(cl_before, cluster.cpu(), strict=True)]
    n = doc["requests"]
    total = cli_cpu + sum(extra)
    return {"variant": variant, "requests": n, "rps": doc["rps"],
            "duration_s": doc["duration_s"], "wall_s": wall, "cpu_s": total,
            "cli_cpu_s": cli_cpu, "scheduler_cpu_s": extra[0],
            "workers_cpu_s": extra[1] + extra[2]}


def _put_many(name: str, n: int, size: int) -> float:
    """On a worker: seconds per ``Queue.put`` of ``size`` bytes (a shard's send)."""
    from distributed import Queue, get_client

    q = Queue(name, client=get_client())
    payload = b"x" * size
    t0 = time.perf_counter()
    for _ in range(n):
        q.put(payload)
    return (time.perf_counter() - t0) / n


def primitives(d: Path) -> dict[str, float]:
    """The Dask primitives' own costs, on a fresh cluster pinned like the runs: a shard's
    ``put`` (snapshot-sized and event-batch-sized), the coordinator's empty poll, and the
    scheduler's CPU while the coordinator polls an empty queue every 50 ms."""
    from distributed import Client, Queue

    # run as a script, _put_many lives in __main__ and travels by value (workers lack this file)
    with Cluster(d) as cluster, Client(cluster.address, timeout=30,
                                       set_as_default=False) as c:
        time.sleep(1.0)
        out: dict[str, float] = {}
        for label, size, n in (("put_4kB_us", 4096, 2000), ("put_64kB_us", 65536, 500)):
            q = Queue(f"bench-{label}", client=c, maxsize=0)
            out[label] = c.submit(_put_many, q.name, n, size, pure=False).result() * 1e6
            while q.get(batch=True):
                pass
        q = Queue("bench-poll", client=c)
        t0 = time.perf_counter()
        for _ in range(500):
            q.get(batch=True)
        out["empty_poll_us"] = (time.perf_counter() - t0) / 500 * 1e6
        sched = cluster.procs[0].pid
        idle0 = proc_cpu(sched)
        time.sleep(5.0)
        idle = proc_cpu(sched) - idle0
        busy0 = proc_cpu(sched)
        t_end = time.monotonic() + 5.0
        while time.monotonic() < t_end:
            with contextlib.suppress(TimeoutError):
                q.get(timeout=0.05)
        busy = proc_cpu(sched) - busy0
        out["scheduler_idle_cpu_pct"] = idle / 5.0 * 100
        out["scheduler_polled_cpu_pct"] = busy / 5.0 * 100
        return out


def main() -> None:
    ap = bench_parser(__doc__)
    ap.add_argument("--primitives-only", action="store_true",
                    help="only the Dask primitives' costs (no nginx, no runs)")
    args = ap.parse_args()
    if args.primitives_only:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(primitives(Path(tmp)), indent=1))
        return
    ensure_tools()
    m = machine()
    with static_get_file(f"{args.vus} vus for {args.duration}s") as (url, f):
        tiny = f.parent / "tiny.httpx"
        tiny.write_text(scenario_text(url, "s", TINY, requests=GET_REQUEST))
        runs = interleaved_rounds(
            args.rounds, VARIANTS, lambda v: run_variant(f, tiny, v, f.parent),
            lambda res: (f"{res['rps']:,.0f} req/s, {res['us_per_req']:.2f} µs/request, "
                         f"start-up {res['startup_s']:.2f} s, fixed CPU "
                         f"{res['fixed_cpu_s']:.2f} s"))
    rows = []
    for v in VARIANTS:
        sel = [x for x in runs if x["variant"] == v]
        rows.append([v, f"{median(sel, lambda x: x['rps']):,.0f}",
                     f"{median(sel, lambda x: x['us_per_req']):.2f}",
                     f"{median(sel, lambda x: x['fixed_cpu_s']):.2f}",
                     f"{median(sel, lambda x: x['cli_cpu_s']):.2f}",
                     f"{median(sel, lambda x: x['scheduler_cpu_s']):.2f}",
                     f"{median(sel, lambda x: x['workers_cpu_s']):.2f}",
                     f"{median(sel, lambda x: x['startup_s']):.2f}"])
    print(machine_line(m) + f" · {args.vus} VUs × {args.duration}s × {args.rounds} rounds "
          "(medians)\n")
    print(table(["2 shards", "req/s", "CPU µs/request", "fixed CPU s", "CLI CPU s",
                 "scheduler CPU s", "workers CPU s", "1-request run, wall s"], rows))
    with tempfile.TemporaryDirectory() as tmp:
        prim = primitives(Path(tmp))
    print("\nDask primitives: " + ", ".join(f"{k} {v:.1f}" for k, v in prim.items()))
    print("JSON:", write_json("cluster_vs_local", {"machine": m, "args": vars(args),
                                                   "runs": runs, "primitives": prim}))


if __name__ == "__main__":
    main()
