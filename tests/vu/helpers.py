"""Small helpers shared by the VU tests.

Scenarios in these tests use the host ``http://vu.test``; :func:`run_text` maps it to the
built-in target with ``base_url_map`` (the CLI's ``--base-url-map``), so every request
goes over a real loopback socket. :func:`run_vus` drives :class:`~httptool.engine.vu.VU`
objects directly when a test must look at a VU's variables afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from httptool.engine import loop
from httptool.engine.vu import VU, Runtime
from httptool.metrics.recorder import Recorder
from httptool.plan import Plan
from support.runshard import Outcome, plan_from, run_plan

BASE = "http://vu.test"


def url_map(target: Any) -> tuple[tuple[str, str], ...]:
    return ((BASE, target.url),)


def run_text(target: Any, text: str, **kw: Any) -> Outcome:
    """Compile ``text`` and run it through ``run_shard`` against ``target``."""
    return run_plan(plan_from(text), base_url_map=url_map(target), **kw)


def reqs(out: Outcome, name: str | None = None) -> list[tuple[Any, ...]]:
    """The ``req`` events (of request ``name``), in emission order."""
    return [e for e in out.requests() if name is None or e[4] == name]


def reasons(out: Outcome, name: str) -> list[str]:
    return [e[10] for e in reqs(out, name)]


def checks(out: Outcome) -> dict[str, tuple[int, int]]:
    """Check name -> (passed, failed)."""
    return {n: (c.passed, c.failed) for n, c in out.result.checks.items()}


def failures(out: Outcome, name: str | None = None) -> dict[str, int]:
    r = out.result.total if name is None else out.result.requests[name]
    return dict(r.failures_by_kind)


@dataclass
class VURun:
    """What :func:`run_vus` leaves behind: the VUs (their ``scope`` holds every variable),
    the shard's recorder and the events."""

    vus: list[VU]
    recorder: Recorder
    events: list[tuple[Any, ...]] = field(default_factory=list)

    def extracted(self, vu: int = 0) -> dict[str, Any]:
        return self.vus[vu].scope.extracted


def run_vus(plan: Plan, target: Any, vu_ids: tuple[int, ...] = (1,), iterations: int = 1,
            scenario: str | None = None, **runtime_kw: Any) -> VURun:
    """Run ``iterations`` iterations of each VU (VUs concurrently) in a fresh loop."""
    rec = Recorder()
    events: list[tuple[Any, ...]] = []
    rt = Runtime(plan, plan.scenario(scenario), rec, base_url_map=url_map(target),
                 emit=events.append, **runtime_kw)
    vus = [VU(rt, i) for i in vu_ids]

    async def main() -> None:
        import asyncio

        async def one(vu: VU) -> None:
            for _ in range(iterations):
                await vu.iteration()
            await vu.close()

        await asyncio.gather(*(one(v) for v in vus))

    loop.run(main())
    rec.flush()
    return VURun(vus, rec, events)


def vu_text(target: Any, text: str, **kw: Any) -> VURun:
    return run_vus(plan_from(text), target, **kw)
