"""``httptool import har|postman|openapi FILE``: a scenario from traffic the user has.

The scenario goes to ``-o FILE`` (written atomically) or stdout; what was done (requests
kept and dropped, variables made, correlations, warnings) goes to stderr. The text is
compiled before it is written, so an output that would not validate is never left behind.
Exit 2 for an input the importer cannot use, with the culprit's JSON pointer or line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from httptool.importers.model import Imported, ImportFailure

EXIT_INPUT = 2
EXIT_INTERNAL = 1


def _out_option(f: Callable[..., None]) -> Callable[..., None]:
    f = click.option("--base-url-var", default="base", show_default=True, metavar="NAME",
                     help="Name of the variable that holds the base URL.")(f)
    f = click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
                     help="Write the scenario here (atomically); stdout when absent.")(f)
    return f


def _base_var(name: str) -> str:
    from httptool.importers.names import identifier

    if identifier(name) != name:
        raise click.BadParameter(f"{name!r} is not a variable name ([a-z_][a-z0-9_]*)",
                                 param_hint="--base-url-var")
    return name


def _emit(build: Callable[[], Imported], output: str | None) -> None:
    from httptool.dsl import compile_source
    from httptool.importers import writer

    try:
        imp = build()
    except ImportFailure as e:
        click.echo(f"httptool import: {e}", err=True)
        sys.exit(EXIT_INPUT)
    text = writer.render(imp)
    out = Path(output) if output else None
    where = str(out) if out else "<stdout>"
    written: list[Path] = []
    try:
        if out is not None:  # the bodies first: validation reads them
            written = writer.write_bodies(imp, out)
        _, diags = compile_source(text, where, base_dir=str(out.parent) if out else ".")
    except OSError as e:
        click.echo(f"httptool import: cannot write beside {out}: {e.strerror or e}", err=True)
        sys.exit(EXIT_INPUT)
    if diags.errors:
        for p in written:
            p.unlink(missing_ok=True)
        click.echo(diags.render(text), err=True)
        click.echo("httptool import: the scenario written would not validate (a bug of the "
                   "importer); nothing was written", err=True)
        sys.exit(EXIT_INTERNAL)
    for note in imp.notes:
        click.echo(f"  {note}", err=True)
    for w in imp.warnings:
        click.echo(f"  warning: {w}", err=True)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        writer.atomic_write(out, text.encode("utf-8"))
    except OSError as e:
        click.echo(f"httptool import: cannot write {out}: {e.strerror or e}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(f"wrote {out}: {len(imp.requests)} requests, scenario {imp.scenario} "
               f"(check it: httptool scenario validate {out})", err=True)


@click.group("import")
def import_command() -> None:
    """Write a .httpx scenario from a HAR, Postman or OpenAPI file.

    Start from traffic you already have; see docs/importing.md."""


@import_command.command("har")
@click.argument("file", type=click.Path(dir_okay=False))
@_out_option
@click.option("--include-static", is_flag=True,
              help="Keep images, fonts, CSS, JS, media and analytics requests.")
@click.option("--no-think", is_flag=True, help="No think times from the recording's gaps.")
@click.option("--no-correlate", is_flag=True,
              help="Replay recorded values literally (no extract/${var} wiring).")
@click.option("--no-assert", is_flag=True, help="No 'assert status == <recorded>' lines.")
def har_command(file: str, output: str | None, base_url_var: str, include_static: bool,
                no_think: bool, no_correlate: bool, no_assert: bool) -> None:
    """A HAR 1.1/1.2 recording (devtools "Save all as HAR"): one request per entry,
    recorded values the server handed out wired as extract + ${var}."""
    from httptool.importers.har import HarOptions, bodies_dir_for, import_har

    opts = HarOptions(
        include_static=include_static, think=not no_think, correlate=not no_correlate,
        asserts=not no_assert, base_var=_base_var(base_url_var),
        bodies_dir=bodies_dir_for(Path(output)) if output else None)
    _emit(lambda: import_har(file, opts), output)




@import_command.command("postman")
@click.argument("file", type=click.Path(dir_okay=False))
@_out_option
@click.option("--environment", "-e", "environment", type=click.Path(dir_okay=False),
              default=None, help="A Postman environment file: its values become vars too.")
def postman_command(file: str, output: str | None, base_url_var: str,
                    environment: str | None) -> None:
    """A Postman collection v2.0/v2.1: folders as sections, {{var}} as ${var}, auth and
    bodies as curl flags; scripts kept as comments (never run)."""
    from httptool.importers.postman import PostmanOptions, import_postman

    opts = PostmanOptions(environment=environment, base_var=_base_var(base_url_var))
    _emit(lambda: import_postman(file, opts), output)


@import_command.command("openapi")
@click.argument("file", type=click.Path(dir_okay=False))
@_out_option
@click.option("--no-assert", is_flag=True,
              help="No 'assert status == <first 2xx of the operation>' lines.")
def openapi_command(file: str, output: str | None, base_url_var: str, no_assert: bool) -> None:
    """An OpenAPI 3.0/3.1 document (JSON or YAML) or Swagger 2.0: a request per operation
    with generated values; the scenario runs every GET once."""
    from httptool.importers.openapi import OpenApiOptions, import_openapi

    opts = OpenApiOptions(base_var=_base_var(base_url_var), asserts=not no_assert)
    _emit(lambda: import_openapi(file, opts), output)
