"""A command's text result on stdout, or in the file its ``-o/--output`` names."""

from __future__ import annotations

import sys

import click


def print_or_write(output: str | None, text: str, written: str, exit_code: int) -> None:
    """Print ``text``; with ``output``, write it there instead and say ``written`` on
    stderr. A file that cannot be written is one line and ``exit_code``."""
    if output is None:
        click.echo(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    except OSError as e:
        click.echo(f"httptool: cannot write {output}: {e.strerror or e}", err=True)
        sys.exit(exit_code)
    click.echo(written, err=True)
