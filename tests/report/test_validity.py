"""The run validity verdict (report/validity.py) on real RunResults, and the shard's
saturation clock it reads."""

from __future__ import annotations

from dataclasses import replace

import pytest
from reportdata import Req, Run, build

from httptool.engine import saturation
from httptool.plan import LoadSpec
from httptool.report.info import RunInfo
from httptool.report.json_summary import summary_dict
from httptool.report.style import Style
from httptool.report.validity import assess, planned_iterations

INFO = RunInfo("s.httpx", "main", "10 VUs for 10s")


def test_a_clean_run_is_valid() -> None:
    v = assess(build(Run([Req(1, "a", 5.0)] * 10, iterations={1: 10})), INFO)
    assert v.valid and v.line(Style(False)) == "  validity: ✓ valid run"
    assert v.to_dict()["cpu_saturated_s"] == {}


def test_saturation_drops_interruptions_and_lost_shards_invalidate() -> None:
    res = build(Run([Req(1, "a", 5.0)] * 100, iterations={1: 100}, dropped=30,
                    interrupted=5, duration_s=10.0))
    res.saturated_s = {0: 0.2, 1: 2.5}
    info = replace(INFO, interrupted=True, stopped_by="SIGTERM", errors=["shard 1: lost"])
    v = assess(res, info, planned=200)
    assert not v.valid
    text = "; ".join(v.reasons)
    assert "httptool's CPU was saturated for 2.5s of 10.0s (worker 1" in text
    assert "30 iterations dropped" in text
    assert "5 iterations interrupted" in text
    assert "the run was interrupted (SIGTERM)" in text
    assert "a worker or shard failed: shard 1: lost" in text
    # 0.2 s of 10 s is a note, not a reason; an interrupted run has no shortfall verdict
    assert v.notes == ["httptool's CPU was saturated for 200ms of 10.0s (worker 0; use more "
                       "--workers)"]
    assert "planned" not in text
    doc = summary_dict(res, info, (), v)
    assert doc["validity"]["valid"] is False
    from httptool.report.html import render_html

    assert '<div class="banner bad" id="invalid">Not a valid run: httptool&#x27;s CPU' in (
        render_html(doc))
    assert doc["validity"]["cpu_saturated_s"] == {"0": 0.2, "1": 2.5}


def test_open_model_shortfall() -> None:
    load = LoadSpec("rps", rps=100.0, duration=10.0)
    assert planned_iterations(load) == 1000
    assert planned_iterations(LoadSpec("vus", vus=2, duration=1.0)) is None
    res = build(Run([Req(1, "a", 5.0)] * 10, iterations={1: 900}))
    assert "started 900 of 1000 planned iterations (90%)" in assess(res, INFO, 1000).reasons[0]
    assert assess(res, INFO, 940).valid


def test_loop_saturation_adds_up_saturated_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # the thread's CPU clock is faked: on a shared machine a busy loop's CPU share is not
    # the test's to choose
    cpu = [0]
    monkeypatch.setattr(saturation, "thread_time_ns", lambda: cpu[0])
    sat = saturation.LoopSaturation(0)
    cpu[0] = 97_000_000  # 97 ms of CPU in 100 ms: saturated
    sat.update(100_000_000)
    assert sat.saturated and sat.saturated_ns == 100_000_000
    cpu[0] += 10_000_000  # 10 ms in the next 60 ms: not
    sat.update(160_000_000)
    assert not sat.saturated and sat.saturated_ns == 100_000_000
    sat.update(160_000_000 + saturation.WINDOW_NS - 1)  # window not over: unchanged
    assert sat.saturated_ns == 100_000_000
