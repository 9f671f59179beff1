"""``per vu`` iterations (k6's per-vu-iterations) as a user writes and runs them: every
form compiles to the per-VU model, misplaced ``per`` is a located error, the dry run says
the total, ``--iterations`` keeps the kind, and a real run sends M x N requests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from httptool import loadmodels
from httptool.cli.run_options import override_load
from httptool.dsl import compile_source
from support.runshard import plan_from

pytestmark = pytest.mark.timeout(60)

SCENARIO = "request a {{ curl {url} }}\nscenario s {{\n  load {load}\n  run a\n}}\n"


def load_of(load: str) -> Any:
    return plan_from(SCENARIO.format(url="http://h/a", load=load)).scenarios[0].load


@pytest.mark.parametrize("load", [
    "7 iterations with 3 vus per vu",
    "7 iterations per vu with 3 vus",
    "7 iterations with 3 vus, per = vu",
    "{ iterations = 7  vus = 3  per = vu }",
    "(7 iterations, 3 vus, per = vu)",
])
def test_every_form_is_the_per_vu_model(load: str) -> None:
    ld = load_of(load)
    assert loadmodels.model_of(ld) is loadmodels.PER_VU_ITERATIONS
    assert (ld.model, ld.iterations, ld.vus) == ("per_vu_iterations", 7, 3)
    assert loadmodels.model_of(ld).planned_iterations(ld) == 21


def test_the_default_stays_shared() -> None:
    ld = load_of("7 iterations with 3 vus")
    assert loadmodels.model_of(ld) is loadmodels.ITERATIONS
    assert loadmodels.model_of(ld).planned_iterations(ld) == 7
    assert loadmodels.model_of(load_of("7 iterations per vu")).describe(
        load_of("7 iterations per vu")) == "7 iterations per VU, 1 VU (7 in total)"


@pytest.mark.parametrize(("load", "error"), [
    ("3 vus for 1s per vu",
     "3:21: error: 'per vu' goes with an iterations load "
     "(load 100 iterations with 5 vus per vu)"),
    ("{ rps = 5  duration = 1s  per = vu }",
     "3:34: error: 'per vu' goes with an iterations load "
     "(load 100 iterations with 5 vus per vu)"),
    ("{ iterations = 5  per = user }",
     "3:32: error: per takes vu: each VU runs the iterations "
     "(load 100 iterations with 5 vus per vu)"),
    ("5 iterations per 2", "3:25: error: expected 'vu', found '2'"),
])
def test_misplaced_per_is_a_located_error(load: str, error: str) -> None:
    src = SCENARIO.format(url="http://h/a", load=load)
    plan, diags = compile_source(src, "f.httpx")
    assert plan is None
    assert diags.render(src).splitlines()[0] == f"f.httpx:{error}"


def test_iterations_flag_keeps_per_vu_and_vus_flag_changes_the_vus() -> None:
    ld = override_load(load_of("7 iterations with 3 vus per vu"), iterations=2, vus=4)
    assert (ld.model, ld.iterations, ld.vus) == ("per_vu_iterations", 2, 4)
    shared = override_load(load_of("7 iterations with 3 vus"), iterations=2)
    assert (shared.model, shared.iterations, shared.vus) == ("iterations", 2, 3)


def httptool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "httptool", *args], capture_output=True,
                          text=True, timeout=50)


def test_dry_run_says_per_vu_and_the_total(tmp_path: Path) -> None:
    f = tmp_path / "s.httpx"
    f.write_text(SCENARIO.format(url="http://h/a", load="1000 iterations with 5 vus per vu"))
    r = httptool("scenario", "run", str(f), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "Load: 1000 iterations per VU, 5 VUs (5000 in total)" in r.stdout


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_real_run_sends_vus_times_iterations(tmp_path: Path, target: Any,
                                               workers: str) -> None:
    """5 iterations per VU with 3 VUs is 15 requests at the server, 5 from each VU (the
    shared model would let a fast VU take more), on one worker and split over two."""
    target.reset()
    f = tmp_path / "s.httpx"
    f.write_text(SCENARIO.format(url=target.url + "/get", load="5 iterations with 3 vus per vu"))
    r = httptool("scenario", "run", str(f), "-q", "--workers", workers,
                 "--summary-json", str(tmp_path / "s.json"))
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "s.json").read_text())
    assert target.counts()["total"] == 15 == s["total"]["requests"]
    assert s["iterations"]["completed"] == 15
    assert sorted((v["vu"], v["iterations"], v["requests"]) for v in s["per_vu"]) == [
        (1, 5, 5), (2, 5, 5), (3, 5, 5)]
