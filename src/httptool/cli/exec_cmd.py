"""``httptool exec 'curl ...'``: send one curl command once and show the answer."""

from __future__ import annotations

import click


@click.command("exec")
@click.argument("command", nargs=-1, required=True)
def exec_command(command: tuple[str, ...]) -> None:
    """Run one curl command once and print the response and its timing."""
    raise click.UsageError("exec is being built in this change")
