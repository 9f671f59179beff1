"""Per-VU iterations, ``load N iterations with M vus per vu``: each of the M VUs runs N
iterations of its own, M × N in all (k6's ``per-vu-iterations``). Unlike the shared
model, a fast VU never takes a slow one's work: every VU does the same number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from httptool.loadmodels.base import LoadModel, Report, Settings
from httptool.loadmodels.iterations import at_most
from httptool.plan import LoadSpec
from httptool.wording import plural

#: what ``per`` may say (``per vu``; ``vus`` too, as people write it)
PER_VU = ("vu", "vus")
EXAMPLE = "load 100 iterations with 5 vus per vu"


class PerVUIterations(LoadModel):
    name = "per_vu_iterations"
    kind = "per-VU iterations"
    timed = False
    defaults: ClassVar[Mapping[str, Any]] = {"vus": 1}
    marks = frozenset({"per"})

    def claims(self, keys: frozenset[str], stage_kind: str | None) -> bool:
        return "per" in keys

    def check(self, s: Settings, err: Report) -> None:
        if "iterations" not in s.values or "rps" in s.values:
            err(f"'per vu' goes with an iterations load ({EXAMPLE})", *s.key_at("per"))

    def shape(self, ld: LoadSpec) -> str:
        total = (ld.iterations or 0) * (ld.vus or 0)
        return (f"{plural(ld.iterations, 'iteration')} per VU, {plural(ld.vus, 'VU')} "
                f"({total} in total)" + at_most(ld))

    def planned_iterations(self, ld: LoadSpec) -> int | None:
        return (ld.iterations or 0) * (ld.vus or 1)

    def max_shards(self, ld: LoadSpec) -> int | None:
        return int(ld.vus or 1)


PER_VU_ITERATIONS = PerVUIterations()
