"""A real Dask cluster on loopback for the ``--cluster`` tests, and the CLI as a user runs it.

:class:`LocalCluster` starts ``dask scheduler`` and ``dask worker`` as separate processes
(no nanny: a SIGKILL of a worker is the loss of that worker, nothing restarts it), on free
ports chosen by the scheduler (``--port 0``, the address read back from its scheduler
file). Every process is ended by :meth:`LocalCluster.stop`, by its own pid.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: How long the scheduler and the workers get to come up.
START_TIMEOUT = 30.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    return env


@dataclass
class LocalCluster:
    """One scheduler and ``n`` single-threaded worker processes on 127.0.0.1."""

    tmp: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    scheduler: subprocess.Popen[bytes] | None = None
    address: str = ""

    def start(self, n: int = 2) -> LocalCluster:
        sched_file = self.tmp / "scheduler.json"
        log = (self.tmp / "scheduler.log").open("wb")
        self.scheduler = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(sched_file)],
            stdout=log, stderr=subprocess.STDOUT, env=_env(), cwd=self.tmp)
        deadline = time.monotonic() + START_TIMEOUT
        while not sched_file.exists():
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                self.stop()
                raise RuntimeError("dask scheduler did not start: "
                                   + (self.tmp / "scheduler.log").read_text()[-2000:])
            time.sleep(0.05)
        time.sleep(0.05)  # the file is written in one go, but be sure it is complete
        self.address = json.loads(sched_file.read_text())["address"]
        for k in range(n):
            self.add_worker(k)
        self.wait_for_workers(n, deadline)
        return self

    def add_worker(self, k: int) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"worker{k}.log").open("wb")
        p = subprocess.Popen(
            [str(BIN / "dask"), "worker", self.address, "--nworkers", "1", "--nthreads",
             "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
            stdout=log, stderr=subprocess.STDOUT, env=_env(), cwd=self.tmp)
        self.workers.append(p)
        return p

    def worker_count(self) -> int:
        from distributed import Client

        with Client(self.address, timeout=5, set_as_default=False) as c:
            return len(c.scheduler_info(n_workers=-1)["workers"])

    def wait_for_workers(self, n: int, deadline: float) -> None:
        while self.worker_count() < n:
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"fewer than {n} dask workers came up")
            time.sleep(0.2)

    def stop(self) -> None:
        for p in [*self.workers, *([self.scheduler] if self.scheduler else [])]:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in [*self.workers, *([self.scheduler] if self.scheduler else [])]:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


# ------------------------------------------------------------------ the CLI


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    summary: dict[str, Any] | None


def cli_args(scenario: Path, address: str, summary: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "httptool", "scenario", "run", str(scenario),
            "--cluster", address, "--summary-json", str(summary), *extra]


def finish(p: subprocess.Popen[str], summary: Path, timeout: float = 60) -> CliRun:
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError(f"httptool did not finish in {timeout} s:\n{out}\n{err}") from None
    data = json.loads(summary.read_text()) if summary.exists() else None
    return CliRun(p.returncode, out, err, data)


def start_cli(scenario: Path, address: str, summary: Path, *extra: str
              ) -> subprocess.Popen[str]:
    return subprocess.Popen(cli_args(scenario, address, summary, *extra), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "NO_COLOR": "1"})


def run_cli(scenario: Path, address: str, summary: Path, *extra: str,
            timeout: float = 60) -> CliRun:
    return finish(start_cli(scenario, address, summary, *extra), summary, timeout)


def per_vu(summary: dict[str, Any]) -> dict[int, int]:
    """VU number -> requests, from the summary JSON (every VU listed once)."""
    rows = summary["per_vu"]
    vus = [r["vu"] for r in rows]
    assert len(vus) == len(set(vus)), f"a VU number appears twice: {vus}"
    return {r["vu"]: r["requests"] for r in rows}


def path_counts(target: Any, prefix: str) -> dict[str, int]:
    return {p: n for p, n in target.counts()["paths"].items() if p.startswith(prefix)}
