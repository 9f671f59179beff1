"""Shared iterations, ``load N iterations with M vus``: N iterations in all, each taken by
whichever of the M VUs is free (k6's ``shared-iterations``); the run ends after the last."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from httptool.loadmodels.base import LoadModel
from httptool.plan import LoadSpec
from httptool.wording import fmt_duration, plural


class Iterations(LoadModel):
    name = "iterations"
    kind = "iterations"
    timed = False
    defaults: ClassVar[Mapping[str, Any]] = {"vus": 1}

    def claims(self, keys: frozenset[str], stage_kind: str | None) -> bool:
        return "iterations" in keys

    def shape(self, ld: LoadSpec) -> str:
        return f"{plural(ld.iterations, 'iteration')} shared by {plural(ld.vus, 'VU')}" \
            + at_most(ld)

    def planned_iterations(self, ld: LoadSpec) -> int | None:
        return ld.iterations

    def max_shards(self, ld: LoadSpec) -> int | None:
        return min(int(ld.vus or 1), int(ld.iterations or 1))


def at_most(ld: LoadSpec) -> str:
    """`` (at most 30s)`` when an iterations load also has a duration bound."""
    return f" (at most {fmt_duration(ld.duration)})" if ld.duration else ""


ITERATIONS = Iterations()
