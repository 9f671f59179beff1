"""Turning ``scenario run`` flags into settings: load overrides, URL maps, durations.

Every function raises :class:`click.BadParameter` (exit 2, with the flag named) on bad
input, so the command itself stays a short sequence of steps.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import replace

import click

from httptool.dsl.lexer import parse_duration
from httptool.loadmodels import CLOSED, ITERATIONS, OPEN, model_of
from httptool.plan import LoadSpec
from httptool.report.units import fmt_duration

#: the whole option must be a duration as the scenario language writes it
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$")


def parse_duration_option(text: str, flag: str) -> float:
    """``30s``, ``1m30s``, ``500ms``, ``2h``. A unit is required, as in the language: a bare
    ``2`` could mean 2 s or 2 ms, readings 1000x apart."""
    t = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", t):
        raise click.BadParameter(f"a duration needs a unit: {t}s or {t}ms", param_hint=flag)
    if not _DURATION.match(t):
        raise click.BadParameter(f"'{text}' is not a duration (e.g. 30s, 1m30s, 500ms)",
                                 param_hint=flag)
    return parse_duration(t)


def parse_base_url_map(items: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``FROM=TO`` pairs, longest FROM first so a specific prefix wins over a general one."""
    pairs: list[tuple[str, str]] = []
    for item in items:
        frm, eq, to = item.partition("=")
        frm, to = frm.strip(), to.strip()
        if not eq or not frm or not to:
            raise click.BadParameter(f"'{item}' is not FROM=TO "
                                     "(e.g. https://httpbin.org=http://127.0.0.1:8080)",
                                     param_hint="--base-url-map")
        if not re.match(r"^https?://", to):
            raise click.BadParameter(f"'{to}' must start with http:// or https://",
                                     param_hint="--base-url-map")
        pairs.append((frm.rstrip("/") if frm.endswith("/") and not to.endswith("/") else frm,
                      to))
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_env_option(items: tuple[str, ...]) -> dict[str, str]:
    """``-e NAME=VALUE`` pairs (k6's ``-e``): they set ``${env.NAME}`` over the process
    environment. The value may be empty or contain ``=``; the last ``-e`` of a name wins."""
    out: dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not _ENV_NAME.match(name):
            raise click.BadParameter(f"'{item}' is not NAME=VALUE (e.g. -e TOKEN=abc; "
                                     "NAME is letters, digits and _)", param_hint="-e/--env")
        out[name] = value
    return out


def override_load(
    load: LoadSpec,
    *,
    vus: int | None = None,
    duration: float | None = None,
    rps: float | None = None,
    iterations: int | None = None,
    max_vus: int | None = None,
    graceful_stop: float | None = None,
) -> LoadSpec:
    """The scenario's load with the command-line overrides applied (DSL.md: ``--vus``,
    ``--duration``, ``--rps``, ``--iterations`` replace the matching field).

    ``--rps`` switches to the open model and ``--iterations`` to the iterations model
    (an iterations load keeps its kind: per VU stays per VU);
    overriding the VU count, rate or duration of a staged load replaces the stages by a
    constant load at the stages' peak."""
    for flag, v in (("--vus", vus), ("--duration", duration), ("--rps", rps),
                    ("--iterations", iterations), ("--max-vus", max_vus)):
        if v is not None and v <= 0:
            raise click.BadParameter("must be greater than 0", param_hint=flag)
    if rps is not None and iterations is not None:
        raise click.BadParameter("--rps and --iterations choose different load models; "
                                 "give one", param_hint="--rps")
    ld = load
    peak = max((s.target for s in ld.stages), default=None)
    if ld.stages and (vus is not None or duration is not None or rps is not None
                      or iterations is not None):
        total = ld.total_duration
        if not model_of(ld).rate:
            ld = replace(ld, vus=ld.vus or round(peak or 1), duration=total, stages=())
        else:
            ld = replace(ld, rps=ld.rps or peak, duration=total, stages=())
    if iterations is not None:
        counted = not model_of(ld).timed  # an iterations load keeps its kind (per VU?)
        ld = replace(ld, model=ld.model if counted else ITERATIONS.name, iterations=iterations,
                     vus=vus or (ld.vus if not model_of(ld).rate else None) or 1,
                     duration=duration, ramp_up=None)
    elif rps is not None:
        ld = replace(ld, model=OPEN.name, rps=float(rps),
                     vus=vus if vus is not None else (ld.vus if model_of(ld).rate else None),
                     duration=duration if duration is not None else ld.duration,
                     ramp_up=None)
    else:
        if vus is not None:
            ld = replace(ld, vus=vus)
        if duration is not None:
            ld = replace(ld, duration=duration)
    if max_vus is not None:
        ld = replace(ld, max_vus=max_vus)
    if graceful_stop is not None:
        ld = replace(ld, graceful_stop=graceful_stop)
    if model_of(ld).timed and not ld.stages and not ld.duration:
        raise _no_duration(load, rps)
    if model_of(ld).rate and ld.vus and ld.max_vus and ld.vus > ld.max_vus:
        raise click.BadParameter(
            f"{ld.vus} pre-allocated VUs but at most {ld.max_vus} (max_vus); "
            "raise --max-vus or lower --vus", param_hint="--vus" if vus else "--max-vus")
    return ld


