"""Faults of a ``--cluster`` run on a real loopback cluster: Ctrl-C stops every shard and
still reports the merged numbers; a killed CLI leaves no shard running; a worker
SIGKILLed mid-run loses its shard but not the run; an unreachable scheduler fails fast
with exit 2.

The worker kill is the last test of the module: the module's cluster has one worker left
after it."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from clusterkit import REPO, LocalCluster, finish, path_counts, per_vu, start_cli

pytestmark = pytest.mark.timeout(90)

#: A VU pauses this long between requests, which bounds what a killed shard can have sent
#: without reporting it (see test_a_lost_worker_...).
THINK_S = 0.05
#: The shards' snapshot interval (RunOptions.snapshot_interval), seconds.
SNAPSHOT_S = 1.0


def scenario(tmp_path: Path, url: str, load: str) -> Path:
    f = tmp_path / "s.ht"
    f.write_text(f"request hit {{\n  curl {url}/anything/vu${{VU}}\n}}\n"
                 f"scenario s {{\n  load {load}\n  run hit\n  think 50ms\n}}\n")
    return f


def wait_for_requests(target: Any, p: subprocess.Popen[str], n: int, timeout: float = 30
                      ) -> float:
    """Wait until the target saw ``n`` requests; returns when the first one arrived."""
    first = 0.0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and p.poll() is None:
        total = target.counts()["total"]
        if total and not first:
            first = time.monotonic()
        if total >= n:
            return first
        time.sleep(0.05)
    raise AssertionError(f"the run did not reach {n} requests (exit {p.poll()})")


def test_ctrl_c_stops_every_shard_and_reports_everything(
        cluster: LocalCluster, fresh_target: Any, tmp_path: Path) -> None:
    f = scenario(tmp_path, fresh_target.url, "4 vus for 60s")
    p = start_cli(f, cluster.address, tmp_path / "s.json")
    wait_for_requests(fresh_target, p, 40)
    sent_at = time.monotonic()
    p.send_signal(signal.SIGINT)
    r = finish(p, tmp_path / "s.json")
    stopped_in = time.monotonic() - sent_at
    assert r.returncode == 130, r.stderr
    assert stopped_in < 10, stopped_in  # graceful: in-flight iterations finish, no more
    assert "stopping: letting iterations in flight finish" in r.stderr
    s = r.summary
    assert s is not None and s["final"] is True and s["run"]["interrupted"] is True
    mine = per_vu(s)
    assert set(mine) == {1, 2, 3, 4}
    # nothing lost in a graceful stop: every VU's count is the target's
    assert {f"/anything/vu{v}": n for v, n in mine.items()} == path_counts(
        fresh_target, "/anything/vu")
    assert s["requests"] == fresh_target.counts()["total"]


def test_shards_stop_when_the_coordinator_dies(cluster: LocalCluster, fresh_target: Any,
                                               tmp_path: Path) -> None:
    """A SIGKILLed CLI cannot say stop; Dask cancels its tasks and the shards notice."""
    f = scenario(tmp_path, fresh_target.url, "4 vus for 60s")
    p = start_cli(f, cluster.address, tmp_path / "s.json")
    wait_for_requests(fresh_target, p, 40)
    p.kill()
    p.communicate(timeout=10)
    time.sleep(2.0)  # the client's loss reaches the workers; in-flight iterations end
    settled = fresh_target.counts()["total"]
    time.sleep(1.5)
    assert fresh_target.counts()["total"] == settled


def test_an_unreachable_scheduler_fails_fast_with_exit_2(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    f = scenario(tmp_path, "http://127.0.0.1:9", "1 iterations with 1 vus")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "httptool", "scenario", "run", str(f),
                        "--cluster", f"tcp://127.0.0.1:{port}"], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(
        f"httptool: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: ")
    assert took < 15, took  # 5 s connect timeout plus the interpreter's start
    assert r.stdout == ""


def test_a_lost_worker_loses_its_shard_not_the_run(
        cluster: LocalCluster, fresh_target: Any, tmp_path: Path) -> None:
    f = scenario(tmp_path, fresh_target.url, "4 vus for 4s")
    p = start_cli(f, cluster.address, tmp_path / "s.json")
    first = wait_for_requests(fresh_target, p, 40)
    # past the first snapshot of every shard, so the doomed one has reported something
    time.sleep(max(0.0, first + SNAPSHOT_S + 0.4 - time.monotonic()))
    victim = cluster.workers[1]
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    r = finish(p, tmp_path / "s.json")

    assert r.returncode == 1, r.stderr  # a degraded run is an error of the tool's run
    m = re.search(r"^httptool: error: shard (\d): lost: worker tcp://127\.0\.0\.1:\d+ left "
                  r"the cluster", r.stderr, re.M)
    assert m, r.stderr
    lost = int(m.group(1))
    s = r.summary
    # "final" is honest: the lost shard never sent its final snapshot (docs/outputs.md)
    assert s is not None and s["final"] is False and s["run"]["interrupted"] is False
    assert s["duration_s"] >= 3.5  # the surviving shard ran to the end of the load
    mine = per_vu(s)
    server = {int(k.removeprefix("/anything/vu")): n
              for k, n in path_counts(fresh_target, "/anything/vu").items()}
    assert set(mine) == set(server) == {1, 2, 3, 4}
    lost_vus = {v for v in mine if (v - 1) % 2 == lost}  # VU ranks are dealt round-robin
    for v in mine.keys() - lost_vus:
        assert mine[v] == server[v], (v, mine, server)  # the survivor: exact
    # the lost shard: what it reported (its last snapshot, at most SNAPSHOT_S old when it
    # died) is kept; the target also saw what it sent after that snapshot and the request
    # in flight at the kill. Each VU sends at most one request per THINK_S, so at most
    # (SNAPSHOT_S + a tick) / THINK_S + 1 requests per VU went unreported.
    bound = int((SNAPSHOT_S + 0.1) / THINK_S) + 1
    for v in lost_vus:
        assert 1 <= mine[v] <= server[v] <= mine[v] + bound, (v, mine, server)
    assert s["requests"] == sum(mine.values())
