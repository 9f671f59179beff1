"""The load-model table: every model has a run loop in the engine, each one's plan-level
half imports nothing above the plan, and the compiler picks a model by its settings."""

from __future__ import annotations

import subprocess
import sys

import pytest

from httptool import loadmodels
from httptool.engine.executors import RUNNERS
from support.runshard import plan_from


def test_every_model_has_a_runner_and_no_runner_lacks_a_model() -> None:
    assert RUNNERS.keys() == loadmodels.MODELS.keys()


def test_the_package_stays_at_the_plan_level() -> None:
    """dsl imports it, so it must not pull in the engine, metrics, reports or the CLI."""
    code = ("import sys, httptool.loadmodels; "
            "print(' '.join(m for m in sys.modules if m.startswith('httptool.')))")
    mods = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split()
    above = [m for m in mods if m.split(".")[1] in
             ("dsl", "engine", "metrics", "report", "run", "cli", "target")]
    assert above == [] and "httptool.loadmodels.closed" in mods


SCENARIO = "request a {{ curl http://h/a }}\nscenario s {{\n  load {}\n  run a\n}}\n"


@pytest.mark.parametrize(("load", "model", "text"), [
    ("3 vus for 1m", loadmodels.CLOSED, "3 VUs for 1m (closed model)"),
    ("{ vus = 4  duration = 10s  ramp_up = 2s }", loadmodels.CLOSED,
     "4 VUs for 10s (closed model), ramp-up 2s"),
    ("{ stage { duration = 1s, vus = 2 } stage { duration = 2s, vus = 6 } }",
     loadmodels.CLOSED, "stages (closed model): 1s → 2 VUs, 2s → 6 VUs; total 3s"),
    ("{ rps = 50  duration = 30s  vus = 5  max_vus = 9 }", loadmodels.OPEN,
     "50 iterations/s for 30s (open model), max 9 VUs, 5 VUs pre-allocated"),
    ("{ stage { duration = 1s, rps = 20 } }", loadmodels.OPEN,
     "stages (open model): 1s → 20 iterations/s; total 1s"),
    ("7 iterations", loadmodels.ITERATIONS, "7 iterations shared by 1 VU"),
    ("{ iterations = 10  vus = 2  duration = 5s }", loadmodels.ITERATIONS,
     "10 iterations shared by 2 VUs (at most 5s)"),
])
def test_the_compiler_picks_the_model_that_describes_the_load(
        load: str, model: loadmodels.LoadModel, text: str) -> None:
    ld = plan_from(SCENARIO.format(load)).scenarios[0].load
    assert loadmodels.model_of(ld) is model
    assert model.describe(ld) == text
