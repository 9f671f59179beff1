"""Real RunResults for the reporters: Recorder -> snapshot() -> Merger -> result().

(A plain module, not conftest.py: tests/conftest.py already owns the name ``conftest``.)

``Req`` rows describe what happened; :func:`build` plays them through the hot-path API of
one Recorder per shard exactly as the engine does, and merges the final snapshots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from httptool.metrics import Merger, Recorder, RunResult

NS = 1_000_000_000
MS = 1_000_000


@dataclass(frozen=True)
class Req:
    """One request: ``latency_ms`` None = transport error of kind ``kind``; otherwise a
    response, failed when ``kind`` is given (``status``, ``assertion``...)."""

    vu: int
    name: str
    latency_ms: float | None
    kind: str | None = None
    at_s: float = 0.5
    shard: int = 0
    connect_ms: float | None = None
    service_ms: float | None = None


@dataclass
class Run:
    reqs: Sequence[Req]
    checks: dict[str, tuple[int, int]] = field(default_factory=dict)
    iterations: dict[int, int] = field(default_factory=dict)  # vu -> completed
    duration_s: float = 10.0
    shards: int = 1
    dropped: int = 0
    interrupted: int = 0
    active: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # request -> steps not run


def build(run: Run) -> RunResult:
    recs = [Recorder(shard=s, t0_ns=0, flush_at=1 << 30) for s in range(run.shards)]
    for r in run.reqs:
        rec = recs[r.shard]
        st = rec.request(r.name)
        end = int(r.at_s * NS)
        if r.latency_ms is None:
            st.error(r.kind or "refused", r.vu, end)
            continue
        st.record(r.vu, round(r.latency_ms * MS), end, round(r.latency_ms * MS) // 2, sent=120,
                  received=2048,
                  connect_ns=None if r.connect_ms is None else round(r.connect_ms * MS),
                  service_ns=None if r.service_ms is None else round(r.service_ms * MS))
        if r.kind:
            st.fail(r.kind, r.vu, end)
    for i, (name, (passed, failed)) in enumerate(run.checks.items()):
        c = recs[i % run.shards].check(name)
        c.passed += passed
        c.failed += failed
    for vu, n in run.iterations.items():
        recs[vu % run.shards].iter_vu.extend([vu] * n)
    vus = sorted({r.vu for r in run.reqs} | set(run.iterations))
    merger = Merger(shards=run.shards)
    for s, rec in enumerate(recs):
        mine = [v for v in vus if v % run.shards == s]
        rec.vus = len(mine)
        rec.sample_active(len(mine), now_ns=int(0.1 * NS))
        rec.sample_active(run.active if s == 0 else 0, now_ns=int(run.duration_s * NS) - 1)
        rec.dropped = run.dropped if s == 0 else 0
        rec.interrupted = run.interrupted if s == 0 else 0
        rec.skipped = dict(run.skipped) if s == 0 else {}
        merger.add(rec.snapshot(now_ns=int(run.duration_s * NS), final=True))
    return merger.result()


def demo_run() -> Run:
    """Two requests over two shards, with status, assertion and transport failures."""
    reqs: list[Req] = []
    for i in range(40):
        vu = 1 + i % 4
        reqs.append(Req(vu, "login", 40 + i, at_s=i * 0.2, shard=vu % 2,
                        connect_ms=1.5 if i < 4 else None))
        kind = "status" if i % 10 == 3 else ("assertion" if i % 10 == 7 else None)
        reqs.append(Req(vu, "profile", 100 + 5 * i, kind, at_s=i * 0.2 + 0.1, shard=vu % 2))
    reqs.append(Req(2, "profile", None, "refused", at_s=5.0, shard=0))
    reqs.append(Req(3, "login", None, "timeout", at_s=6.0, shard=1))
    return Run(reqs, checks={"login status == 200": (40, 0), "profile body.id == 1": (37, 4)},
               iterations={1: 10, 2: 10, 3: 10, 4: 10}, duration_s=8.0, shards=2)


def events_of(run: Run, t0: float = 1_714_560_000.0) -> list[tuple]:
    """The engine events matching ``run``'s requests (same VUs, names, outcomes), with
    ``vu_start``/``iter``/``vu_done`` around them, in time order."""
    evs: list[tuple] = []
    vus = sorted({r.vu for r in run.reqs})
    evs += [("vu_start", t0, vu) for vu in vus]
    iters = dict.fromkeys(vus, 0)
    for r in sorted(run.reqs, key=lambda r: r.at_s):
        iters[r.vu] += 1
        t = t0 + r.at_s
        evs.append(("iter", t, r.vu, iters[r.vu]))
        url = f"http://127.0.0.1:8080/{r.name}"
        if r.latency_ms is None:
            reason = {"refused": "connection refused"}.get(r.kind or "", r.kind or "")
            evs.append(("req", t, r.vu, iters[r.vu], r.name, "GET", url, 0, 1000.0, False,
                        reason))
        else:
            status = 500 if r.kind == "status" else 200
            reason = {"status": "status 500", "assertion": "assert body.id == 1 failed: got 2"}
            evs.append(("req", t, r.vu, iters[r.vu], r.name, "GET", url, status, r.latency_ms,
                        r.kind is None, reason.get(r.kind or "", "")))
    evs += [("vu_done", t0 + run.duration_s, vu) for vu in vus]
    return evs
