"""``httptool compare BASELINE.json CURRENT.json``: is this run worse than the baseline?

Exit codes: 0 every ``--fail-on`` gate held (or there were none), 99 a gate failed, 2
bad command line or a file that cannot be compared (missing, truncated, not a summary,
an older schema, other scenario or requests without ``--allow-mismatch``), 1 the
``--output`` file cannot be written. Warnings (a partial or invalid side) go to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

import click
from click.decorators import FC

from httptool.cli.textout import print_or_write

if TYPE_CHECKING:
    from httptool.report.compare import Comparison
    from httptool.report.gates import GateOutcome

EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_GATE = 99


def parse_min_change(text: str) -> float:
    """``10%`` or ``10`` (percent) -> 0.10; BadParameter otherwise."""
    t = text.strip().removesuffix("%").strip()
    try:
        v = float(t)
    except ValueError:
        raise click.BadParameter(f"'{text}' is not a percentage (e.g. 10%)",
                                 param_hint="--min-change") from None
    if not 0 <= v < 1000:
        raise click.BadParameter("must be between 0% and 1000%", param_hint="--min-change")
    return v / 100


def comparison_option_list(context: str = "") -> list[Callable[[FC], FC]]:
    """The options ``compare`` shares with ``scenario run --baseline``; ``context``
    (e.g. ``With --baseline``) starts their help where they need another option."""

    def say(text: str) -> str:
        return f"{context}: {text[0].lower()}{text[1:]}" if context else text

    return [
        click.option("--fail-on", "fail_on", multiple=True, metavar="GATE",
                     help=say("Exit 99 when the change crosses GATE (repeatable): "
                              "'p95 > +10%', 'error_rate > +0.5pp', 'login.p99 > +50ms', "
                              "'rps < -10%'.")),
        click.option("--min-change", default="10%", show_default=True, metavar="PCT",
                     help=say("Smallest relative change a verdict calls better or worse.")),
        click.option("--allow-mismatch", is_flag=True,
                     help=say("Compare the common requests of runs of different requests.")),
    ]


def comparison_options(fn: FC) -> FC:
    """:func:`comparison_option_list` as one decorator (``compare``'s own help)."""
    for opt in reversed(comparison_option_list()):
        fn = opt(fn)
    return fn


@click.command("compare")
@click.argument("baseline", metavar="BASELINE_JSON", type=click.Path(dir_okay=False))
@click.argument("current", metavar="CURRENT_JSON", type=click.Path(dir_okay=False))
@comparison_options
@click.option("--format", "fmt", type=click.Choice(["console", "markdown", "json"]),
              default="console", show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the comparison to this file instead of stdout.")
@click.option("--no-color", is_flag=True, help="No colours (NO_COLOR is honoured too).")
def compare_command(baseline: str, current: str, fail_on: tuple[str, ...], min_change: str,
                    allow_mismatch: bool, fmt: str, output: str | None, no_color: bool) -> None:
    """Compare two --summary-json files: better, worse or no significant change.

    Per request and for all: baseline, current, change and verdict of requests/s,
    failures %, avg, p50, p90, p95, p99, max and checks %. See docs/ci.md.

    \b
    Exit codes:
      0    no --fail-on gate failed
      99   a gate failed
      2    bad command line, or files that cannot be compared
      1    the --output file cannot be written
    """
    from httptool.report.compare import CompareInputError, compare_files
    from httptool.report.compare_out import render
    from httptool.report.gates import all_passed
    from httptool.report.style import color_enabled

    floor = parse_min_change(min_change)
    check_gates(fail_on)
    try:
        cmp = compare_files(baseline, current, min_change=floor, allow_mismatch=allow_mismatch)
    except CompareInputError as e:
        click.echo(f"httptool: {e}", err=True)
        sys.exit(EXIT_USAGE)
    outcomes = gate_outcomes(cmp, fail_on)
    for w in cmp.warnings:
        click.echo(f"httptool: warning: {w}", err=True)
    color = output is None and fmt == "console" and color_enabled(sys.stdout, no_color)
    text = render(cmp, outcomes, fmt, color)
    print_or_write(output, text, f"comparison written to {output}", EXIT_RUNTIME)
    if not all_passed(outcomes):
        sys.exit(EXIT_GATE)


def check_gates(fail_on: tuple[str, ...]) -> None:
    """Exit 2 on a gate that is not one, before any file is read or run started."""
    from httptool.report.gates import parse_gate

    for text in fail_on:
        try:
            parse_gate(text)
        except ValueError as e:
            click.echo(f"httptool: {e}", err=True)
            sys.exit(EXIT_USAGE)


def gate_outcomes(cmp: Comparison, fail_on: tuple[str, ...]) -> list[GateOutcome]:
    """Parse the gates against the compared requests (exit 2 on an unknown request) and
    evaluate them on ``cmp``."""
    from httptool.report.compare import scope_names
    from httptool.report.gates import evaluate_gates, parse_gate

    names = scope_names([cmp.baseline, cmp.current])
    gates = []
    for text in fail_on:
        try:
            gates.append(parse_gate(text, names))
        except ValueError as e:
            click.echo(f"httptool: {e}", err=True)
            sys.exit(EXIT_USAGE)
    return evaluate_gates(gates, cmp)


class BaselineCheck:
    """``scenario run --baseline FILE [--fail-on ...]``: the baseline is read and the
    gates parsed before the run (a bad file or gate is exit 2 with nothing sent); after
    it, :meth:`report` prints the comparison under the summary and says whether every
    gate held."""

    def __init__(self, baseline: str | None, fail_on: tuple[str, ...], min_change: str,
                 allow_mismatch: bool, request_names: list[str]) -> None:
        from httptool.report.compare import CompareInputError, load_run
        from httptool.report.gates import parse_gate

        if fail_on and baseline is None:
            click.echo("httptool: --fail-on needs --baseline FILE (a --summary-json file of "
                       "an earlier run)", err=True)
            sys.exit(EXIT_USAGE)
        self.floor = parse_min_change(min_change)
        self.allow_mismatch = allow_mismatch
        self.gates = []
        for text in fail_on:
            try:
                self.gates.append(parse_gate(text, request_names))
            except ValueError as e:
                click.echo(f"httptool: {e}", err=True)
                sys.exit(EXIT_USAGE)
        self.base = None
        if baseline is not None:
            try:
                self.base = load_run(baseline)
            except CompareInputError as e:
                click.echo(f"httptool: --baseline: {e}", err=True)
                sys.exit(EXIT_USAGE)

    def report(self, doc: dict[str, object], where: str, color: bool,
               out: TextIO | None = None) -> bool:
        """Compare the finished run's summary document with the baseline and print it;
        False when a gate failed or the runs cannot be compared (then it says why)."""
        if self.base is None:
            return True
        from httptool.report.compare import CompareInputError, compare, run_of
        from httptool.report.compare_out import render_console
        from httptool.report.gates import all_passed, evaluate_gates

        try:
            cmp = compare(self.base, run_of(dict(doc), where), min_change=self.floor,
                          allow_mismatch=self.allow_mismatch)
        except CompareInputError as e:
            click.echo(f"httptool: --baseline: {e}", err=True)
            return False
        outcomes = evaluate_gates(self.gates, cmp)
        for w in cmp.warnings:
            click.echo(f"httptool: warning: {w}", err=True)
        click.echo("", file=out)
        click.echo(render_console(cmp, outcomes, color), file=out)
        return all_passed(outcomes)
