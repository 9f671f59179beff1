"""Soak: a long open-model run through the real CLI, keep-alive and ``Connection: close``;
RSS, open file descriptors and established connections of the httptool process stay flat.

Not a test, not CI. Run as root on Debian (installs nginx and wrk when missing):

    .venv/bin/python bench/soak.py [--rate 2000] [--duration 600] [--interval 10] \
        [--parallel]

Each mode runs ``./bin/httptool scenario run FILE --workers 1 --quiet`` (the shard in a
thread of the CLI process, so one PID holds every socket) with ``load R rps for D`` of one
static GET against nginx (one worker, CPU 0); the generator is pinned to CPU 1. Modes:
``keepalive`` (plain GET) and ``close`` (the curl carries ``-H 'Connection: close'``, so
every request opens and closes a connection). Every ``--interval`` seconds the parent reads
the httptool process's ``VmRSS`` (``/proc/PID/status``), its open descriptors
(``/proc/PID/fd``) and its established TCP connections (its socket inodes matched against
``/proc/net/tcp`` state 01). By default the modes run one after the other; ``--parallel``
runs both at once (both generators on CPU 1) to halve the wall time. The pool of an open
model only grows (a VU is created when none is free), so every stall of the generator
leaves more idle VUs, each with its keep-alive connection until nginx's 120 s keep-alive
timeout closes it; the table shows VUs created next to the curves. Writes every sample
and the summaries to ``RESULTS_DIR/soak.json`` and prints the endpoints table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import ROOT, ensure_tools, machine, machine_line, nginx, save_results, table

SCENARIO = """
request get {{
  curl {url}/{header}
  assert {{ status == 200 }}
}}

scenario soak {{
  load {rate} rps for {duration}s
  run get
}}
"""

MODES = {"keepalive": "", "close": " -H 'Connection: close'"}


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def socket_inodes(pid: int) -> tuple[int, set[str]]:
    """Number of open descriptors and the inodes of the sockets among them."""
    fd_dir = f"/proc/{pid}/fd"
    fds = os.listdir(fd_dir)
    inodes = set()
    for fd in fds:
        try:
            link = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return len(fds), inodes


def established(inodes: set[str]) -> int:
    """How many of ``inodes`` are TCP connections in state ESTABLISHED (01)."""
    n = 0
    for table_path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table_path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "01" and parts[9] in inodes:
                        n += 1
        except OSError:
            continue
    return n


def sample(pid: int, t0: float) -> dict[str, Any] | None:
    try:
        nfd, inodes = socket_inodes(pid)
        return {"t": round(time.monotonic() - t0, 1), "rss_kb": rss_kb(pid), "fds": nfd,
                "established": established(inodes)}
    except (OSError, StopIteration):
        return None  # the process ended between two reads


def find_python_child(proc: subprocess.Popen[bytes], timeout: float = 10) -> int:
    """``bin/httptool`` execs python, and ``taskset``/``timeout`` exec too, but be safe:
    follow single children until the process running ``-m httptool``."""
    pid = proc.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            break
        if b"httptool" in cmd and any(c.endswith(b"python") or b"python3" in c for c in cmd):
            return pid
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if kids:
            pid = int(kids[0])
        else:
            time.sleep(0.05)
    return pid


def run_mode(mode: str, base: str, rate: int, duration: int, interval: float,
             tmp: Path, max_vus: int = 0) -> dict[str, Any]:
    """One soak run of ``mode``; returns the samples, the CLI's summary and the verdicts."""
    src = tmp / f"soak_{mode}.httpx"
    src.write_text(SCENARIO.format(url=base, header=MODES[mode], rate=rate,
                                   duration=duration))
    summary = tmp / f"soak_{mode}.json"
    cmd = ["timeout", str(duration + 180), "taskset", "-c", "1", str(ROOT / "bin" / "httptool"),
           "scenario", "run", str(src), "--workers", "1", "--quiet", "--summary-json", str(summary)]
    if max_vus:
        cmd += ["--max-vus", str(max_vus)]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pid = find_python_child(proc)
    samples: list[dict[str, Any]] = []
    next_t = t0 + 1.0  # first sample once the run is under way
    while proc.poll() is None:
        now = time.monotonic()
        if now >= next_t:
            s = sample(pid, t0)
            if s is not None and time.monotonic() - t0 <= duration + 1:
                samples.append(s)
                print(f"soak {mode} t={s['t']:6.1f}s RSS {s['rss_kb'] / 1024:6.1f} MB, "
                      f"fds {s['fds']}, established {s['established']}", file=sys.stderr,
                      flush=True)
            next_t += interval
        time.sleep(min(0.5, max(0.01, next_t - time.monotonic())))
    out, err = proc.communicate()
    wall = time.monotonic() - t0
    if proc.returncode not in (0, 99):
        raise SystemExit(f"soak {mode}: httptool exited {proc.returncode}:\n"
                         + err.decode()[-3000:])
    res = json.loads(summary.read_text()) if summary.exists() else {}
    return {"mode": mode, "rate": rate, "duration": duration, "wall_s": wall,
            "exit": proc.returncode, "samples": samples, "summary": digest(res),
            "stdout": out.decode()[-2000:]}


