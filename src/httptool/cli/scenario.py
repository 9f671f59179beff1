"""``httptool scenario validate|run|convert``.

Diagnostics go to stderr (``FILE:LINE:COL: error: MESSAGE``, source line, caret, count);
results to stdout. Exit 2 for an unreadable or invalid file or a bad command line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import click

from httptool import secrets
from httptool.cli.app import EPILOG
from httptool.cli.compare_cmd import comparison_option_list
from httptool.cli.run_cmd import collect_thresholds, run_command
from httptool.cli.run_options import (
    choose_workers,
    override_load,
    parse_base_url_map,
    parse_duration_option,
    parse_env_option,
    ramp_cut_short,
    shared_state,
)
from httptool.cli.textout import print_or_write
from httptool.dsl import ScenarioFileError, load_plan
from httptool.dsl.diagnostics import Diagnostics, Severity
from httptool.dsl.envrefs import env_for_run, missing_env
from httptool.engine.checks import extract_text
from httptool.loadmodels import model_of
from httptool.plan import (
    BasicAuth,
    CurlOptions,
    Foreach,
    If,
    LoadSpec,
    MultipartBody,
    Parallel,
    Plan,
    Repeat,
    RequestSpec,
    Run,
    ScenarioPlan,
    SharedPush,
    Step,
    Template,
    TextBody,
    Think,
    UseRow,
    flow_requests,
    to_jsonable,
    with_http,
)
from httptool.report.listen import DASHBOARD_DEFAULT, parse_listen
from httptool.report.units import fmt_duration
from httptool.run.shard import RunOptions
from httptool.secrets import MASK, mask_cookies, mask_url

EXIT_INVALID = 2


@click.group()
def scenario() -> None:
    """Validate, dry-run, convert and run .httpx scenario files."""


def _load(file: str, scenario_name: str | None = None, env: Mapping[str, str] | None = None,
          env_missing: Severity = "warning") -> tuple[Plan, Diagnostics, str]:
    """Compile ``file``; on errors print them and exit 2. Warnings go to stderr. With
    ``env``, each ``${env.NAME}`` set nowhere (and without a default) is a diagnostic of
    severity ``env_missing``: a warning in validate, an error (nothing runs) in run."""
    try:
        plan, diags, text = load_plan(file, scenario_name)
    except ScenarioFileError as e:
        click.echo(f"httptool: {e}", err=True)
        sys.exit(EXIT_INVALID)
    missing = missing_env(plan, env) if plan is not None and env is not None else []
    for ref in missing:
        name = ref.path[1]
        add = diags.error if env_missing == "error" else diags.warning
        add(f"env.{name} is set nowhere: give it with -e {name}=VALUE or export it, or "
            f'write a default: ${{env.{name} ?? "value"}}', ref.line, ref.col)
    if diags.items:
        click.echo(diags.render(text), err=True)
    if missing and env_missing == "error":
        names = sorted({f"env.{r.path[1]}" for r in missing})
        click.echo(f"httptool: not run: {', '.join(names)} "
                   f"{'is' if len(names) == 1 else 'are'} set nowhere", err=True)
        sys.exit(EXIT_INVALID)
    if plan is None:
        sys.exit(EXIT_INVALID)
    return plan, diags, text


def run_env(items: tuple[str, ...]) -> dict[str, str]:
    """The environment ``${env.NAME}`` reads: the process's, then ``-e NAME=VALUE``."""
    return {**os.environ, **parse_env_option(items)}


ENV_HELP = "Set ${env.NAME} to VALUE, over the process environment (repeatable)."


# --------------------------------------------------------------------------- validate


@scenario.command("validate")
@click.argument("file", metavar="FILE")
@click.option("--scenario", "scenario_name", metavar="NAME",
              help="Also check that this scenario exists (as `scenario run` would).")
