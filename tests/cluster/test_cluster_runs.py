"""``httptool scenario run --cluster``: closed, open and iterations loads on a real
two-worker Dask cluster (loopback) give the target's own counts exactly, with VU numbers
and ``${COUNTER}`` values unique across the shards."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from clusterkit import LocalCluster, path_counts, per_vu, run_cli

pytestmark = pytest.mark.timeout(90)

REQUEST_LINE = re.compile(r"^\[\d\d:\d\d:\d\d\] VU (\d+) ✓ GET \S+/anything/vu\d+ - 200 ",
                          re.M)


def scenario(tmp_path: Path, load: str, path: str, url: str) -> Path:
    f = tmp_path / "s.ht"
    f.write_text(f"request hit {{\n  curl {url}{path}\n}}\n"
                 f"scenario s {{\n  load {load}\n  run hit\n}}\n")
    return f


def ok(r: Any) -> dict[str, Any]:
    """The summary of a run that must have succeeded."""
    assert r.returncode == 0, r.stderr
    assert r.summary is not None
    return dict(r.summary)


def check_per_vu(summary: dict[str, Any], target: Any, vus: set[int] | None = None) -> None:
    """Every VU's requests equal what the target received on its own path."""
    mine = per_vu(summary)
    server = path_counts(target, "/anything/vu")
    assert {f"/anything/vu{v}": n for v, n in mine.items()} == server
    assert sum(mine.values()) == summary["requests"] == target.counts()["total"]
    if vus is not None:
        assert set(mine) == vus


def test_closed_load_splits_vus_and_streams_events(cluster: LocalCluster, fresh_target: Any,
                                                   tmp_path: Path) -> None:
    f = scenario(tmp_path, "4 vus for 1500ms", "/anything/vu${VU}", fresh_target.url)
    r = run_cli(f, cluster.address, tmp_path / "s.json", "--verbose")
    s = ok(r)
    assert s["final"] is True and s["run"]["workers"] == 2
    assert s["requests"] > 0 and s["failures"] == 0
    check_per_vu(s, fresh_target, {1, 2, 3, 4})
    assert all(n > 0 for n in per_vu(s).values())  # both shards (VUs 1,3 and 2,4) ran
    # the verbose log streamed from the workers: one line per request, every VU's own
    lines = REQUEST_LINE.findall(r.stdout)
    assert len(lines) == s["requests"]
    assert {int(v) for v in lines} == {1, 2, 3, 4}


def test_open_load_splits_the_rate_exactly(cluster: LocalCluster, fresh_target: Any,
                                           tmp_path: Path) -> None:
    f = scenario(tmp_path, "{ rps = 100  duration = 2s }", "/anything/vu${VU}",
                 fresh_target.url)
    s = ok(run_cli(f, cluster.address, tmp_path / "s.json"))
    it = s["iterations"]
    assert it["completed"] + it["dropped"] + it["interrupted"] == 200  # 100/s for 2 s
    assert it["completed"] >= 190
    check_per_vu(s, fresh_target)


def test_iterations_load_counts_once_across_shards(cluster: LocalCluster, fresh_target: Any,
                                                   tmp_path: Path) -> None:
    f = scenario(tmp_path, "41 iterations with 4 vus", "/anything/c${COUNTER}",
                 fresh_target.url)
    s = ok(run_cli(f, cluster.address, tmp_path / "s.json"))
    assert s["iterations"] == {"completed": 41, "dropped": 0, "dropped_saturated": 0,
                               "dropped_connecting": 0, "dropped_late": 0,
                               "interrupted": 0}
    # ${COUNTER} 1..41, each value once, however the shards interleaved
    assert path_counts(fresh_target, "/anything/c") == {
        f"/anything/c{i}": 1 for i in range(1, 42)}
    vus = per_vu(s)
    assert set(vus) == {1, 2, 3, 4} and sum(vus.values()) == 41 == s["requests"]
    assert fresh_target.counts()["total"] == 41


def test_per_vu_iterations_run_each_vus_own_count_across_shards(
        cluster: LocalCluster, fresh_target: Any, tmp_path: Path) -> None:
    """``per vu``: 5 iterations for each of 3 VUs dealt to 2 Dask workers, 15 in all."""
    f = scenario(tmp_path, "5 iterations with 3 vus per vu", "/anything/vu${VU}",
                 fresh_target.url)
    s = ok(run_cli(f, cluster.address, tmp_path / "s.json"))
    assert s["run"]["workers"] == 2 and s["iterations"]["completed"] == 15
    check_per_vu(s, fresh_target, {1, 2, 3})
    assert set(per_vu(s).values()) == {5}


def test_shards_option_one_shard_and_too_many(cluster: LocalCluster, fresh_target: Any,
                                              tmp_path: Path) -> None:
    f = scenario(tmp_path, "6 iterations with 2 vus", "/anything/vu${VU}", fresh_target.url)
    r = run_cli(f, cluster.address, tmp_path / "one.json", "--shards", "1")
    assert r.returncode == 0, r.stderr
    assert r.summary is not None and r.summary["run"]["workers"] == 1
    check_per_vu(r.summary, fresh_target, {1, 2})

    r = run_cli(f, cluster.address, tmp_path / "many.json", "--shards", "3")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"httptool: --shards 3: the cluster at {cluster.address} has 2 worker thread(s) "
        "(one shard holds one for the whole run)"]
    assert r.summary is None


def test_http2_over_tls_on_the_cluster_counts_and_merges_the_protocol_mix(
        cluster: LocalCluster, h2target: Any, tmp_path: Path) -> None:
    """HTTP/2 on a two-worker Dask cluster: every request is an h2 stream the target
    counted, and the shards' protocol mix and connections merge in the summary."""
    server, ca = h2target
    server.reset()
    f = tmp_path / "h2.httpx"
    f.write_text(f"request get {{\n  curl {server.h2_urls['h2']}/get --cacert {ca}\n}}\n"
                 "scenario s {\n  load 40 iterations with 4 vus\n  run get\n}\n")
    s = ok(run_cli(f, cluster.address, tmp_path / "s.json"))
    assert s["run"]["workers"] == 2
    assert s["requests"] == 40 == server.counts()["total"]
    assert s["total"]["protocols"] == {"http/1.1": 0, "h2": 40}
    assert s["total"]["connections_opened"] == 4  # one per VU, as k6
