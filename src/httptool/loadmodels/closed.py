"""Closed model, ``load N vus for D``: N VUs loop over the flow until D has passed
(``ramp_up`` and VU stages change how many are active)."""

from __future__ import annotations

from httptool.loadmodels.base import LoadModel, Report, Settings, stages_text
from httptool.plan import LoadSpec
from httptool.wording import fmt_duration, plural


class Closed(LoadModel):
    name = "vus"
    kind = "closed"

    def claims(self, keys: frozenset[str], stage_kind: str | None) -> bool:
        return True  # the default: the last model asked

    def check(self, s: Settings, err: Report) -> None:
        if s.has_time:
            return
        if "vus" not in s.values:
            err("load needs vus, rps or iterations", s.line, s.col)
        else:
            err("impossible load: vus need a duration (load 10 vus for 1m)", s.line, s.col)

    def shape(self, ld: LoadSpec) -> str:
        if ld.stages:
            return stages_text(ld, self.kind, "VUs")
        return f"{plural(ld.vus, 'VU')} for {fmt_duration(ld.duration)} (closed model)"

    def max_shards(self, ld: LoadSpec) -> int | None:
        return peak_vus(ld)


def peak_vus(ld: LoadSpec) -> int:
    """The most VUs a closed load runs at once (its VUs, or its highest stage)."""
    return int(max((s.target for s in ld.stages), default=ld.vus or 0))


CLOSED = Closed()
