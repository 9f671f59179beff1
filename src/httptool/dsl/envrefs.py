"""Which ``${env.NAME}`` a plan reads, and which of them are set nowhere.

A missing environment variable would otherwise surface only mid-run, as one failed
request per iteration; ``validate`` warns about it (located), ``run`` refuses to start.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from httptool.plan import DataSet, Plan, Ref


def _walk(obj: Any) -> Iterator[Ref]:
    if isinstance(obj, Ref):
        yield obj
    elif isinstance(obj, DataSet):  # rows are plain values, read at compile time
        return
    elif is_dataclass(obj) and not isinstance(obj, type):
        for f in fields(obj):
            yield from _walk(getattr(obj, f.name))
    elif isinstance(obj, tuple | list):
        for x in obj:
            yield from _walk(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _walk(x)


def env_refs(plan: Plan) -> list[Ref]:
    """Every ``${env.NAME}`` reference of the plan, in source order, once per place."""
    seen: dict[tuple[int, int, str], Ref] = {}
    for r in _walk(plan):
        if r.path[0] == "env" and len(r.path) == 2:
            seen.setdefault((r.line, r.col, str(r.path[1])), r)
    return [seen[k] for k in sorted(seen)]


def missing_env(plan: Plan, env: Mapping[str, str]) -> list[Ref]:
    """The references whose NAME is not in ``env`` and that have no ``?? "default"``."""
    return [r for r in env_refs(plan) if r.default is None and str(r.path[1]) not in env]


def env_for_run(plan: Plan, env: Mapping[str, str]) -> dict[str, str]:
    """Only the variables the plan reads: what a run (and a remote shard) needs, not the
    whole environment with whatever secrets it holds."""
    names = {str(r.path[1]) for r in env_refs(plan)}
    return {n: env[n] for n in sorted(names) if n in env}
