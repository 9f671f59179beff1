"""Do the live outputs slow the load? Static GET with ``--dashboard`` and ``--out
prometheus`` on (both watched: an event-stream client and a scrape every second) vs off,
and ``--trace`` on, same scenario, interleaved rounds.

Not a test. Run as root on Debian (installs nginx and wrk when missing):

    .venv/bin/python bench/live_overhead.py [--duration 5] [--vus 50] [--rounds 5]

``httptool scenario run --workers 1`` (the shard in a thread of the CLI process, so the
coordinator's merging, the exporter and the dashboard share the generator's core) is
pinned to CPU 1, nginx to CPU 0, the watchers (this script's threads) float. Two CPU
figures per request: **load** — the httptool process's CPU (``/proc/PID/stat``, all
threads) over a window inside the load (from 0.5 s after nginx sees the load start to
1 s before its planned end) divided by the requests nginx served in it (``stub_status``):
the cost per request while the run goes on, which is what the live outputs must not
raise; and **whole** — ``RUSAGE_CHILDREN`` over the whole process (start-up, imports and
the final report page included: fixed costs, spread over however many requests the run
made). The run's total from ``--summary-json`` is checked against nginx's count in every
run. Issue 18's goal: load CPU per request with the dashboard and the exporter on (and
watched) ≤ 1.03 × off.
"""

from __future__ import annotations

import json
import os
import re
import resource
import statistics
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    STATIC_LOCATION,
    bench_parser,
    ensure_tools,
    free_port,
    interleaved_rounds,
    machine,
    machine_line,
    median,
    save_results,
    spread,
    static_get_file,
    table,
)

VARIANTS = ("off", "dashboard+prometheus", "trace")
STATUS = "location = /__status { stub_status; }"


def served(url: str) -> int:
    """nginx's request counter (this query included)."""
    with urllib.request.urlopen(url + "/__status", timeout=5) as r:
        m = re.search(r"\n\s*\d+\s+\d+\s+(\d+)", r.read().decode())
    assert m, "no stub_status counters"
    return int(m.group(1))


class Watchers:
    """A Prometheus-like scrape every second and one dashboard event-stream reader."""

    def __init__(self, metrics: str, events: str) -> None:
        self.stop = threading.Event()
        self.scrapes = self.events = 0
        self.threads = [threading.Thread(target=self._scrape, args=(metrics,), daemon=True),
                        threading.Thread(target=self._stream, args=(events,), daemon=True)]
        for t in self.threads:
            t.start()

    def _scrape(self, url: str) -> None:
        while not self.stop.wait(1.0):
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    r.read()
                self.scrapes += 1
            except OSError:
                pass

    def _stream(self, url: str) -> None:
        deadline = time.monotonic() + 30
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=30) as r:
                    for line in r:
                        if line.startswith(b"event: "):
                            self.events += 1
                        if line.startswith(b"event: final") or self.stop.is_set():
                            return
            except OSError:
                time.sleep(0.05)

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(5)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far, every thread included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_window(pid: int, url: str, base: int, duration: float
                ) -> tuple[tuple[float, int], int]:
    """((CPU seconds, requests served) over a window inside the load, status polls made):
    wait until nginx has served 1000 of the run's requests, then measure from 0.5 s later
    to 1 s before the planned end."""
    polls = 0
    deadline = time.monotonic() + 60
    while True:
        polls += 1
        if served(url) - base - polls > 1000:
            break
        if time.monotonic() > deadline:
            raise SystemExit("the load never started")
        time.sleep(0.02)
    started = time.monotonic()
    time.sleep(0.5)
    cpu0, n0 = cpu_seconds(pid), served(url)
    time.sleep(max(0.5, duration - 1.5 - (time.monotonic() - started)))
    cpu1, n1 = cpu_seconds(pid), served(url)
    return (cpu1 - cpu0, n1 - n0 - 1), polls + 2


def run_cli(scenario: Path, variant: str, out: Path, url: str, duration: float
            ) -> dict[str, Any]:
    cli = [str(ROOT / ".venv/bin/httptool"), "scenario", "run", str(scenario), "--workers",
           "1", "--summary-json", str(out), "--no-color"]
    watchers = None
    if variant == "dashboard+prometheus":
        dash, prom = free_port(), free_port()
        cli += [f"--dashboard=127.0.0.1:{dash}", "--out", f"prometheus=127.0.0.1:{prom}"]
        watchers = Watchers(f"http://127.0.0.1:{prom}/metrics",
                            f"http://127.0.0.1:{dash}/events")
    elif variant == "trace":
        cli.append("--trace")
    before_served = served(url)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen(["taskset", "-c", "1", *cli], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    window, polls = load_window(p.pid, url, before_served, duration)
    _, err_text = p.communicate(timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if watchers is not None:
        watchers.close()
    if p.returncode != 0:
        raise SystemExit(f"{variant}: exit {p.returncode}\n{err_text[-2000:]}")
    server = served(url) - before_served - 1 - polls
    doc = json.loads(out.read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    n = doc["requests"]
    if n != server:
        raise SystemExit(f"{variant}: httptool counted {n} requests, nginx {server}")
    return {"variant": variant, "requests": n, "server_requests": server, "rps": doc["rps"],
            "cpu_us_per_request": cpu / n * 1e6 if n else 0.0,
            "load_us_per_request": window[0] / window[1] * 1e6, "window_requests": window[1],
            "scrapes": watchers.scrapes if watchers else 0,
            "sse_events": watchers.events if watchers else 0}


def main() -> None:
    args = bench_parser(__doc__, rounds=5).parse_args()
    ensure_tools()
    m = machine()
    load = f"{args.vus} vus for {args.duration}s"
    with static_get_file(load, (STATIC_LOCATION, STATUS)) as (url, f):
        runs = interleaved_rounds(
            args.rounds, VARIANTS,
            lambda v: run_cli(f, v, f.parent / "s.json", url, args.duration),
            lambda res: (f"{res['rps']:,.0f} req/s, load {res['load_us_per_request']:.2f} "
                         f"µs/request, whole {res['cpu_us_per_request']:.2f} µs/request, "
                         f"scrapes {res['scrapes']}, events {res['sse_events']}"))
    # the ratio per round (same neighbours), then the median of those
    offs = {x["round"]: x for x in runs if x["variant"] == "off"}
    rows = []

    def ratio(sel: list[dict[str, Any]], key: str) -> str:
        rs = sorted(x[key] / offs[x["round"]][key] for x in sel)
        return f"{statistics.median(rs):.3f}"
    for v in VARIANTS:
        sel = [x for x in runs if x["variant"] == v]
        rows.append([v, f"{median(sel, lambda x: x['rps']):,.0f}",
                     f"{median(sel, lambda x: x['load_us_per_request']):.2f}",
                     spread(sel, lambda x: x["load_us_per_request"]),
                     ratio(sel, "load_us_per_request"),
                     f"{median(sel, lambda x: x['cpu_us_per_request']):.2f}",
                     ratio(sel, "cpu_us_per_request")])
    print(machine_line(m) + f" · {args.vus} VUs × {args.duration}s × {args.rounds} rounds "
          "(medians)\n")
    print(table(["variant", "req/s", "load CPU µs/req", "range", "load ratio vs off",
                 "whole CPU µs/req", "whole ratio vs off"], rows))
    save_results("live_overhead", m, args, runs=runs)


if __name__ == "__main__":
    main()
