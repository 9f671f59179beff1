"""Which ``--base-url-map FROM=TO`` can match none of a scenario's request URLs.

A FROM with a typo (``https://api.example.co``) maps nothing, and the run then loads the
public host instead of the local one, silently. The URLs' beginnings are known before the
run once global ``var`` values and ``${env.NAME}`` are filled in; a FROM is reported only
when every URL's beginning is known and none of them starts with it, never on a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from httptool.engine.vu import map_url
from httptool.plan import Plan, Ref, ScenarioPlan, Template, flow_requests


def _static(tpl: Template, values: Mapping[str, str], env: Mapping[str, str],
            depth: int = 0) -> tuple[str, bool]:
    """The text of ``tpl`` up to its first reference that can't be known before the run,
    and whether that is all of it."""
    out: list[str] = []
    for p in tpl.parts:
        if isinstance(p, str):
            out.append(p)
            continue
        text = _ref_text(p, values, env, depth)
        if text is None:
            return "".join(out), False
        out.append(text)
    return "".join(out), True


def _ref_text(r: Ref, values: Mapping[str, str], env: Mapping[str, str],
              depth: int) -> str | None:
    if r.path[0] == "env" and len(r.path) == 2:
        return env.get(str(r.path[1]), r.default)
    if len(r.path) == 1 and r.path[0] in values and depth < 5:
        return values[str(r.path[0])]
    return None


def _globals(plan: Plan, env: Mapping[str, str]) -> dict[str, str]:
    """The global variables whose text is known before the run (no ``${VU}`` etc.)."""
    out: dict[str, str] = {}
    for v in plan.variables:
        if isinstance(v.value, str):
            out[v.name] = v.value
        elif isinstance(v.value, Template):
            text, whole = _static(v.value, out, env, 1)
            if whole:
                out[v.name] = text
    return out


def unmatched_maps(plan: Plan, sc: ScenarioPlan, pairs: Sequence[tuple[str, str]],
                   env: Mapping[str, str]) -> list[tuple[str, str]]:
    """The ``(FROM, TO)`` pairs that certainly match no request URL of the run."""
    if not pairs:
        return []
    names: list[str] = []
    for steps in (plan.setup, sc.flow, plan.teardown):
        flow_requests(steps, names)
    values = _globals(plan, env)
    heads: list[tuple[str, bool]] = []
    for name in names:
        try:
            heads.append(_static(plan.request(name).url, values, env))
        except KeyError:
            continue
    return [(frm, to) for frm, to in pairs
            if not any(_may_match(text, whole, frm, to) for text, whole in heads)]


def _may_match(text: str, whole: bool, frm: str, to: str) -> bool:
    """Whether a URL that is ``text`` (``whole``) or starts with it may be mapped by FROM:
    a known beginning no longer than FROM that FROM starts with may still match."""
    if whole or len(text) > len(frm):
        return map_url(text, [(frm, to)]) != text
    return frm.startswith(text)
