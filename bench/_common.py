"""Shared harness of the engine benchmarks (``vu_static_vs_wrk.py``, ``flow_vs_wrk.py``,
``open_model.py``, ``vu_memory.py``, ``engine_layers.py``): nginx and wrk on pinned cores,
a scenario driven through the real shard entry point in a pinned child process, py-spy
profiles, medians and markdown tables. Results go to :data:`RESULTS_DIR`.

Not a test. The parent runs as root on Debian (nginx and wrk are installed from Debian
when missing). nginx runs with one worker pinned to CPU 0; every generator (wrk, or the
shard child) is pinned to CPU 1 with ``taskset``. Only loopback addresses are used.

The shard child (``python bench/_common.py --shard SPEC.json``) compiles the scenario,
then measures its own ``getrusage`` and wall clock around :func:`run_shard` only, so the
interpreter start-up, the imports and the compile are excluded; it prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
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
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Where the scripts write their JSON results (outside the checkout).
RESULTS_DIR = Path(os.environ.get("HTTPTOOL_BENCH_OUT", "/tmp/httptool-bench"))

NGINX_CONF = """
daemon off;
worker_processes 1;
worker_rlimit_nofile {nofile};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections {conns}; multi_accept on; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 120s;
{http}{servers}
}}
"""

#: nginx's fixed response for a static GET (the same as bench/client_vs_wrk.py).
STATIC_LOCATION = 'location / { default_type text/plain; return 200 "hello, world\\n"; }'

#: nginx locations of the 4-step flow (fixed JSON answers) plus the static GET.
FLOW_LOCATIONS = (
    "location = /login { default_type application/json; "
    "return 200 '{\"token\":\"abc123\"}'; }",
    "location = /me { default_type application/json; return 200 '{\"id\":1,\"name\":\"x\"}'; }",
    STATIC_LOCATION,
)

#: The requests every engine benchmark uses (``{url}``: nginx's base URL): ``get`` is the
#: static GET; ``login`` -> ``me`` is the 4-step flow (login, extract the token, GET with
#: ``Authorization: Bearer``, JSON assertion) served by :data:`FLOW_LOCATIONS`.
GET_REQUEST = """
request get {{
  curl {url}/
  assert {{ status == 200 }}
}}
"""
REQUESTS = GET_REQUEST + """
request login {{
  curl -X POST {url}/login \\
    -H 'Content-Type: application/json' \\
    -d '{{"username":"user-${{VU}}","password":"secret"}}'
  extract {{ token = $.token }}
}}

request me {{
  curl {url}/me -H "Authorization: Bearer ${{token}}"
  assert {{
    status == 200
    body.id == 1
  }}
}}
"""


def scenario_block(name: str, load: str, run: str = "get", extra: str = "") -> str:
    """``scenario NAME { load LOAD  run RUN  EXTRA }`` (``extra``: more lines, e.g. a think)."""
    more = f"  {extra}\n" if extra else ""
    return f"\nscenario {name} {{\n  load {load}\n  run {run}\n{more}}}\n"


def scenario_text(url: str, name: str, load: str, run: str = "get", extra: str = "",
                  requests: str = REQUESTS) -> str:
    """A whole scenario file: ``requests`` (:data:`REQUESTS`, or :data:`GET_REQUEST` alone)
    against ``url`` and one scenario."""
    return requests.format(url=url) + scenario_block(name, load, run, extra)


def bench_parser(doc: str, duration: int = 5, vus: int = 50, rounds: int = 3
                 ) -> argparse.ArgumentParser:
    """``--duration`` (s), ``--vus`` and ``--rounds``: the options most scripts here take;
    the description is the first line of the script's docstring."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--duration", type=int, default=duration)
    ap.add_argument("--vus", type=int, default=vus)
    ap.add_argument("--rounds", type=int, default=rounds)
    return ap


# --------------------------------------------------------------------------- tools


def ensure_tools() -> None:
    """Install nginx and wrk from Debian when either is missing."""
    if shutil.which("nginx") and shutil.which("wrk") and shutil.which("taskset"):
        return
    print("installing nginx and wrk from Debian ...", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "nginx", "wrk", "util-linux"], check=True,
                   env=env, stdout=subprocess.DEVNULL)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def nginx_server(port: int, lines: Sequence[str], listen: str = " backlog=16384") -> str:
    """One ``server`` block of :data:`NGINX_CONF` on ``127.0.0.1:port``."""
    body = "\n".join("        " + line for line in lines)
    return f"    server {{\n        listen 127.0.0.1:{port}{listen};\n{body}\n    }}"


