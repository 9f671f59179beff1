"""The command line: a thin layer that parses flags and calls the layers below.

Exit codes (DESIGN.md): 0 ok, 99 a threshold failed, 2 bad command line or invalid
scenario, 1 runtime failure of the tool itself, 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback

import click

from httptool.cli.app import cli

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_THRESHOLD = 99
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the click app and turns any escaped exception into one line."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="httptool", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except BaseException as e:  # the one place that stops a traceback reaching a user
        if debug:
            traceback.print_exc()
        click.echo(
            f"httptool: internal error: {type(e).__name__}: {e}\n"
            "This is a bug in httptool; please report it "
            "(run again with --debug to see the traceback).",
            err=True,
        )
        sys.exit(EXIT_RUNTIME)
    sys.exit(EXIT_OK)
