"""``--dashboard`` with ``--cluster``: the coordinator serves it, with every shard's
numbers merged, and its final state equals the summary and the server's count."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from clusterkit import LocalCluster, finish, start_cli

from support.livecli import free_port, read_sse, wait_http, write_scenario


def test_the_coordinator_serves_the_dashboard(cluster: LocalCluster, fresh_target: Any,
                                              tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, fresh_target.url, vus=4, duration="3s")
    summary = tmp_path / "summary.json"
    port = free_port()
    proc = start_cli(scenario, cluster.address, summary, "--shards", "2",
                     f"--dashboard=127.0.0.1:{port}")
    url = f"http://127.0.0.1:{port}/"
    wait_http(url, timeout=60)

    async def read() -> list[tuple[str, Any]]:
        async with aiohttp.ClientSession() as s:
            return await read_sse(s, url + "events", limit=90)
    events = asyncio.run(read())
    run = finish(proc, summary)
    assert run.returncode == 0, run.stderr
    assert run.summary is not None and run.summary["shards"] == 2
    states = [d for k, d in events if k == "state"]
    assert any(0 < s["requests"] < run.summary["requests"] for s in states)  # seen live
    assert states[-1]["final"] is True
    assert states[-1]["requests"] == run.summary["requests"] == fresh_target.counts()["total"]
    assert events[-1][0] == "final"
