"""A click group whose sub-commands are imported only when one is run.

Why: importing every sub-command module pulls in the engine, numpy, aiohttp (the target)
and the report layer, ~0.5 s of CPU, before ``httptool --help`` can print a line. The group
knows each command by ``module:attribute`` and by its one-line help, which is all that
``--help`` shows; tests/cli/test_startup.py checks those lines are the commands' own.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click


class LazyGroup(click.Group):
    """``lazy_commands``: name -> (``"package.module:attribute"``, the command's short help)."""

    def __init__(self, *args: Any,
                 lazy_commands: Mapping[str, tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands and cmd_name not in self.commands:
            self.add_command(load_command(self.lazy_commands[cmd_name][0]), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own listing, except that a command not loaded yet shows its stored help."""
        names = [n for n in self.list_commands(ctx)
                 if n not in self.commands or not self.commands[n].hidden]
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            cmd = self.commands.get(name) or stand_in(name, self.lazy_commands[name][1])
            rows.append((name, cmd.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def stand_in(name: str, short_help: str) -> click.Command:
    """A command with only the stored help, so click shortens it as it would the real one."""
    return click.Command(name, help=short_help)


def load_command(target: str) -> click.Command:
    """The command object at ``"package.module:attribute"``."""
    module, _, attr = target.partition(":")
    cmd = getattr(importlib.import_module(module), attr)
    if not isinstance(cmd, click.Command):
        raise TypeError(f"{target} is not a click command")
    return cmd
