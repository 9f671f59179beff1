"""``httptool scenario run FILE``: the load run itself.

A short sequence of steps: compile the file, apply the command-line overrides, open the
outputs (before anything is sent, so a bad path costs nothing), run the scenario through
:func:`httptool.run.orchestrator.run_scenario` with a listener that feeds the progress
line, the verbose log and the streamed outputs, then print the summary, write the
summary JSON and JUnit files and exit with DESIGN.md's code: 130 interrupted, 1 the tool
failed, 98 the run was not valid (with ``--fail-on-invalid``), 99 a threshold or a
``--fail-on`` gate against ``--baseline`` failed, 0 otherwise. Under the summary: the
validity line (report/validity.py) and, with ``--baseline``, the comparison.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from httptool.metrics import RunResult
from httptool.plan import Plan, ScenarioPlan, Threshold
from httptool.report.info import RunInfo
from httptool.report.json_summary import summary_dict
from httptool.report.listen import DASHBOARD_PORT, exposure_warning, parse_listen
from httptool.report.listener import RunReporter
from httptool.report.live import LiveOutputs, LiveServerError
from httptool.report.outputs import (
    EventWriter,
    OutSpec,
    open_event_writer,
    parse_out_option,
    stdout_spec,
)
from httptool.report.status_line import StatusLine
from httptool.report.style import Style, color_enabled
from httptool.report.summary import render_quiet, render_summary
from httptool.report.thresholds import (
    ThresholdOutcome,
    all_passed,
    evaluate_thresholds,
    parse_threshold_option,
)
from httptool.report.validity import Validity, assess, planned_iterations
from httptool.run.orchestrator import run_scenario, shard_count
from httptool.run.shard import RunOptions

if TYPE_CHECKING:
    from httptool.cli.compare_cmd import BaselineCheck

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_THRESHOLD = 99
EXIT_INVALID_RUN = 98
EXIT_INTERRUPTED = 130


class CliReporter(RunReporter):
    """The report layer's reporter plus what only the command line says: progress lines
    count from the start of the load, and a Ctrl-C is acknowledged on stderr."""

    def on_phase(self, phase: str) -> None:
        if phase == "load" and self.progress is not None:
            # progress lines count from the start of the load (setup is not load)
            self.progress.update(RunResult(), self.clock())

    def on_signal(self, count: int) -> None:
        msg = {1: "stopping: letting iterations in flight finish (Ctrl-C again to stop now)",
               2: "stopping now: cutting the grace period short"}.get(count, "ending shards")
        sys.stderr.write(f"\nhttptool: {msg}\n")
        sys.stderr.flush()


def _fail_usage(message: str) -> None:
    click.echo(f"httptool: {message}", err=True)
    sys.exit(EXIT_USAGE)


def collect_thresholds(plan: Plan, sc: ScenarioPlan, options: Sequence[str]
                       ) -> tuple[Threshold, ...]:
    names = [r.name for r in plan.requests]
    extra: list[Threshold] = []
    for text in options:
        try:
            extra.append(parse_threshold_option(text, names))
        except ValueError as e:
            _fail_usage(str(e))
    return (*sc.thresholds, *extra)


def parse_outs(outs: Sequence[str]) -> tuple[list[OutSpec], bool]:
    """The ``--out`` specs, and whether one of them streams to stdout (``json=-``)."""
    specs: list[OutSpec] = []
    for text in outs:
        try:
            specs.append(parse_out_option(text))
        except ValueError as e:
            _fail_usage(str(e))
    try:
        return specs, stdout_spec(specs) is not None
    except ValueError as e:
        _fail_usage(str(e))
        raise  # unreachable: _fail_usage exits


def open_live(specs: Sequence[OutSpec], scenario: str, dashboard: str | None = None,
              dashboard_args: tuple[RunInfo, Sequence[Threshold], Sequence[str]] | None = None
              ) -> LiveOutputs:
    """Bind every ``--out prometheus=HOST:PORT`` and the ``--dashboard`` before the run
    (exit 2 if one cannot); each URL is said on stderr, with a warning for a bind beyond
    loopback."""
    live = LiveOutputs()
    try:
        if dashboard is not None and dashboard_args is not None:
            addr = parse_listen(dashboard, "--dashboard", DASHBOARD_PORT)
            _warn_stderr(exposure_warning(addr, "--dashboard"))
            page = live.add_dashboard(addr, *dashboard_args)
            click.echo(f"httptool: dashboard at {page.url} (live while the run goes on)",
                       err=True)
        for spec in specs:
            if spec.kind != "prometheus":
                continue
            addr = parse_listen(spec.path, f"--out prometheus={spec.path}")
            _warn_stderr(exposure_warning(addr, "--out prometheus"))
            exp = live.add_prometheus(addr, scenario)
            click.echo(f"httptool: Prometheus metrics at {exp.url}", err=True)
    except (ValueError, LiveServerError) as e:
        live.close()
        _fail_usage(str(e))
    return live


def _warn_stderr(message: str | None) -> None:
    if message:
        click.echo(f"httptool: warning: {message}", err=True)


def open_writers(specs: Sequence[OutSpec]) -> list[EventWriter]:
    writers: list[EventWriter] = []
    created: list[str] = []  # files that did not exist before: removed if one fails
    for spec in specs:
        existed = spec.path == "-" or os.path.lexists(spec.path)
        try:
            writers.append(open_event_writer(spec))
        except OSError as e:
            for w in writers:
                w.close()
            for path in created:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            _fail_usage(f"cannot write {spec.path}: {e.strerror or e}")
        if not existed:
            created.append(spec.path)
    return writers


def check_writable(path: str | None, flag: str) -> None:
    """Fail before the run, not after it, when an output file cannot be created. Only a
    probe: a file it had to create is removed again, so a command line that fails later
    (exit 2, nothing run) leaves no empty report behind for CI to trip on."""
    if path is None:
        return
    existed = os.path.lexists(path)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as e:
        _fail_usage(f"{flag}: cannot write {path}: {e.strerror or e}")
    if not existed:
        try:
            os.unlink(path)
        except OSError:
            pass


def cluster_runner(address: str, shards: int | None) -> Callable[..., Any]:
    """``run_scenario`` on a Dask cluster: :func:`httptool.run.cluster.cluster_runner`
    (exit 2 with how to install it when the ``cluster`` extra is missing)."""
    try:
        from httptool.run.cluster import cluster_runner as make
    except ImportError as e:
        _fail_usage(f"--cluster needs the cluster extra: pip install 'httptool[cluster]' ({e})")
        raise  # unreachable: _fail_usage exits
    return make(address, shards)


def write_final(what: str, fn: Callable[[], None], errors: list[str]) -> None:
    try:
        fn()
    except OSError as e:
        errors.append(f"cannot write {what}: {e.strerror or e}")


def run_command(
    plan: Plan,
    sc: ScenarioPlan,
    file: str,
    *,
    workers: int,
    options: RunOptions,
    load_text: str,
    thresholds: tuple[Threshold, ...],
    progress: bool,
    verbose: bool,
    quiet: bool,
    no_color: bool,
    summary_json: str | None,
    outs: Sequence[str],
    junit: str | None,
    report_html: str | None = None,
    cluster: str | None = None,
    shards: int | None = None,
    end_warnings: Sequence[str] = (),
    dashboard: str | None = None,
    linger: bool = False,
    baseline: BaselineCheck | None = None,
    fail_on_invalid: bool = False,
) -> int:
    """Run and report; returns the exit code: open outputs, run, close, report, write
    the files, choose the exit code. Over 80 lines on purpose: a quarter of them are its
    keyword parameters (one per flag it serves), and the body is that one sequence, in
    the order it happens, each step a call."""
    specs, on_stdout = parse_outs(outs)
    # with --out json=- stdout carries only those lines: the console goes to stderr
    out = sys.stderr if on_stdout else sys.stdout
    for path, flag in ((summary_json, "--summary-json"), (junit, "--junit"),
                       (report_html, "--report")):
        check_writable(path, flag)
    if shards is not None and cluster is None:
        _fail_usage("--shards needs --cluster (use --workers for local processes)")
    if linger and dashboard is None:
        _fail_usage("--dashboard-linger needs --dashboard")
    # the Dask path (issue 9): same listener, same outcome, shards on the cluster
    runner = run_scenario if cluster is None else cluster_runner(cluster, shards)
    count = shard_count(sc.load, workers)
    info = RunInfo.from_plan(file, sc, load_text, count, time.time())
    live = open_live(specs, sc.name, dashboard,
                     (info, thresholds, [r.name for r in plan.requests]))
    try:
        writers = open_writers([s for s in specs if s.kind != "prometheus"])
    except SystemExit:
        live.close()
        raise
    options = replace(options, events=bool(verbose or writers))
    color = color_enabled(out, no_color)
    reporter = CliReporter.for_console(out, info, progress=progress and not quiet,
                                       verbose=verbose and not quiet, writers=writers,
                                       color=color, sinks=[live] if live.active else ())
    if not (progress or verbose or quiet) and out.isatty():
        # a terminal without --progress: a start line and a status line, not silence
        reporter.progress = StatusLine(out, info)
    try:
        outcome = runner(plan, sc.name, workers, options, reporter)
    except BaseException:
        reporter.close()
        live.close()
        raise
    result = outcome.result
    info.interrupted = outcome.interrupted
    info.stopped_by = outcome.stopped_by
    info.workers = outcome.workers or count
    reporter.close(result)
    errors = list(outcome.errors)
    info.errors = [e.splitlines()[0] for e in errors if e.strip()]
    outcomes: list[ThresholdOutcome] = evaluate_thresholds(
        thresholds, result, [r.name for r in plan.requests])
    validity = assess(result, info, planned_iterations(sc.load))
    if quiet:
        click.echo(render_quiet(outcomes, color, result), file=out)
        if not validity.valid:  # -q stays short, but never hides made-up numbers
            click.echo(validity.line(Style(color)), file=out)
    else:
        click.echo("", file=out)
        click.echo(render_summary(result, info, outcomes, color, validity), file=out)
    gates_ok = baseline is None or baseline.report(
        summary_dict(result, info, outcomes, validity), "this run", color, out)
    _write_files(summary_json, report_html, junit, result, info, outcomes, validity, errors)
    for w in end_warnings:
        click.echo(f"httptool: warning: {w}", err=True)
    for e in errors:
        click.echo(f"httptool: error: {e}", err=True)
    try:
        live.finish(result, info, outcomes, validity)
        # an interrupted run was asked to stop: it does not linger
        live.hold(linger and not outcome.interrupted,
                  lambda text: click.echo(f"httptool: {text}", err=True))
    finally:
        live.close()
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    if errors:
        return EXIT_RUNTIME
    if fail_on_invalid and not validity.valid:
        return EXIT_INVALID_RUN
    if not all_passed(outcomes) or not gates_ok:
        return EXIT_THRESHOLD
    return EXIT_OK


def _write_files(summary_json: str | None, report_html: str | None, junit: str | None,
                 result: RunResult, info: RunInfo, outcomes: list[ThresholdOutcome],
                 validity: Validity, errors: list[str]) -> None:
    """The files asked for, each written whole or not at all (a failure is one more
    entry of ``errors``); their modules load only when asked for (start-up)."""
    if summary_json:
        from httptool.report.json_summary import write_summary_json

        write_final(summary_json, lambda: write_summary_json(summary_json, result, info,
                                                             outcomes, validity), errors)
    if report_html:
        from httptool.report.html import write_html_report

        write_final(report_html, lambda: write_html_report(report_html, result, info,
                                                           outcomes, validity), errors)
    if junit:
        from httptool.report.junit import write_junit

        write_final(junit, lambda: write_junit(junit, result, info, outcomes), errors)
