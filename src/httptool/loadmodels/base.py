"""What every load model is: its settings' checks, its words and its figures.

A model is the plan-level half of a load: the compiler asks it to check a scenario's
``load`` settings (with located errors), the CLI asks what a flag may change, the dry
run, summary header and HTML report print its one-line description, and the run asks
how many shards can have work and how many iterations it plans. The other half, the run
loop, lives in the engine (``engine/executors.py``), which keys its runners by the same
:attr:`LoadModel.name`; nothing here imports the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from httptool.plan import LoadSpec
from httptool.wording import fmt_duration

#: ``err(message, line, col)``: report a located error (the compiler's diagnostics)
Report = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Settings:
    """A ``load`` as written: parsed ``values`` by key, ``where`` each value stands and
    ``keys`` where each setting's name does (line, col), whether it says how long it
    lasts, and where the ``load`` keyword is."""

    values: Mapping[str, Any]
    where: Mapping[str, tuple[int, int]]
    keys: Mapping[str, tuple[int, int]]
    has_time: bool
    line: int
    col: int

    def at(self, key: str) -> tuple[int, int]:
        """Where ``key``'s value stands, else the ``load`` keyword."""
        return self.where.get(key, (self.line, self.col))

    def key_at(self, key: str) -> tuple[int, int]:
        """Where the setting ``key`` is named, else the ``load`` keyword."""
        return self.keys.get(key, (self.line, self.col))


class LoadModel:
    """One load model. Subclasses set the class attributes and override what differs."""

    #: the :attr:`LoadSpec.model` value, and the engine's runner key
    name: ClassVar[str]
    #: ``closed``, ``open``, ...: the word the description and the docs use
    kind: ClassVar[str]
    #: stage targets and ``rps`` are iterations/s (else VUs)
    rate: ClassVar[bool] = False
    #: the load ends after its duration (else after its iterations)
    timed: ClassVar[bool] = True
    #: settings filled in when the load leaves them out
    defaults: ClassVar[Mapping[str, Any]] = {}
    #: settings that only choose this model (``per vu``): not fields of the LoadSpec
    marks: ClassVar[frozenset[str]] = frozenset()

    def claims(self, keys: frozenset[str], stage_kind: str | None) -> bool:
        """Whether a ``load`` with these settings (and stages of this kind) is this model."""
        raise NotImplementedError

    def check(self, s: Settings, err: Report) -> None:
        """Report what this model cannot run (the compiler's located errors)."""

    def shape(self, ld: LoadSpec) -> str:
        """The first part of :meth:`describe`: what runs, for how long."""
        raise NotImplementedError

    def describe(self, ld: LoadSpec) -> str:
        """One line for the dry run, the summary header and the HTML report."""
        extras = []
        if ld.ramp_up:
            extras.append(f"ramp-up {fmt_duration(ld.ramp_up)}")
        if ld.max_vus:
            extras.append(f"max {ld.max_vus} VUs")
        extras.extend(self.extras(ld))
        text = self.shape(ld)
        return text + (", " + ", ".join(extras) if extras else "")

    def extras(self, ld: LoadSpec) -> list[str]:
        """Model-specific notes after the shape (``50 VUs pre-allocated``)."""
        return []

    def planned_iterations(self, ld: LoadSpec) -> int | None:
        """How many iterations the run plans (the progress bar's total), if it knows."""
        return None

    def max_shards(self, ld: LoadSpec) -> int | None:
        """The most shards that can all have work (None: no bound from the load)."""
        return None


def stages_text(ld: LoadSpec, kind: str, unit: str) -> str:
    """``stages (closed model): 10s → 5 VUs, ...; total 20s``."""
    stages = ", ".join(f"{fmt_duration(s.duration)} → {s.target:g} {unit}" for s in ld.stages)
    return f"stages ({kind} model): {stages}; total {fmt_duration(ld.total_duration)}"
