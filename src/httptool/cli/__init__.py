"""The command line: a thin layer that parses flags and calls the layers below.

Exit codes (DESIGN.md): 0 ok, 99 a threshold (or a ``--fail-on`` gate) failed, 98 an
invalid run with ``--fail-on-invalid``, 2 bad command line or invalid scenario, 1 runtime
failure of the tool itself, 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback
from typing import NoReturn

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_THRESHOLD = 99
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the click app and turns any escaped exception into one line."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    _printable_streams()
    try:
        # imported here, inside the handlers: a Ctrl-C while click, rich and the layers
        # load (the first ~0.3 s) must not print a traceback either
        import click

        from httptool.cli.app import cli
    except KeyboardInterrupt:
        _interrupted_early()
    try:
        cli.main(args=args, prog_name="httptool", standalone_mode=False)
    except click.exceptions.Abort as e:
        if isinstance(e.__cause__, KeyboardInterrupt):  # click's wrapping of a Ctrl-C while
            _interrupted_early()  # a sub-command loads (lazily, cli/lazy.py) or compiles
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        # a run handles SIGINT itself (partial summary, outputs); this is a Ctrl-C outside
        # one: while loading, compiling or starting the shards
        _interrupted_early()
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


def _printable_streams() -> None:
    """A request may carry bytes that are not text (``$'\\xeb'``, kept as escaped
    surrogates, see :mod:`httptool.wiretext`): printed, they show as ``\\udceb`` (which is
    also the JSON escape that reads back to the same request) instead of crashing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _interrupted_early() -> NoReturn:
    sys.stderr.write("httptool: interrupted (Ctrl-C)\n")
    sys.exit(EXIT_INTERRUPTED)