def digest(res: dict[str, Any]) -> dict[str, Any]:
    """The few totals of the CLI's summary JSON that the report needs (best effort: the
    JSON's layout belongs to the report module)."""
    tot = res.get("total") or {}
    keys = ("requests", "responses", "failures", "failures_by_kind")
    out = {k: tot[k] for k in keys if k in tot}
    for k in ("completed", "dropped", "interrupted"):
        if k in (res.get("iterations") or {}):
            out[k] = res["iterations"][k]
    for k in ("duration_s", "rps", "error_rate", "vus"):
        if k in res:
            out[k] = res[k]
    return out


def endpoints(samples: list[dict[str, Any]], key: str) -> dict[str, float]:
    vals = [s[key] for s in samples]
    if not vals:
        return {"first": 0, "last": 0, "max": 0, "min": 0}
    # "first" is the first sample after warm-up (10 s in), where the pool has its size
    warm = [s[key] for s in samples if s["t"] >= 10] or vals
    return {"first": warm[0], "last": vals[-1], "max": max(vals), "min": min(vals)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--duration", type=int, default=600, help="seconds per mode")
    ap.add_argument("--interval", type=float, default=10.0)
    ap.add_argument("--modes", default="keepalive,close")
    ap.add_argument("--max-vus", type=int, default=0,
                    help="pass --max-vus to httptool (default: the engine's bound, 5 s × R)")
    ap.add_argument("--parallel", action="store_true",
                    help="run the modes at the same time instead of one after the other")
    args = ap.parse_args()
    modes = args.modes.split(",")
    ensure_tools()
    m = machine()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="httptool-soak-") as d, \
            nginx(connections=8192) as base:
        tmp = Path(d)
        if args.parallel:
            def one(mode: str) -> None:
                results[mode] = run_mode(mode, base, args.rate, args.duration,
                                         args.interval, tmp, args.max_vus)
            threads = [threading.Thread(target=one, args=(mo,)) for mo in modes]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for mo in modes:
                results[mo] = run_mode(mo, base, args.rate, args.duration, args.interval,
                                       tmp, args.max_vus)
    rows = []
    for mo in modes:
        r = results.get(mo)
        if r is None:
            raise SystemExit(f"soak {mo} did not finish")
        r["endpoints"] = {k: endpoints(r["samples"], k)
                          for k in ("rss_kb", "fds", "established")}
        e = r["endpoints"]
        s = r["summary"]
        rows.append([
            mo, f"{len(r['samples'])}",
            f"{e['rss_kb']['first'] / 1024:.1f} / {e['rss_kb']['last'] / 1024:.1f} / "
            f"{e['rss_kb']['max'] / 1024:.1f}",
            f"{e['fds']['first']} / {e['fds']['last']} / {e['fds']['max']}",
            f"{e['established']['first']} / {e['established']['last']} / "
            f"{e['established']['max']}",
            f"{s.get('requests', 0):,}", f"{s.get('failures', 0):,}",
            f"{s.get('dropped', 0):,}", f"{(s.get('vus') or {}).get('created', 0):,}",
        ])
    md = table(["mode", "samples", "RSS MB first / last / max", "fds first / last / max",
                "established first / last / max", "requests", "failures", "dropped",
                "VUs created"], rows)
    how = "in parallel" if args.parallel else "one after the other"
    print(f"\n{machine_line(m)} · {args.rate}/s for {args.duration}s per mode, {how}, "
          f"sample every {args.interval:g}s\n")
    print(md)
    save_results("soak", m, args, results=results, table=md)


if __name__ == "__main__":
    main()
