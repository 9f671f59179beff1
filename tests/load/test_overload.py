"""Overload never stretches a run (issue 23 item 9), for real: VUs that connect to a
listener whose accept queue is full wait in the kernel's SYN retries, as against a
server that is not keeping up, and the load models stop starting VUs that would only
queue there (engine/connecting.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from httptool.engine.client import ConnectionPool
from httptool.engine.connecting import CONNECTING
from httptool.engine.executors import CONNECT_LIMIT, Executor, LoadState
from httptool.engine.request import build_request
from httptool.plan import LoadSpec
from support.backlog import full_backlog_url

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def full_backlog() -> Iterator[str]:
    with full_backlog_url() as url:
        yield url


class PoolVU:
    """One real connection pool per VU, one GET per iteration."""

    def __init__(self, vu_id: int, url: str) -> None:
        self.id = vu_id
        self.pool = ConnectionPool()
        self.req = build_request("GET", url + "/get")

    async def iteration(self, scheduled_ns: int | None) -> None:
        await self.pool.send(self.req)

    async def close(self) -> None:
        self.pool.close()


def run(load: LoadSpec, url: str) -> tuple[LoadState, float]:
    async def main() -> LoadState:
        return await Executor(load, lambda i: PoolVU(i, url)).run()

    t = time.monotonic()
    st = asyncio.run(main())
    return st, time.monotonic() - t


def test_closed_vus_that_cannot_connect_do_not_stretch_the_run(full_backlog: str) -> None:
    st, took = run(LoadSpec("vus", vus=3000, duration=1.0, graceful_stop=0.5), full_backlog)
    assert took < 1.0 + 0.5 + 0.7, took  # duration + grace, and a little to cancel
    # VUs start while fewer than CONNECT_LIMIT connects are pending, then no more (the
    # batch started just before the limit was seen may still be on its way to connect)
    assert CONNECT_LIMIT <= st.vus_max <= 2 * CONNECT_LIMIT + 8, st.vus_max
    assert st.vus == st.vus_max < 3000
    assert st.interrupted == st.vus_max and st.completed == 0  # each stuck, cut at the end
    assert CONNECTING.n == 0


def test_open_pool_drops_instead_of_growing_behind_pending_connects(full_backlog: str
                                                                     ) -> None:
    st, took = run(LoadSpec("rps", rps=3000, duration=1.0, graceful_stop=0.5), full_backlog)
    assert took < 1.0 + 0.5 + 0.7, took
    assert st.vus <= 2 * CONNECT_LIMIT + 8, st.vus  # was: one VU per iteration due
    assert st.completed + st.dropped + st.interrupted == 3000
    assert st.dropped_connecting >= 2000, st
    # on a busy machine the pacer itself may fall behind (dropped_saturated); nothing is
    # dropped for another reason, and none after the end
    assert st.dropped == st.dropped_connecting + st.dropped_saturated, st
    assert st.dropped_late == 0
    assert CONNECTING.n == 0