@click.option("-e", "--env", "env", multiple=True, metavar="NAME=VALUE", help=ENV_HELP)
def validate(file: str, scenario_name: str | None, env: tuple[str, ...]) -> None:
    """Check a scenario file and print what it defines.

    Reports every problem in one pass as FILE:LINE:COL: error|warning: MESSAGE with the
    source line and a caret. Exit 0 when valid (warnings allowed), 2 on any error.
    """
    plan, _, _ = _load(file, scenario_name, run_env(env))
    click.echo("✓ Scenario file is valid")
    click.echo(f"  Variables: {len(plan.variables)}")
    click.echo(f"  Requests: {len(plan.requests)}")
    click.echo(f"  Scenarios: {len(plan.scenarios)}")
    click.echo("")
    click.echo("Scenarios:")
    for s in plan.scenarios:
        click.echo(f"  - {s.name}")


# --------------------------------------------------------------------------- convert


@scenario.command("convert")
@click.argument("file", metavar="FILE")
@click.option("-o", "--output", metavar="OUT.json", help="Write the JSON here instead of stdout.")
def convert(file: str, output: str | None) -> None:
    """Print the compiled plan of a scenario file as JSON.

    The JSON is exactly what the engine runs: requests with their interpolation parts,
    flow tree, load shape and thresholds (durations in seconds, latencies in ms).
    """
    plan, _, _ = _load(file)
    text = json.dumps(to_jsonable(plan), indent=2, ensure_ascii=False)
    print_or_write(output, text, f"Wrote {output}", EXIT_INVALID)