@contextlib.contextmanager
def run_nginx(tmp: Path, ready_port: int, servers: Sequence[str], connections: int = 4096,
              http: str = "") -> Iterator[None]:
    """nginx (1 worker, CPU 0) with ``servers`` and its files in ``tmp``, started and
    accepting on ``ready_port`` when this enters, stopped when it exits. ``http``: more
    http-level directives."""
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, conns=connections + 64,
                                      nofile=2 * connections + 256,
                                      http=http, servers="\n".join(servers)))
    proc = subprocess.Popen(["taskset", "-c", "0", "nginx", "-p", str(tmp), "-c",
                             str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", ready_port), 0.1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.05)
        else:
            raise SystemExit("nginx did not start")
        if proc.poll() is not None:
            raise SystemExit("nginx exited: " + (tmp / "error.log").read_text())
        yield
    finally:
        # imported here, not at the top: a child that measures another tree (``src=``)
        # must import httptool only after putting that tree first on sys.path
        from httptool.target.proc import stop_process

        stop_process(proc)


@contextlib.contextmanager
def nginx(locations: Sequence[str] = (STATIC_LOCATION,), connections: int = 4096
          ) -> Iterator[str]:
    """Run nginx (1 worker, CPU 0) serving ``locations``; yield its base URL (no slash)."""
    with tempfile.TemporaryDirectory(prefix="httptool-bench-") as d:
        port = free_port()
        with run_nginx(Path(d), port, [nginx_server(port, locations)], connections):
            yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def static_get_file(load: str, locations: Sequence[str] = (STATIC_LOCATION,)
                    ) -> Iterator[tuple[str, Path]]:
    """nginx serving ``locations`` and, in a temporary folder, ``s.httpx``: scenario ``s``
    (``load``) of :data:`GET_REQUEST`. Yields (nginx's base URL, the file); the file's
    folder takes the runs' other files."""
    with nginx(locations) as url, tempfile.TemporaryDirectory() as d:
        f = Path(d) / "s.httpx"
        f.write_text(scenario_text(url, "s", load, requests=GET_REQUEST))
        yield url, f


def interleaved_rounds(rounds: int, variants: Sequence[str],
                       run: Callable[[str], dict[str, Any]],
                       say: Callable[[dict[str, Any]], str]) -> list[dict[str, Any]]:
    """``rounds`` rounds (at most 20) of ``run(variant)`` for every variant in turn, so
    drift on the shared machine hits them alike; each result gets its ``round``, and
    ``say(result)`` goes to stderr after the round number and variant."""
    runs = []
    for r in range(1, min(rounds, 20) + 1):
        for v in variants:
            res = run(v)
            res["round"] = r
            runs.append(res)
            print(f"round {r} {v}: {say(res)}", file=sys.stderr)
    return runs


def run_child(cmd: list[str], timeout: float) -> tuple[str, float, float]:
    """Run ``cmd``; return its stdout and its user and system CPU seconds (from
    ``RUSAGE_CHILDREN``, so they include the child's start-up)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{cmd[:4]} ... failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return (out.stdout, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)


class FirstArrival:
    """A tiny HTTP/1.1 server on loopback that answers ``200 ok`` with ``Connection:
    close`` and records the wall-clock time of its first accepted connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.first: float | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        self.first = None

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.first is None:
                self.first = time.time()
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                             b"Connection: close\r\n\r\nok")

    def close(self) -> None:
        self.sock.close()


def run_wrk(url: str, conns: int, duration: float) -> dict[str, float]:
    """``wrk -t1 -cN -dDs URL`` pinned to CPU 1: requests, seconds, CPU seconds (total,
    user, system), non-2xx responses."""
    out, user, sys_ = run_child(["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}",
                          f"-d{duration:g}s", url], timeout=duration + 30)
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if not m:
        raise SystemExit("cannot read wrk output:\n" + out)
    unit = {"s": 1.0, "ms": 1e-3, "m": 60.0}[m.group(3)]
    e = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests": int(m.group(1)), "seconds": float(m.group(2)) * unit,
            "cpu": user + sys_, "cpu_user": user, "cpu_sys": sys_,
            "errors": int(e.group(1)) if e else 0}