def ramp_cut_short(load: LoadSpec) -> str | None:
    """A ramp-up longer than the run starts only some of the VUs (VU rank r starts at
    r/N of the ramp); easy to get with ``--duration`` on a scenario with a long ramp, and
    silent otherwise (the summary's "1 max" is the only trace)."""
    ramp, dur, n = load.ramp_up, load.duration, load.vus
    if model_of(load) is not CLOSED or load.stages or not ramp or not dur or not n or ramp <= dur:
        return None
    started = min(n, math.ceil(dur * n / ramp - 1e-9))
    return (f"ramp_up {fmt_duration(ramp)} is longer than the duration {fmt_duration(dur)}: "
            f"only {started} of the {n} VUs will start")


def _no_duration(load: LoadSpec, rps: float | None) -> click.BadParameter:
    """Only a flag can leave a VU or rate load without a duration (the compiler rejects such
    a scenario): ``--rps`` turning an iterations load, which has none, into a rate."""
    if rps is not None and not model_of(load).timed:
        return click.BadParameter(
            "a rate needs a duration, and this scenario's load (iterations) has none; "
            "add --duration (e.g. --duration 30s)", param_hint="--rps")
    return click.BadParameter("this load has no duration; add --duration (e.g. --duration 30s)",
                              param_hint="--duration")


def shared_state(cookies: str | None, scenario_cookies: str, pools: tuple[str, ...]) -> str:
    """What the VUs of this run share with each other ("" if nothing): a shared cookie jar
    or ``shared`` pools live in one worker process, so they are shared by every VU only
    when the run has one."""
    what = []
    if (cookies or scenario_cookies) == "shared":
        what.append("the shared cookie jar")
    if pools:
        what.append("shared pool" + ("s " if len(pools) > 1 else " ") + ", ".join(pools))
    return " and ".join(what)


def choose_workers(workers: int | None, sharing: str) -> tuple[int, str | None]:
    """The worker count and a warning: one per core by default, but one when the VUs
    share state (DSL.md: "all VUs share one jar", "a run-wide pool"); an explicit
    ``--workers N`` wins, with a warning that each worker then has its own."""
    if workers is None:
        return (1, None) if sharing else (default_workers(), None)
    if workers > 1 and sharing:
        return workers, (f"{sharing} is shared by the VUs of each of the {workers} worker "
                         "processes, not between them (--workers 1 shares it between all)")
    return workers, None


def default_workers() -> int:
    """One worker process per available core (``--workers`` overrides)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


