"""Open model, ``load N rps for D``: N iterations start per second on a fixed schedule,
on VUs from a pool (``vus`` pre-allocated, up to ``max_vus``); rate stages ramp N."""

from __future__ import annotations

from httptool.loadmodels.base import LoadModel, Report, Settings, stages_text
from httptool.plan import LoadSpec
from httptool.wording import fmt_duration


class Open(LoadModel):
    name = "rps"
    kind = "open"
    rate = True

    def claims(self, keys: frozenset[str], stage_kind: str | None) -> bool:
        return "rps" in keys or stage_kind == "rps"

    def check(self, s: Settings, err: Report) -> None:
        vus, max_vus = s.values.get("vus"), s.values.get("max_vus")
        if vus and max_vus and vus > max_vus and "vus" in s.where:
            err(f"impossible load: {vus} pre-allocated VUs but max_vus = {max_vus}",
                *s.at("vus"))
        if not s.has_time:
            err("impossible load: rps needs a duration (load 100 rps for 30s)", s.line, s.col)

    def shape(self, ld: LoadSpec) -> str:
        if ld.stages:
            return stages_text(ld, self.kind, "iterations/s")
        return f"{ld.rps:g} iterations/s for {fmt_duration(ld.duration)} (open model)"

    def extras(self, ld: LoadSpec) -> list[str]:
        return [f"{ld.vus} VUs pre-allocated"] if ld.vus else []

    def max_shards(self, ld: LoadSpec) -> int | None:
        return int(ld.max_vus) if ld.max_vus else None


OPEN = Open()
