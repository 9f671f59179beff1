"""``--dashboard`` without a browser: the event stream as 100 clients at once see it, a
client that goes away mid-run, a port in use, and flags that do not go together."""

from __future__ import annotations

import asyncio
import re
import signal
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

from support.livecli import (
    cli,
    free_port,
    load_json,
    read_sse,
    run_cli,
    run_on_busy_port,
    wait_http,
    write_scenario,
)


async def watch(url: str, clients: int) -> tuple[list[list[tuple[str, Any]]], bool]:
    """``clients`` readers of /events at once until the final event, plus one that leaves
    after its first state event; (what each reader saw, the leaver left)."""
    async with aiohttp.ClientSession() as session:
        async def leaver() -> bool:
            got = await read_sse(session, url + "events", stop_after="state")
            return got[-1][0] == "state"  # the connection closes here, mid-run
        results = await asyncio.gather(leaver(), *(read_sse(session, url + "events")
                                                   for _ in range(clients)))
    return list(results[1:]), bool(results[0])


def test_a_hundred_clients_and_one_that_leaves(target: Any, tmp_path: Path) -> None:
    port = free_port()
    scenario = write_scenario(tmp_path, target.url, vus=3, duration="3s")
    summary = tmp_path / "summary.json"
    target.reset()
    proc = cli("scenario", "run", str(scenario), "--workers", "2", "--summary-json",
               str(summary), f"--dashboard=127.0.0.1:{port}")
    url = f"http://127.0.0.1:{port}/"
    wait_http(url)
    seen, left = asyncio.run(watch(url, 100))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"httptool: dashboard at {url} (live while the run goes on)" in err
    doc = load_json(summary)
    assert doc["requests"] == target.counts()["total"] > 50
    assert left
    for events in seen:
        kinds = [k for k, _ in events]
        assert kinds[0] == "history" and kinds[-1] == "final" and "state" in kinds
        states = [d for k, d in events if k == "state"]
        counts = [s["requests"] for s in states]
        assert counts == sorted(counts)  # cumulative: never goes back
        last = states[-1]
        assert last["final"] is True
        assert (last["requests"], last["failures"]) == (doc["requests"], doc["failures"])
        by_name = {r["name"]: r["requests"] for r in last["per_request"]}
        assert by_name == {n: r["requests"] for n, r in doc["per_request"].items()}
        html = events[-1][1]["html"]
        shown = re.search(r'id="total-requests" data-value="(\d+)"', html)
        assert shown is not None and int(shown.group(1)) == doc["requests"]


def test_a_page_opened_mid_run_gets_the_history_so_far(target: Any, tmp_path: Path) -> None:
    port = free_port()
    scenario = write_scenario(tmp_path, target.url, vus=2, duration="4s")
    proc = cli("scenario", "run", str(scenario), "--workers", "1",
               f"--dashboard={port}", "--dashboard-linger")
    url = f"http://127.0.0.1:{port}/"
    wait_http(url)

    async def late() -> list[tuple[str, Any]]:
        await asyncio.sleep(3.2)  # load ~3 s in: seconds 0..2 are history by now
        async with aiohttp.ClientSession() as s:
            return await read_sse(s, url + "events", stop_after="history")
    events = asyncio.run(late())
    seconds = [row[0] for row in events[0][1]["series"]]
    assert seconds[:2] == [0, 1], seconds
    # after the end, with --dashboard-linger: the page is the final report, until Ctrl-C
    deadline = 30.0
    while deadline > 0:
        with urllib.request.urlopen(url, timeout=5) as r:
            page = r.read().decode()
        if 'id="total-requests"' in page:
            break
        asyncio.run(asyncio.sleep(0.3))
        deadline -= 0.3
    assert 'id="total-requests"' in page and "httptool report" in page
    assert proc.poll() is None  # still serving
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"dashboard: the final result stays at {url} until Ctrl-C" in err


def test_a_port_in_use_is_exit_2_and_nothing_is_sent(target: Any, tmp_path: Path) -> None:
    run, port = run_on_busy_port(target, tmp_path, "--dashboard=127.0.0.1:{port}")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1] == (
        f"httptool: --dashboard: cannot listen on 127.0.0.1:{port}: "
        "Address already in use (another process uses the port; pick another one)")
    assert target.counts()["total"] == 0


def test_linger_needs_the_dashboard(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, "http://127.0.0.1:9", vus=1, duration="1s")
    run = run_cli("scenario", "run", str(scenario), "--dashboard-linger")
    assert run.returncode == 2
    assert run.stderr.strip() == "httptool: --dashboard-linger needs --dashboard"


def test_dashboard_then_file_takes_the_default_address(target: Any, tmp_path: Path) -> None:
    """``httptool run --dashboard FILE``: the option's value is optional, so FILE is the
    scenario file and the dashboard gets 127.0.0.1:5665 (a test beside may hold that port:
    then the run stops at the bind, which still shows FILE was read as the file)."""
    scenario = write_scenario(tmp_path, target.url, vus=1, duration="1s")
    run = run_cli("run", "--dashboard", str(scenario), "--workers", "1", "-q")
    assert "Missing argument" not in run.stderr and "Traceback" not in run.stderr
    assert ("dashboard at http://127.0.0.1:5665/" in run.stderr and run.returncode == 0) or (
        "cannot listen on 127.0.0.1:5665" in run.stderr and run.returncode == 2), run.stderr
    missing = run_cli("run", "--dashboard", "127.0.0.1:5999")
    assert missing.returncode == 2 and "Missing argument 'FILE'." in missing.stderr