def run_scenario(text: str, timeout: float, prefix: Sequence[str] = (),
                 nofile: int = 0, knobs: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a scenario's first scenario through ``run_shard`` (1 shard) in a child pinned
    to CPU 1; ``prefix`` goes before ``taskset`` (a profiler, which then runs unpinned).
    ``knobs`` are experiments that need no engine change: ``pure=1`` (``HTTPTOOL_PURE``:
    the pure-Python path where the compiled one is built), ``gc=off`` / ``gc=freeze``
    (``gc.disable()`` / ``gc.freeze()`` just before ``run_shard``), ``cookies=off|vu|shared``
    (``RunOptions.cookies``), ``src=PATH`` (import httptool from PATH instead of this
    checkout's src/). Returns the child's measurements (see :func:`shard_child`)."""
    with tempfile.TemporaryDirectory(prefix="httptool-shard-") as d:
        spec = Path(d) / "spec.json"
        spec.write_text(json.dumps({"text": text, "nofile": nofile, "knobs": knobs or {}}))
        cmd = [*prefix, "taskset", "-c", "1", sys.executable, str(Path(__file__).resolve()),
               "--shard", str(spec)]
        out, _, _ = run_child(cmd, timeout)
    for line in reversed(out.splitlines()):  # a profiler may print after the child
        if line.startswith("{"):
            return json.loads(line)  # type: ignore[no-any-return]
    raise SystemExit("no result from the shard child:\n" + out[-2000:])


# --------------------------------------------------------------------------- profiling

#: py-spy lives in its own venv, never in the project's dependencies.
PYSPY_VENV = Path(os.environ.get("HTTPTOOL_BENCH_VENV", "/tmp/benchvenv"))


def ensure_pyspy() -> str:
    """Path of a py-spy binary, installed with pip into :data:`PYSPY_VENV` if needed."""
    exe = PYSPY_VENV / "bin" / "py-spy"
    if not exe.exists():
        print(f"installing py-spy into {PYSPY_VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(PYSPY_VENV)], check=True)
        subprocess.run([str(PYSPY_VENV / "bin" / "pip"), "install", "-q", "py-spy"],
                       check=True)
    return str(exe)


def profile_scenario(text: str, timeout: float, raw_path: Path, rate: int = 500
                     ) -> dict[str, Any]:
    """Run the scenario under ``py-spy record --format raw`` (collapsed stacks written to
    ``raw_path``) and return the child's measurements.

    Python frames only: C code and system calls are charged to the Python function that
    called them. py-spy's default mode pauses the process for each sample (the profiled
    run costs ~5-10 % more CPU per request than an unprofiled one); ``--nonblocking``
    gave about half as many usable samples and stacks torn between frames. ``--native``
    was rejected: on this kernel its stops land mostly in system calls (``getpid`` inside
    ``asyncio.get_running_loop``, a ~0.2 µs call, came out at 25 % of the samples)."""
    prefix = [ensure_pyspy(), "record", "--format", "raw", "-r", str(rate),
              "-o", str(raw_path), "--"]
    return run_scenario(text, timeout, prefix=prefix)


_FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _frame_name(frame: str) -> str:
    """``send (httptool/engine/client.py:210)`` -> ``send (engine/client.py)``."""
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    if "httptool/" in path:
        path = path.split("httptool/", 1)[1]
    else:
        path = path.rsplit("/", 2)[-1] if "/" in path else path
    return f"{m.group('fn')} ({path})"


def collapse(raw_path: Path, under: str = "run_shard (run/shard.py)"
             ) -> tuple[int, dict[str, int], dict[str, int]]:
    """Total samples, self samples and inclusive samples per function (file, no line),
    counting only stacks that pass through ``under`` (so start-up is left out)."""
    total = 0
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    for line in raw_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame_name(f) for f in stack.split(";") if f]
        if frames and frames[0].startswith("process "):
            frames = frames[1:]
        if frames and frames[0].startswith("thread "):
            frames = frames[1:]
        if not frames or under not in frames:
            continue
        total += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for f in set(frames):
            incl[f] = incl.get(f, 0) + n
    return total, own, incl


def top_table(counts: dict[str, int], total: int, n: int = 15) -> str:
    rows = [[f"`{name}`", f"{c / total * 100:.1f} %"]
            for name, c in sorted(counts.items(), key=lambda kv: -kv[1])[:n]]
    return table(["function (file)", "% of samples"], rows)


def profile_report(text: str, timeout: float, name: str) -> dict[str, Any]:
    """One profiled run of the scenario: the child's figures, the raw stacks' path and
    markdown tables of the top self and inclusive functions (``markdown``)."""
    raw = RESULTS_DIR / f"{name}_profile.txt"
    r = profile_scenario(text, timeout, raw)
    total, own, incl = collapse(raw)
    if not total:
        raise SystemExit(f"py-spy recorded no samples under run_shard ({raw})")
    us = r["cpu"] / max(r["requests"], 1) * 1e6
    md = (f"Profile: {total} py-spy samples inside run_shard, {us:.2f} µs CPU/request "
          f"during the profiled run (raw stacks: {raw}).\n\nSelf time (C code and system "
          f"calls count for the Python function that called them):\n\n"
          f"{top_table(own, total, 20)}\n\nInclusive time:\n\n{top_table(incl, total, 30)}")
    return {"run": r, "raw": str(raw), "samples": total, "us_per_req": us, "self": own,
            "inclusive": incl, "markdown": md}


# --------------------------------------------------------------------------- shard child


def _status_kb(field: str) -> int:
    """A ``/proc/self/status`` field in kB (VmRSS, VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def import_tree(src: Path) -> None:
    """Import httptool from ``src`` (a child measuring that tree), or stop: a child that
    got another tree's httptool (already imported, or first on the path) would measure
    the wrong code and say nothing."""
    sys.path.insert(0, str(src))
    import httptool

    if not Path(httptool.__file__).resolve().is_relative_to(src.resolve()):
        raise SystemExit(f"measuring the wrong tree: httptool from {httptool.__file__}, "
                         f"not {src}")


def pure_env(pure: bool) -> dict[str, str]:
    """This environment for a child, with ``HTTPTOOL_PURE=1`` when ``pure`` and without
    it otherwise (the compiled build, where there is one)."""
    env = {k: v for k, v in os.environ.items() if k != "HTTPTOOL_PURE"}
    if pure:
        env["HTTPTOOL_PURE"] = "1"
    return env


def shard_child(spec_path: str) -> dict[str, Any]:
    """Child side of :func:`run_scenario`: run the scenario and measure it."""
    spec = json.loads(Path(spec_path).read_text())
    if spec.get("nofile"):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = min(int(spec["nofile"]), hard)
        if want > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    knobs = spec.get("knobs") or {}
    # ``src=PATH``: another tree's sources (e.g. ``git archive`` of an older commit), to
    # measure a change against the code before it in the same run
    if knobs.get("pure"):  # ``pure=1``: the pure-Python path of a compiled build
        os.environ["HTTPTOOL_PURE"] = "1"
    import_tree(Path(knobs.get("src") or ROOT / "src"))
    try:
        from httptool.implementation import hot_path
    except ImportError:  # a tree from before the compiled path (src= of an old commit)
        def hot_path() -> str:
            return "pure Python"

    from httptool.dsl import compile_source
    from httptool.engine.executors import ShardSpec
    from httptool.metrics.result import Merger
    from httptool.run.shard import RunOptions, ShardConfig, run_shard

    plan, diags = compile_source(spec["text"], "bench.httpx", None, None)
    if plan is None:
        raise SystemExit(diags.render(spec["text"]))
    merger = Merger()
    errors: list[str] = []
    snapshots = 0

    class Channel:
        stop = threading.Event()
        hard_stop = threading.Event()

        def send(self, msg: tuple[Any, ...]) -> None:
            nonlocal snapshots
            if msg[0] == "snapshot":  # merged as it arrives, as the coordinator does
                snapshots += 1
                merger.add(msg[1])
            elif msg[0] == "error":
                errors.append(msg[2])

    name = plan.scenarios[0].name
    config = ShardConfig(plan, name, ShardSpec(0, 1), time.time_ns(),
                         RunOptions(cookies=knobs.get("cookies")))
    if knobs.get("gc") == "off":
        gc.disable()
    elif knobs.get("gc") == "freeze":
        gc.freeze()
    rss0 = _status_kb("VmRSS")
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    run_shard(config, Channel())
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    if errors:
        raise SystemExit("shard failed:\n" + "\n".join(errors))
    res = merger.result()
    tot = res.total
    svc = tot.service
    return {
        "hot_path": hot_path(),
        "requests": tot.requests, "responses": tot.responses, "failures": tot.failures,
        "failures_by_kind": tot.failures_by_kind,
        "by_name": {k: r.requests for k, r in res.requests.items()},
        "checks_passed": res.checks_passed, "checks_failed": res.checks_failed,
        "completed": res.completed, "dropped": res.dropped, "interrupted": res.interrupted,
        "vus_created": res.vus_created, "vus_max": res.vus_max,
        "duration_s": res.duration_s, "seconds": wall, "snapshots": snapshots,
        "cpu_user": ru1.ru_utime - ru0.ru_utime, "cpu_sys": ru1.ru_stime - ru0.ru_stime,
        "cpu": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        "rss_before_kb": rss0, "rss_end_kb": _status_kb("VmRSS"),
        "hwm_kb": _status_kb("VmHWM"), "maxrss_kb": ru1.ru_maxrss,
        "latency_ms": {"p50": tot.latency.med / 1e6, "p99": tot.latency.p99 / 1e6,
                       "max": tot.latency.max / 1e6},
        "connect_ms": {"count": tot.connect.count, "p50": tot.connect.med / 1e6,
                       "p99": tot.connect.p99 / 1e6, "max": tot.connect.max / 1e6},
        "service_ms": None if svc is None else {"p50": svc.med / 1e6, "p99": svc.p99 / 1e6,
                                                "max": svc.max / 1e6},
        "series": [[s.second, s.requests] for s in res.series],
    }


# --------------------------------------------------------------------------- reporting


def median(rows: Sequence[dict[str, Any]], fn: Callable[[dict[str, Any]], float]) -> float:
    return statistics.median(fn(r) for r in rows)


def spread(rows: Sequence[dict[str, Any]], fn: Callable[[dict[str, Any]], float]) -> str:
    """``min–max`` of a per-round figure, for the noise note."""
    vals = [fn(r) for r in rows]
    return f"{min(vals):,.2f}–{max(vals):,.2f}"


def per_request(r: dict[str, Any]) -> dict[str, Any]:
    """Add ``rps``, ``us_per_req`` and its ``user_us``/``sys_us`` parts to a run's figures
    (from ``requests``, ``seconds``, ``cpu``, ``cpu_user``, ``cpu_sys``)."""
    n = max(r["requests"], 1)
    r["rps"] = r["requests"] / r["seconds"]
    r["us_per_req"] = r["cpu"] / n * 1e6
    r["user_us"] = r["cpu_user"] / n * 1e6
    r["sys_us"] = r["cpu_sys"] / n * 1e6
    return r


#: Header of the "generator vs wrk" tables; rows come from :func:`vs_wrk_row`.
VS_WRK_HEADER = ("generator (CPU 1)", "req/s", "CPU µs/request", "user µs", "system µs",
                 "CPU/request vs wrk (same-round ratios)", "µs/request, all rounds")


def vs_wrk_row(label: str, runs: Sequence[dict[str, Any]], ratio: str) -> list[str]:
    """One row of medians over ``runs`` (annotated by :func:`per_request`)."""
    return [label, f"{median(runs, lambda r: r['rps']):,.0f}",
            f"{median(runs, lambda r: r['us_per_req']):.2f}",
            f"{median(runs, lambda r: r['user_us']):.2f}",
            f"{median(runs, lambda r: r['sys_us']):.2f}", ratio,
            spread(runs, lambda r: r["us_per_req"])]


def round_line(name: str, r: dict[str, Any]) -> str:
    """One generator's figures in a round's progress line."""
    line = (f"{name} {r['rps']:,.0f} req/s {r['us_per_req']:.2f} µs/req (user "
            f"{r['user_us']:.2f}, sys {r['sys_us']:.2f})")
    line += f" [{r['hot_path']}]" if "hot_path" in r else ""
    return line + (f" -> {r['ratio']:.2f}× wrk" if "ratio" in r else "")


def _version(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (p.stdout + p.stderr).strip().splitlines()[0] if (p.stdout + p.stderr) else "?"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = "?"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        for line in subprocess.run(["lscpu"], capture_output=True, text=True,
                                   timeout=10).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    load = os.getloadavg()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    return {
        "commit": commit or "?",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model, "cores": os.cpu_count(), "kernel": platform.release(),
        "python": platform.python_version(), "nginx": _version(["nginx", "-v"]),
        "wrk": _version(["wrk", "-v"]).split(" [")[0],
        "loadavg_at_start": [round(x, 2) for x in load],
    }


def machine_line(m: dict[str, Any]) -> str:
    return (f"Machine: {m['cpu']} · {m['cores']} cores · kernel {m['kernel']} · Python "
            f"{m['python']} · {m['nginx']} · {m['wrk']} · {m['date']} · commit "
            f"{m['commit']} · load average at start {m['loadavg_at_start'][0]}")


def write_json(name: str, data: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=1))
    return path


def save_results(name: str, m: dict[str, Any], args: argparse.Namespace,
                 **data: Any) -> Path:
    """``RESULTS_DIR/NAME.json`` with the machine and arguments beside ``data``; says
    where on stderr (stdout keeps the table)."""
    path = write_json(name, {"machine": m, "args": vars(args), **data})
    print(f"JSON: {path}", file=sys.stderr)
    return path


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1) -> str:
    """A markdown table; columns from ``right_from`` on are right-aligned."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description="shard child of the engine benchmarks")
    ap.add_argument("--shard", metavar="SPEC.json", required=True)
    args = ap.parse_args()
    print(json.dumps(shard_child(args.shard)))


if __name__ == "__main__":
    main()
