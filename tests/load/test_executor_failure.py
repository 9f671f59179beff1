"""A bug inside a VU iteration stops the load and surfaces; it is never swallowed."""

from __future__ import annotations

import asyncio
import queue

from httptool.engine.executors import Executor
from httptool.plan import LoadSpec


class Broken:
    def __init__(self, vu_id: int) -> None:
        self.id = vu_id
        self.closed = False

    async def iteration(self, scheduled_ns: int | None) -> None:
        await asyncio.sleep(0.01)
        raise ZeroDivisionError("boom")

    async def close(self) -> None:
        self.closed = True


def test_vu_exception_stops_the_load_and_is_raised() -> None:
    made: list[Broken] = []

    def make(i: int) -> Broken:
        made.append(Broken(i))
        return made[-1]

    async def main() -> BaseException | None:
        ex = Executor(LoadSpec("vus", vus=3, duration=5.0), make)
        try:
            await asyncio.wait_for(ex.run(), 3)
        except ZeroDivisionError as e:
            return e
        return None

    err = asyncio.run(main())
    assert isinstance(err, ZeroDivisionError)
    assert made and all(vu.closed for vu in made)


def test_run_shard_reports_a_vu_bug_as_an_error_message(monkeypatch) -> None:
    from httptool.engine import vu as vu_mod
    from httptool.run.shard import ShardConfig, run_shard
    from support.runshard import QueueChannel, plan_from

    async def broken(self, scheduled_ns=None):
        raise RuntimeError("bug in a VU")

    monkeypatch.setattr(vu_mod.VU, "iteration", broken)
    plan = plan_from("""
request r {
  curl http://127.0.0.1:9/x
}
scenario s {
  load 2 vus for 5s
  run r
}
""")
    ch = QueueChannel()
    run_shard(ShardConfig(plan, "s"), ch)
    msgs: list[tuple] = []
    while True:
        try:
            msgs.append(ch.q.get_nowait())
        except queue.Empty:
            break
    kinds = [m[0] for m in msgs]
    assert "error" in kinds and kinds[-1] == "done"
    assert "bug in a VU" in next(m for m in msgs if m[0] == "error")[2]
