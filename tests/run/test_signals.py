"""Ctrl-C and SIGTERM, for real: a driver process (sig_driver.py) runs fake shards in its
own session; the test signals its process group as a terminal would (the shard processes
get the SIGINT too and must ignore it)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(60)
HERE = Path(__file__).resolve().parent


class Driver:
    def __init__(self, **cfg: Any) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "sig_driver.py"), json.dumps(cfg)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=HERE,
            start_new_session=True)
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def wait_for(self, key: str, pred: Any = lambda v: True, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self.lines.get(timeout=0.05)
            except queue.Empty:
                continue
            self.seen.append(msg)
            if key in msg and pred(msg[key]):
                return msg[key]
        self.kill()
        raise AssertionError(f"no {key!r} line within {timeout} s; saw {self.seen}")

    def ctrl_c(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)

    def finish(self, timeout: float = 15.0) -> tuple[int, dict[str, Any]]:
        outcome = self.wait_for("outcome", timeout=timeout)
        rc = self.proc.wait(timeout=5)
        return rc, outcome

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def signals(self) -> list[int]:
        return [m["signal"] for m in self.seen if "signal" in m]


@pytest.fixture
def drivers() -> Any:
    started: list[Driver] = []

    def make(**cfg: Any) -> Driver:
        d = Driver(**cfg)
        started.append(d)
        return d

    yield make
    for d in started:
        d.kill()


def _consistent(o: dict[str, Any]) -> None:
    assert o["errors"] == []
    assert o["final"] is True
    assert o["vu_requests"] == o["requests"]
    assert o["vu_iterations"] == o["completed"]


@pytest.mark.parametrize(("workers", "how", "method"), [
    (1, "ctrl-c", None), (2, "ctrl-c", "forkserver"), (2, "sigterm", "fork")])
def test_stop_signal_gives_final_partial_results(drivers: Any, workers: int, how: str,
                                                 method: str | None) -> None:
    """The in-flight iteration finishes within the grace period, teardown still runs, and
    the partial result is final and consistent; exit 130. (A forkserver child does not
    inherit the coordinator's handler: without ignoring SIGINT it would die of it.)"""
    d = drivers(workers=workers, grace=5, inflight=0.3, start_method=method)
    d.wait_for("requests", lambda n: n > 1)  # setup's request, then the load's
    t0 = time.monotonic()
    if how == "ctrl-c":
        d.ctrl_c()
    else:
        os.kill(d.proc.pid, signal.SIGTERM)
    rc, o = d.finish()
    assert time.monotonic() - t0 < 5
    assert rc == 130 and o["interrupted"] is True and d.signals() == [1]
    _consistent(o)
    assert o["interrupted_iterations"] == 0  # the grace period was enough
    load = o["per_name"]["get token=t0k"]
    assert load == o["completed"] > 0
    assert o["per_name"]["setup"] == 1 and o["per_name"]["teardown token=t0k"] == 1
    assert o["shards"] == workers + 2


@pytest.mark.parametrize("workers", [1, 2])
def test_second_ctrl_c_cuts_the_grace_short(drivers: Any, workers: int) -> None:
    """In-flight iterations would take 20 s of a 30 s grace: the second Ctrl-C ends them
    (counted as interrupted) and skips teardown."""
    d = drivers(workers=workers, grace=30, inflight=20)
    d.wait_for("requests", lambda n: n > 1)
    d.ctrl_c()
    d.wait_for("signal", lambda n: n == 1)
    time.sleep(0.3)
    assert d.proc.poll() is None  # still waiting for the in-flight iterations
    t0 = time.monotonic()
    d.ctrl_c()
    rc, o = d.finish()
    assert time.monotonic() - t0 < 5
    assert rc == 130 and d.signals() == [1, 2]
    _consistent(o)
    assert o["interrupted_iterations"] == workers  # one in flight per shard (one VU each)
    assert "teardown token=t0k" not in o["per_name"]
    assert o["shards"] == workers + 1


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_with_real_shards(drivers: Any, target: Any, workers: int) -> None:
    """The real shard stops on Ctrl-C: the partial result is final, teardown still runs,
    and the tool counted exactly what the server served."""
    target.reset()
    d = drivers(workers=workers, grace=5, inflight=0, url=target.url)
    d.wait_for("requests", lambda n: n > 50)
    t0 = time.monotonic()
    d.ctrl_c()
    rc, o = d.finish()
    assert time.monotonic() - t0 < 5
    assert rc == 130 and o["interrupted"] is True and d.signals() == [1]
    assert o["errors"] == [] and o["final"] is True and o["failures"] == 0
    counts = target.counts()
    assert o["requests"] == counts["total"]
    assert o["per_name"]["me"] == counts["paths"]["/me"]
    assert o["per_name"]["login"] == 1 and o["per_name"]["logout"] == 1
    assert o["vu_requests"] == o["requests"]
