"""Request counting: exact, per path/method/status, resettable, and counted at arrival."""

from __future__ import annotations

import asyncio
import random

import aiohttp
import pytest
from targetutil import call, new_session, run, send

pytestmark = pytest.mark.timeout(60)


def test_counts_are_exact_for_mixed_traffic(target_factory) -> None:
    t = target_factory(process=True)
    rng = random.Random(5)
    plan = [
        rng.choice([("GET", "/get"), ("POST", "/post"), ("GET", "/posts/3"),
                    ("DELETE", "/anything/x"), ("GET", "/status/503"), ("GET", "/missing"),
                    ("HEAD", "/json")])
        for _ in range(400)
    ]

    async def go() -> list[int]:
        async with new_session(connector=aiohttp.TCPConnector(limit=20)) as s:
            replies = await asyncio.gather(
                *(send(s, m, f"{t.url}{p}?i={i}") for i, (m, p) in enumerate(plan))
            )
            return [r.status for r in replies]

    statuses = run(go())
    want_paths: dict[str, int] = {}
    want_methods: dict[str, int] = {}
    want_statuses: dict[str, int] = {}
    for (m, p), st in zip(plan, statuses, strict=True):
        want_paths[p] = want_paths.get(p, 0) + 1
        want_methods[m] = want_methods.get(m, 0) + 1
        want_statuses[str(st)] = want_statuses.get(str(st), 0) + 1
    c = t.counts()
    assert c["total"] == 400
    assert c["paths"] == want_paths  # query strings are not part of the path
    assert c["methods"] == want_methods
    assert c["statuses"] == want_statuses
    assert set(want_statuses) == {"200", "404", "503"}

    t.reset()
    assert t.counts() == {"total": 0, "paths": {}, "methods": {}, "statuses": {}}
    call("GET", t.url + "/get")
    assert t.counts()["paths"] == {"/get": 1}


def test_counting_endpoints_are_not_counted(target_factory) -> None:
    t = target_factory()
    for _ in range(3):
        assert call("GET", t.url + "/__counts").json()["total"] == 0
    assert call("POST", t.url + "/__counts/reset").status == 200
    assert call("GET", t.url + "/__counts/reset").status == 405
    assert t.counts()["total"] == 0


def test_request_that_timed_out_is_still_counted(target_factory) -> None:
    t = target_factory()

    async def go() -> None:
        async with new_session() as s:
            with pytest.raises(asyncio.TimeoutError):
                await send(s, "GET", t.url + "/delay/2000",
                           timeout=aiohttp.ClientTimeout(total=0.2))

    run(go())
    c = t.counts()
    assert c["paths"] == {"/delay/2000": 1} and c["total"] == 1


def test_session_target_counts_over_http(target) -> None:
    before = target.counts()["paths"].get("/uuid", 0)
    for _ in range(7):
        call("GET", target.url + "/uuid")
    assert target.counts()["paths"]["/uuid"] == before + 7
