"""Overload through the CLI (issue 23 item 9): the run ends by duration + grace, and
the summary says when the requested VUs were never all running, or why iterations were
dropped. The server is a socket that listens and never accepts (its queue full, every
further connect hangs), as a server that cannot keep up looks to a generator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2ecli import httptool_run, write_scenario

from support.backlog import full_backlog_url

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def full_backlog() -> Iterator[str]:
    with full_backlog_url() as url:
        yield url


def scenario(tmp_path: Path, url: str) -> Path:
    return write_scenario(tmp_path, f"request get {{ curl {url}/get }}\n"
                                    "scenario s: load 1 vus for 1s | run get\n")


def test_closed_vus_never_all_running_are_named(full_backlog: str, tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    r = httptool_run(scenario(tmp_path, full_backlog), "--vus", "2000", "--duration", "1s",
                     "--graceful-stop", "500ms", "--workers", "1", "--summary-json", str(out))
    s = json.loads(out.read_text(encoding="utf-8"))
    assert s["duration_s"] < 1.0 + 0.5 + 0.7, s["duration_s"]
    reached = s["vus"]["max"]
    assert reached < 2000
    assert s["vus"]["requested"] == 2000 and s["vus"]["all_started"] is False
    assert (f"    not reached ..: reached {reached:,} of 2,000: the generator could not start "
            "them in time — use ramp_up or --workers") in r.stdout
    assert s["iterations"]["interrupted"] == reached  # each stuck in connect, cut at the end
    assert r.returncode == 0, r.stderr
    # the run-validity verdict counts it (and --fail-on-invalid would exit 98)
    v = s["validity"]
    assert v["valid"] is False and v["vus_requested"] == 2000 and v["vus_max"] == reached
    assert any(f"{reached:,} of 2,000 VUs ever ran at once" in x for x in v["reasons"])


def test_open_model_drops_behind_pending_connects_and_says_so(full_backlog: str,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    r = httptool_run(scenario(tmp_path, full_backlog), "--rps", "3000", "--duration", "1s",
                     "--graceful-stop", "500ms", "--workers", "1", "--summary-json", str(out))
    assert r.returncode == 0, r.stderr
    s = json.loads(out.read_text(encoding="utf-8"))
    assert s["duration_s"] < 1.0 + 0.5 + 0.7, s["duration_s"]
    it = s["iterations"]
    assert it["completed"] + it["dropped"] + it["interrupted"] == 3000
    assert it["dropped"] == it["dropped_connecting"] >= 2000
    assert (f"    connecting ...: {it['dropped_connecting']} of the dropped: no free VU, and a "
            "new one would have queued behind") in r.stdout
    assert s["vus"]["requested"] is None and "not reached" not in r.stdout


def test_a_healthy_closed_run_reached_all_its_vus(fresh_target: Any, tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    r = httptool_run(scenario(tmp_path, fresh_target.url), "--vus", "20", "--duration", "1s",
                     "--workers", "1", "--summary-json", str(out))
    assert r.returncode == 0, r.stderr
    s = json.loads(out.read_text(encoding="utf-8"))
    assert s["vus"] == {"created": 20, "max": 20, "requested": 20, "all_started": True}
    assert "not reached" not in r.stdout and s["validity"]["valid"] is True
    assert s["requests"] == fresh_target.counts()["total"]
