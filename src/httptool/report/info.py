"""What the reporters need to know about a run besides its metrics.

The CLI builds one :class:`RunInfo` before the run starts (sets ``interrupted`` after a
Ctrl-C) and hands it to the summary header, the live panel, the summary JSON and JUnit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from httptool.engine.schedule import vus_due
from httptool.loadmodels import CLOSED, model_of
from httptool.plan import ScenarioPlan


@dataclass(slots=True)
class RunInfo:
    """The run's identity and plan, for headers and outputs.

    ``load`` is the human description of the load shape (its load model's
    ``describe``, ``httptool.loadmodels``);
    ``started_at`` is wall-clock Unix seconds; ``planned_duration`` (seconds) and
    ``planned_iterations`` drive the live panel's progress bar (iterations models: by
    iterations; otherwise by duration); either may be None when the plan has none.
    """

    file: str
    scenario: str
    load: str
    workers: int = 1
    started_at: float = 0.0
    planned_duration: float | None = None
    planned_iterations: int | None = None
    #: closed model: the VUs the schedule should have had running at once (the summary
    #: says so when fewer ever ran: the generator could not start them in time)
    planned_vus: int | None = None
    interrupted: bool = False
    stopped_by: str = ""  # "Ctrl-C" or "SIGTERM" (shown in the summary's status line)
    #: first lines of the tool's own failures (a worker lost, setup failed): partial results
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_plan(cls, file: str, scenario: ScenarioPlan, load: str, workers: int = 1,
                  started_at: float = 0.0) -> RunInfo:
        """Fill the planned duration/iterations from the scenario's load spec."""
        ld = scenario.load
        return cls(file, scenario.name, load, workers, started_at, ld.total_duration,
                   model_of(ld).planned_iterations(ld),
                   vus_due(ld) if model_of(ld) is CLOSED else None)

    def partial_status(self) -> str | None:
        """See :func:`partial_status`."""
        return partial_status(self.interrupted, self.stopped_by, self.errors)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def partial_status(interrupted: bool, stopped_by: str, errors: Sequence[str]) -> str | None:
    """Why a run's results are partial, in the words the summary, JUnit and the HTML
    report all use (``interrupted (SIGTERM): partial results``, ``failed (shard 1: ...):
    partial results``); None for a run that ended as planned."""
    if interrupted:
        return f"interrupted ({stopped_by or 'Ctrl-C'}): partial results"
    if errors:
        return f"failed ({errors[0]}): partial results"
    return None
