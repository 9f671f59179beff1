"""The root ``httptool`` command and its sub-commands (one module each)."""

from __future__ import annotations

import click

from httptool import __version__

EPILOG = """\b
Exit codes:
  0    finished, every threshold held
  99   a threshold failed
  2    bad command line or invalid scenario file (nothing was run)
  1    runtime failure of httptool itself, or a shard failed or was lost
  130  interrupted (Ctrl-C); partial results were still printed and written
"""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="httptool")
@click.option("--debug", is_flag=True, hidden=False, help="Show tracebacks of internal errors.")
def cli(debug: bool) -> None:
    """httptool: load-test a user journey written as curl commands.

    Paste curl commands into a .httpx scenario file, name them, chain them, choose a load
    shape and run it. Start with `httptool scenario validate FILE`, then
    `httptool run FILE` (the same as `httptool scenario run FILE`).
    """


def _register() -> None:
    from httptool.cli.exec_cmd import exec_command
    from httptool.cli.report_cmd import report_command
    from httptool.cli.scenario import run, scenario
    from httptool.cli.target_cmd import target_command

    cli.add_command(scenario)
    # k6's `k6 run FILE`: the same command object, so the flags can never drift apart
    cli.add_command(run, name="run")
    cli.add_command(exec_command)
    cli.add_command(target_command)
    cli.add_command(report_command)


_register()
