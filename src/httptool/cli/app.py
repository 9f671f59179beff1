"""The root ``httptool`` command and its sub-commands (one module each)."""

from __future__ import annotations

import click

from httptool import __version__
from httptool.cli.lazy import LazyGroup
from httptool.implementation import hot_path

EPILOG = """\b
Exit codes:
  0    finished, every threshold held
  99   a threshold failed, or a --fail-on gate against the --baseline
  98   --fail-on-invalid: the run itself was not valid (its numbers are suspect)
  2    bad command line or invalid scenario file (nothing was run)
  1    runtime failure of httptool itself, or a shard failed or was lost
  130  interrupted (Ctrl-C); partial results were still printed and written
"""


#: name -> (where the command is, its one-line help): imported only when run (cli/lazy.py)
COMMANDS = {
    "compare": ("httptool.cli.compare_cmd:compare_command",
                "Compare two --summary-json files: better, worse or no significant change."),
    "exec": ("httptool.cli.exec_cmd:exec_command",
             "Run one curl command once and print the response and its timing."),
    "import": ("httptool.cli.import_cmd:import_command",
               "Write a .httpx scenario from a HAR, Postman or OpenAPI file."),
    "report": ("httptool.cli.report_cmd:report_command",
               "Build the HTML report from a --summary-json file of an earlier run."),
    # k6's `k6 run FILE`: the scenario run command object itself, so the flags can't drift
    "run": ("httptool.cli.scenario:run", "Run a scenario of FILE and print its summary."),
    "scenario": ("httptool.cli.scenario:scenario",
                 "Validate, dry-run, convert and run .httpx scenario files."),
    "target": ("httptool.cli.target_cmd:target_command",
               "Serve httpbin-like and jsonplaceholder-like endpoints for demos and tests."),
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="httptool",
                      message=f"%(prog)s, version %(version)s ({hot_path()})")
@click.option("--debug", is_flag=True, hidden=False, help="Show tracebacks of internal errors.")
def cli(debug: bool) -> None:
    """httptool: load-test a user journey written as curl commands.

    Paste curl commands into a .httpx scenario file, name them, chain them, choose a load
    shape and run it. Start with `httptool scenario validate FILE`, then
    `httptool run FILE` (the same as `httptool scenario run FILE`).
    """