# --------------------------------------------------------------------------- run


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The ``scenario run`` options (listed in ``--help`` in this order).

    Over 80 lines on purpose: one declarative list, one entry per flag, whose order is
    ``--help``'s; split up, the order would live in several places."""
    opts = [
        # not required by click: `--dashboard FILE` hands FILE to --dashboard (an option
        # with an optional value), and run() takes it back (dashboard_or_file)
        click.argument("file", metavar="FILE", required=False),
        click.option("--scenario", "scenario_name", metavar="NAME",
                     help="Which scenario to run (default: the first in the file)."),
        click.option("--dry-run", is_flag=True,
                     help="Show the load shape, flow and requests; send nothing."),
        click.option("-e", "--env", "env", multiple=True, metavar="NAME=VALUE",
                     help=ENV_HELP),
        click.option("--progress", is_flag=True,
                     help="Show progress: a line every 2 s (a live panel on a terminal)."),
        click.option("-v", "--verbose", is_flag=True,
                     help="Log every VU and request as it happens, and the per-VU table."),
        click.option("-q", "--quiet", is_flag=True,
                     help="Print only the thresholds' verdict and one line of numbers "
                          "(overrides --progress and --verbose)."),
        click.option("--no-color", is_flag=True, help="No colours (NO_COLOR is honoured too)."),
        click.option("--vus", type=int, metavar="N", help="Override the number of VUs."),
        click.option("--duration", metavar="D",
                     help="Override the duration (30s, 1m30s, 500ms; a unit is required)."),
        click.option("--rps", type=float, metavar="R",
                     help="Open model: start R iterations per second."),
        click.option("--iterations", type=int, metavar="N",
                     help="Run exactly N iterations in total (with --vus VUs; N per VU when the "
                          "scenario's load says per vu)."),
        click.option("--max-vus", type=int, metavar="N",
                     help="Open model: most VUs the pool may grow to."),
        click.option("--graceful-stop", metavar="D",
                     help="Time in-flight iterations get at the end (default 5s; a unit "
                          "is required)."),
        click.option("--workers", type=int, metavar="N",
                     help="Worker processes (default: one per core, or 1 when VUs share a "
                          "cookie jar or a pool; 1 runs in-process)."),
        click.option("--base-url-map", multiple=True, metavar="FROM=TO",
                     help="Send requests whose URL starts with FROM to TO instead "
                          "(repeatable)."),
        click.option("--http1.1", "http", flag_value="1.1", default=None,
                     help="Every request over HTTP/1.1 (overrides the file's http = and "
                          "curl flags)."),
        click.option("--http2", "http", flag_value="2",
                     help="Every request over HTTP/2: h2 by ALPN for https://, h2c (prior "
                          "knowledge) for http:// (docs/http2.md)."),
        click.option("--cookies", type=click.Choice(["vu", "shared", "off"]),
                     help="Cookie jar per VU (default), one shared by all VUs, or none."),
        click.option("--threshold", "thresholds", multiple=True, metavar="EXPR",
                     help="Add a pass/fail threshold, e.g. 'p95<500ms' (repeatable)."),
        click.option("--baseline", metavar="FILE",
                     help="Compare with this --summary-json of an earlier run; the comparison "
                          "is printed under the summary (see httptool compare)."),
        *comparison_option_list("With --baseline"),
        click.option("--fail-on-invalid", is_flag=True,
                     help="Exit 98 when the run itself is not valid (the generator saturated, "
                          "iterations dropped, a worker lost...)."),
        click.option("--summary-json", metavar="PATH",
                     help="Write the whole merged result as JSON."),
        click.option("--out", "outs", multiple=True, metavar="KIND=PATH",
                     help="Stream one line per request: json=PATH (NDJSON) or csv=PATH "
                          "(PATH - is stdout; the console then goes to stderr); or serve "
                          "live metrics: prometheus=HOST:PORT (/metrics)."),
        click.option("--trace", is_flag=True,
                     help="Send a W3C traceparent header (a new sampled trace per request); "
                          "trace ids go into --out rows and the slowest requests into the "
                          "summary JSON, report and dashboard."),
        click.option("--dashboard", metavar="[=HOST:PORT]", is_flag=False,
                     flag_value=DASHBOARD_DEFAULT, default=None,
                     help=f"Serve a live web dashboard of the run (default {DASHBOARD_DEFAULT}; "
                          "give an address with '='; unauthenticated beyond loopback)."),
        click.option("--dashboard-linger", is_flag=True,
                     help="After the run, keep serving the dashboard's final page until "
                          "Ctrl-C."),
        click.option("--junit", metavar="PATH",
                     help="Write a JUnit XML report (a test case per check and threshold)."),
        click.option("--report", "report_html", metavar="PATH",
                     help="Write a self-contained HTML report (charts, tables)."),
        click.option("--cluster", metavar="tcp://HOST:8786",
                     help="Run the shards on a Dask cluster (needs httptool[cluster])."),
        click.option("--shards", type=int, metavar="N",
                     help="With --cluster: how many shards (default: one per worker)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def dashboard_or_file(file: str | None, dashboard: str | None) -> tuple[str, str | None]:
    """``--dashboard FILE``: click gives FILE to the option (its value is optional); a
    value that is no address (report/listen.py's HOST:PORT, :PORT or PORT), with no FILE
    after it, is the FILE, and the dashboard gets its default address."""
    if file is None and dashboard is not None:
        try:
            parse_listen(dashboard, "--dashboard")
        except ValueError:
            return dashboard, DASHBOARD_DEFAULT
    if file is None:
        raise click.UsageError("Missing argument 'FILE'.")
    return file, dashboard


@scenario.command("run", epilog=EPILOG)
@run_options
def run(file: str | None, scenario_name: str | None, dry_run: bool, **kw: Any) -> None:
    """Run a scenario of FILE and print its summary.

    With --dry-run: show what would be sent and send nothing.
    """
    file, kw["dashboard"] = dashboard_or_file(file, kw["dashboard"])
    env = run_env(kw["env"])
    # a file without a scenario is an error there; so is an env.NAME set nowhere
    plan, _, _ = _load(file, scenario_name, env, "warning" if dry_run else "error")
    chosen = plan.scenario(scenario_name)
    load = override_load(
        chosen.load, vus=kw["vus"], rps=kw["rps"], iterations=kw["iterations"],
        max_vus=kw["max_vus"],
        duration=None if kw["duration"] is None
        else parse_duration_option(kw["duration"], "--duration"),
        graceful_stop=None if kw["graceful_stop"] is None
        else parse_duration_option(kw["graceful_stop"], "--graceful-stop"))
    _warn(ramp_cut_short(load))
    chosen = replace(chosen, load=load)
    plan = replace(plan, scenarios=tuple(chosen if s.name == chosen.name else s
                                         for s in plan.scenarios))
    if kw["http"]:
        plan = with_http(plan, kw["http"])
        chosen = plan.scenario(chosen.name)
    pairs = parse_base_url_map(kw["base_url_map"])
    unmapped = unmatched_map_warnings(plan, chosen, pairs, env)
    if dry_run:
        for w in unmapped:
            _warn(w)
        click.echo(dry_run_text(plan, chosen, scenario_name is None))
        return
    workers = kw["workers"]
    if workers is not None and workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    options = RunOptions(base_url_map=pairs,
                         cookies=kw["cookies"], env=env_for_run(plan, env), trace=kw["trace"])
    _warn(quiet_overrides(kw["quiet"], progress=kw["progress"], verbose=kw["verbose"]))
    workers, warning = choose_workers(
        workers, shared_state(kw["cookies"], chosen.cookies, plan.shared))
    _warn(warning)
    code = run_command(
        plan, chosen, file, workers=workers, options=options,
        load_text=describe_load(load),
        thresholds=collect_thresholds(plan, chosen, kw["thresholds"]),
        progress=kw["progress"], verbose=kw["verbose"], quiet=kw["quiet"],
        no_color=kw["no_color"], summary_json=kw["summary_json"], outs=kw["outs"],
        junit=kw["junit"], report_html=kw["report_html"], cluster=kw["cluster"],
        shards=kw["shards"], end_warnings=unmapped, baseline=baseline_check(plan, kw),
        fail_on_invalid=kw["fail_on_invalid"],
        dashboard=kw["dashboard"], linger=kw["dashboard_linger"])
    sys.exit(code)


def unmatched_map_warnings(plan: Plan, sc: ScenarioPlan, pairs: tuple[tuple[str, str], ...],
                           env: Mapping[str, str]) -> list[str]:
    """A warning per ``--base-url-map FROM=TO`` that maps none of the run's URLs (a typo
    in FROM would otherwise load the unmapped host, silently)."""
    if not pairs:
        return []
    from httptool.cli.url_map_check import unmatched_maps

    return [f"--base-url-map {frm}={to} matched no request: no URL of this run starts "
            f"with {frm}" for frm, to in unmatched_maps(plan, sc, pairs, env)]


def baseline_check(plan: Plan, kw: dict[str, Any]) -> Any:
    """``--baseline``/``--fail-on``: read and parsed now, before anything is sent (None
    without them: a plain run imports nothing of compare)."""
    if kw["baseline"] is None and not kw["fail_on"]:
        return None
    from httptool.cli.compare_cmd import BaselineCheck

    return BaselineCheck(kw["baseline"], kw["fail_on"], kw["min_change"],
                         kw["allow_mismatch"], [r.name for r in plan.requests])


def _warn(message: str | None) -> None:
    """One ``httptool: warning: ...`` line on stderr, before the run, if there is one."""
    if message:
        click.echo(f"httptool: warning: {message}", err=True)


def quiet_overrides(quiet: bool, *, progress: bool, verbose: bool) -> str | None:
    """Why a flag the user gave will have no effect, or None. docs/progress-tracking.md
    says --quiet overrides --progress and --verbose; a precedence that silently drops a
    flag looks like a bug, so it is said once, on stderr, before the run."""
    dropped = [flag for flag, given in (("--progress", progress), ("--verbose", verbose))
               if given]
    if not quiet or not dropped:
        return None
    return (f"--quiet overrides {' and '.join(dropped)}: nothing is printed while "
            "running, only the verdict and one line of numbers at the end")


def dry_run_text(plan: Plan, sc: ScenarioPlan, defaulted: bool) -> str:
    """The dry-run report: scenario, load shape, flow tree, the requests it uses."""
    out = [f"Scenario: {sc.name}"]
    others = [s.name for s in plan.scenarios if s.name != sc.name]
    if defaulted and others:
        out.append(f"  (first of {len(plan.scenarios)}; others: {', '.join(others)} — "
                   "choose with --scenario NAME)")
    out.append(f"Load: {describe_load(sc.load)}")
    if sc.think_time:
        out.append(f"Think time: {describe_think(sc.think_time)}")
    if sc.cookies != "vu":
        out.append(f"Cookies: {sc.cookies}")
    if sc.thresholds:
        out.append("Thresholds: " + ", ".join(t.text for t in sc.thresholds))
    if plan.variables:
        out.append("Variables:")
        for v in plan.variables:
            shown = v.value.static_text if isinstance(v.value, Template) else v.value
            out.append(f"  {v.name} = {json.dumps(shown, ensure_ascii=False)}")
    if plan.setup:
        out.append("Setup:")
        out.extend(flow_lines(plan.setup, 1))
    out.append("Flow:")
    out.extend(flow_lines(sc.flow, 1))
    if plan.teardown:
        out.append("Teardown:")
        out.extend(flow_lines(plan.teardown, 1))
    used: list[str] = []
    for steps in (plan.setup, sc.flow, plan.teardown):
        flow_requests(steps, used)
    out.append("Requests:")
    for name in used:
        try:
            out.extend(request_lines(plan.request(name)))
        except KeyError:
            continue
    out.append("Dry run: nothing was sent.")
    return "\n".join(out)


def describe_load(ld: LoadSpec) -> str:
    """The load's one line (its model's description): dry run, summary header, HTML."""
    return model_of(ld).describe(ld)


def describe_think(t: Think) -> str:
    if t.low == t.high:
        return fmt_duration(t.low)
    return f"{fmt_duration(t.low)}..{fmt_duration(t.high)}"


def flow_lines(steps: tuple[Step, ...], depth: int) -> list[str]:
    pad = "  " * depth
    out: list[str] = []
    for s in steps:
        if isinstance(s, Run):
            out.append(f"{pad}run {s.request}")
            if s.children:
                out.append(f"{pad}  (only if {s.request} succeeded:)")
                out.extend(flow_lines(s.children, depth + 2))
        elif isinstance(s, Parallel):
            out.append(f"{pad}parallel:")
            for i, b in enumerate(s.branches, 1):
                out.append(f"{pad}  branch {i}:")
                out.extend(flow_lines(b, depth + 2))
        elif isinstance(s, If):
            for i, br in enumerate(s.branches):
                out.append(f"{pad}{'if' if i == 0 else 'else if'} {br.cond.text}:")
                out.extend(flow_lines(br.body, depth + 1))
            if s.orelse:
                out.append(f"{pad}else:")
                out.extend(flow_lines(s.orelse, depth + 1))
        elif isinstance(s, Foreach):
            lim = f" (limit {s.limit})" if s.limit is not None else ""
            out.append(f"{pad}foreach {s.var} in {s.source}{lim}:")
            out.extend(flow_lines(s.body, depth + 1))
        elif isinstance(s, Repeat):
            out.append(f"{pad}repeat {s.count} times:")
            out.extend(flow_lines(s.body, depth + 1))
        elif isinstance(s, Think):
            out.append(f"{pad}think {describe_think(s)}")
        elif isinstance(s, SharedPush):
            out.append(f"{pad}shared.{s.pool}.push({s.value.static_text})")
        elif isinstance(s, UseRow):
            mode = {"sequential": "", "random": " random", "per_vu": " per vu"}[s.mode]
            out.append(f"{pad}use {s.var} from {s.data}{mode}")
    return out


def mask_header(name: str, value: Template) -> str:
    """A header as the dry run shows it: :func:`httptool.secrets.mask_header` on its text."""
    return secrets.mask_header(name, value.static_text)


def option_words(o: CurlOptions) -> list[str]:
    """The curl options of a request that change how it is sent, as curl writes them,
    then its time bound: ``-m`` or the default (``--dry-run`` shows what will apply)."""
    from httptool.engine.request import DEFAULT_TOTAL_TIMEOUT

    d = CurlOptions()
    words = []
    if o.follow_redirects:
        words.append("-L" + (f" --max-redirs {o.max_redirs}"
                             if o.max_redirs != d.max_redirs else ""))
    flags = (("-k", o.insecure), ("--compressed", o.compressed),
             ("--path-as-is", o.path_as_is), ("--location-trusted", o.location_trusted),
             ("resend = off", not o.resend))
    words += [flag for flag, on in flags if on]
    valued = (("--cacert", o.cacert), ("--capath", o.capath), ("--cert", o.cert),
              ("--key", o.key), ("-x", mask_url(o.proxy) if o.proxy else None),
              ("--noproxy", o.noproxy), ("--request-target", o.request_target),
              ("--unix-socket", o.unix_socket), ("--tls-min", o.tls_min),
              ("--tls-max", o.tls_max))
    words += [f"{flag} {value}" for flag, value in valued if value is not None]
    words += [f"--resolve {h}:{p}:{a}" for h, p, a in o.resolve]
    words += ["--connect-to " + ":".join(c) for c in o.connect_to]
    if o.ip_version:
        words.append(f"-{o.ip_version}")
    if o.http is not None:
        words.append({"1.1": "--http1.1", "2": "--http2",
                      "2-prior": "--http2-prior-knowledge"}[o.http])
    if o.connect_timeout is not None:
        words.append(f"--connect-timeout {o.connect_timeout:g}")
    words.append(f"-m {o.max_time:g} (timeout)" if o.max_time is not None
                 else f"timeout {DEFAULT_TOTAL_TIMEOUT:g}s (the default; -m sets it)")
    return words


def request_lines(r: RequestSpec) -> list[str]:
    out = [f"  {r.name}: {r.method} {mask_url(r.url.static_text)}",
           "    options: " + ", ".join(option_words(r.options))]
    for h in r.headers:
        if not h.value.parts:
            out.append(f"    {h.name}: (removed)")
        else:
            out.append(f"    {h.name}: {mask_header(h.name, h.value)}")
    if r.cookies is not None:
        out.append(f"    Cookie: {mask_cookies(r.cookies.static_text)}")
    if isinstance(r.auth, BasicAuth):
        out.append(f"    Authorization: Basic {MASK} (user {r.auth.user.static_text})")
    if isinstance(r.body, TextBody):
        body = secrets.mask_body(r.body.content.static_text)
        shown = body if len(body) <= 200 else body[:200] + "…"
        out.append(f"    body: {shown}")
    elif isinstance(r.body, MultipartBody):
        names = ", ".join(p.name + ("=@" + (p.filename or "file") if p.file_path else "")
                          for p in r.body.parts)
        out.append(f"    body: multipart form ({names})")
    for a in r.asserts:
        out.append(f"    assert {a.text}")
    for e in r.extracts:
        out.append(f"    extract {extract_text(e)}")
    if r.retry is not None:
        rt = r.retry
        out.append(f"    retry: {rt.max_attempts} attempts, {rt.backoff} backoff from "
                   f"{fmt_duration(rt.base_delay)} to {fmt_duration(rt.max_delay)}")
    return out
