"""--verbose: one contract line per event (URLs masked), the per-VU table in VU order,
and the condensed form above 50 VUs."""

from __future__ import annotations

import io
import re

from reportdata import Req, Run, build, demo_run, events_of

from httptool.report.verbose import VerbosePrinter, per_vu_lines

TS = r"\[\d\d:\d\d:\d\d\]"
PER_VU = re.compile(r"  VU (\d+): (\d+) iterations, (\d+) requests \(✓ (\d+), ✗ (\d+)\), "
                    r"avg latency: (\d+)ms")


def test_every_event_is_a_line() -> None:
    run = demo_run()
    evs = events_of(run)
    out = io.StringIO()
    printer = VerbosePrinter(out)
    printer.handle(evs[:10])
    printer.handle(evs[10:])
    printer.handle([])
    lines = out.getvalue().splitlines()
    reqs = [e for e in evs if e[0] == "req"]
    failed = [e for e in reqs if not e[9]]
    assert len(lines) == len(evs) + len(failed)  # a failed request adds its reason
    assert sum(bool(re.fullmatch(TS + r" VU \d+ started", ln)) for ln in lines) == 4
    assert sum(bool(re.fullmatch(TS + r" VU \d+ done", ln)) for ln in lines) == 4
    iters = [ln for ln in lines if re.fullmatch(TS + r" VU \d+ → iteration \d+", ln)]
    assert len(iters) == len([e for e in evs if e[0] == "iter"])
    ok = [ln for ln in lines if re.fullmatch(
        TS + r" VU \d+ ✓ GET http://127\.0\.0\.1:8080/\w+ - 200 \(\d+ms\)", ln)]
    assert len(ok) == len(reqs) - len(failed)
    assert any(re.fullmatch(TS + r" VU \d+ ✗ GET \S+/profile - 500 \(\d+ms\)", ln)
               for ln in lines)
    assert any(re.fullmatch(TS + r" VU 2 ✗ GET \S+/profile - ERR \(1000ms\)", ln)
               for ln in lines)
    assert any(re.fullmatch(TS + r" VU 2   ↳ connection refused", ln) for ln in lines)
    assert any(ln.endswith("↳ assert body.id == 1 failed: got 2") for ln in lines)


def test_urls_are_masked_again() -> None:
    out = io.StringIO()
    VerbosePrinter(out).handle([("req", 0.0, 1, 1, "x", "GET",
                                 "https://bob:hunter2@api.example.com/me", 200, 12.0, True, "")])
    assert "hunter2" not in out.getvalue()
    assert "https://bob:****@api.example.com/me - 200 (12ms)" in out.getvalue()


def test_per_vu_table_in_vu_order() -> None:
    res = build(demo_run())
    out = io.StringIO()
    VerbosePrinter(out).finish(res)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Per-VU Results:"
    rows = [PER_VU.fullmatch(ln) for ln in lines[1:]]
    assert all(rows)
    vus = [int(m.group(1)) for m in rows if m]
    assert vus == [1, 2, 3, 4]
    total = sum(int(m.group(3)) for m in rows if m)
    failed = sum(int(m.group(5)) for m in rows if m)
    assert (total, failed) == (res.total_requests, res.total_failures)
    for m in rows:
        assert m and int(m.group(4)) + int(m.group(5)) == int(m.group(3))
        assert int(m.group(2)) == 10


def many_vus(n: int):
    # VU v: 2 requests of v ms (VU 7 also one transport error); VU n+1 only errors
    reqs = [Req(v, "r", float(v), shard=v % 2) for v in range(1, n + 1) for _ in range(2)]
    reqs.append(Req(7, "r", None, "refused", shard=1))
    reqs.append(Req(n + 1, "r", None, "refused", shard=(n + 1) % 2))
    return build(Run(reqs, iterations={v: 1 for v in range(1, n + 2)}, shards=2))


def test_fifty_vus_is_still_the_full_table() -> None:
    lines = per_vu_lines(many_vus(49))
    assert len(lines) == 1 + 50
    assert [int(PER_VU.fullmatch(ln).group(1)) for ln in lines[1:]] == list(range(1, 51))


def test_condensed_table_above_fifty_vus() -> None:
    res = many_vus(60)  # 61 VUs
    lines = per_vu_lines(res)
    assert lines[0] == "Per-VU Results:"
    assert lines[1] == ("  61 VUs; the 10 slowest and the 10 fastest by avg latency "
                        "(every VU is in the per_vu rows of --summary-json)")
    assert lines[2] == "  slowest:"
    slow = [PER_VU.fullmatch(ln) for ln in lines[3:13]]
    assert [int(m.group(1)) for m in slow] == list(range(60, 50, -1))
    assert lines[13] == "  fastest:"
    fast = [PER_VU.fullmatch(ln) for ln in lines[14:24]]
    assert [int(m.group(1)) for m in fast] == list(range(1, 11))
    assert fast[6].group(0) == "  VU 7: 1 iterations, 3 requests (✓ 2, ✗ 1), avg latency: 7ms"
    assert lines[24] == ("  distribution: requests per VU min 1, median 2, max 3; "
                         "avg latency per VU min 1ms, median 30ms, max 60ms")
    assert lines[25] == "  1 VU measured no latency (no response)"
    assert len(lines) == 26
